// The pure parts of black-box fuzzing: the server faults' byte triggers across read boundaries, the random
// block mutation's bounds, when a reply is complete, the feedback counters, and reproducer files.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "blackbox/conversation.h"
#include "blackbox/random_block_mutation.h"
#include "blackbox/regression_scenario.h"
#include "blackbox/reply_feedback.h"
#include "blackbox/reproducer_files.h"
#include "blackbox/service_model.h"
#include "byte_trigger.h"
#include "proto/framed_codec.h"
#include "proto/framed_session.h"
#include "scenario/parser.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace sockspec::blackbox;

namespace {

ExchangeResult replyOf(std::string bytes, ConnectionEnd end) {
  ExchangeResult result;
  result.replyBytes = bytes.size();
  result.reply = std::move(bytes);
  result.end = end;
  return result;
}

std::string asString(const std::vector<std::uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("the crash trigger is found anywhere, also split across two reads", "[unit][blackbox]") {
  using server::findTrigger;
  using server::kCrashTrigger;
  CHECK(findTrigger(kCrashTrigger, -1, std::string("ab\xde\xad", 4)) == 2);
  CHECK(findTrigger(kCrashTrigger, 0xDE, std::string("\xad", 1)) == -1);
  CHECK_FALSE(findTrigger(kCrashTrigger, 0xAD, std::string("\xde", 1)));
  CHECK_FALSE(findTrigger(kCrashTrigger, -1, std::string("\xad\xde", 2)));
  CHECK_FALSE(findTrigger(kCrashTrigger, -1, ""));
}

TEST_CASE("a random block never writes past maxSize and changes the input", "[unit][blackbox]") {
  for (std::uint32_t seed = 1; seed < 2000; ++seed) {
    std::size_t maxSize = 1 + seed % 700;
    std::vector<std::uint8_t> data(maxSize + 16, 0x55);  // the tail past maxSize must stay untouched
    std::size_t size = seed % (maxSize + 1);
    std::vector<std::uint8_t> before(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(size));
    std::size_t grown = mutateWithRandomBlock(data.data(), size, maxSize, seed);
    REQUIRE(grown <= maxSize);
    REQUIRE(grown >= size);
    for (std::size_t i = maxSize; i < data.size(); ++i) REQUIRE(data[i] == 0x55);
  }
}

TEST_CASE("echo: a reply is complete when every byte came back", "[unit][blackbox]") {
  auto input = net::asBytes("hello");
  CHECK(replyComplete(protocolOf(FuzzProtocolKind::Echo), input, replyOf("hello", ConnectionEnd::StillOpen)));
  CHECK_FALSE(replyComplete(protocolOf(FuzzProtocolKind::Echo), input, replyOf("hel", ConnectionEnd::StillOpen)));
  CHECK(describeExchange(protocolOf(FuzzProtocolKind::Echo), input, [] {
          auto result = replyOf("hello", ConnectionEnd::OrderlyClose);
          result.bytesSent = 5;
          return result;
        }()) == "sent 5 bytes, echoed, all 5 bytes back, closed in order");
}

TEST_CASE("framed: a reply is complete with one reply per request, or an ERROR", "[unit][blackbox]") {
  std::vector<std::uint8_t> input;
  proto::appendFrame(input, proto::FrameType::Hello, proto::makeHello().payload);
  proto::appendFrame(input, proto::FrameType::Stats, {});
  std::vector<std::uint8_t> welcome = proto::encodeFrame(proto::makeWelcome(proto::kDefaultMaxPayload));
  std::vector<std::uint8_t> stats = proto::encodeFrame(proto::makeStatsReply(2, 1));
  std::vector<std::uint8_t> error =
      proto::encodeFrame(proto::makeError(proto::ErrorCode::HandshakeRequired, "x"));
  auto bytes = std::span<const std::uint8_t>(input);
  CHECK_FALSE(
      replyComplete(protocolOf(FuzzProtocolKind::Framed), bytes, replyOf(asString(welcome), ConnectionEnd::StillOpen)));
  CHECK(replyComplete(protocolOf(FuzzProtocolKind::Framed), bytes,
                      replyOf(asString(welcome) + asString(stats), ConnectionEnd::StillOpen)));
  CHECK(replyComplete(protocolOf(FuzzProtocolKind::Framed), bytes, replyOf(asString(error), ConnectionEnd::StillOpen)));
  auto described =
      describeExchange(protocolOf(FuzzProtocolKind::Framed), bytes, replyOf(asString(error), ConnectionEnd::Reset));
  CHECK(described.find("ERROR HANDSHAKE_REQUIRED") != std::string::npos);
}

TEST_CASE("different server behaviour sets different feedback counters", "[unit][blackbox]") {
  auto input = net::asBytes("hello");
  std::array<std::uint8_t, kFeedbackCounters> echoed{}, reset{};
  recordReplyFeatures(protocolOf(FuzzProtocolKind::Echo), input, replyOf("hello", ConnectionEnd::OrderlyClose), echoed);
  recordReplyFeatures(protocolOf(FuzzProtocolKind::Echo), input, replyOf("", ConnectionEnd::Reset), reset);
  CHECK(echoed != reset);
  std::array<std::uint8_t, kFeedbackCounters> again{};
  recordReplyFeatures(protocolOf(FuzzProtocolKind::Echo), input, replyOf("hello", ConnectionEnd::OrderlyClose), again);
  CHECK(echoed == again);
}

TEST_CASE("reproducers: named by kind and signature, the shortest kept, read back with the sidecar",
          "[unit][blackbox]") {
  std::string folder = testing::tempFilePath("reproducers");
  std::filesystem::create_directories(folder);
  ReproducerInfo info{Finding{FindingKind::Crash, "target killed by SIGABRT", "crash: killed by SIGABRT"},
                      "echo",
                      "'server'",
                      "--target-cmd 'server'",
                      10,
                      0.5};
  auto first = saveReproducer(folder, {1, 2, 3, 4}, info);
  REQUIRE(first);
  CHECK(std::filesystem::path(first->path).filename().string().rfind("crash-", 0) == 0);
  CHECK_FALSE(first->kept);
  auto longer = saveReproducer(folder, {1, 2, 3, 4, 5}, info);
  REQUIRE(longer);
  CHECK(longer->path == first->path);
  CHECK(longer->kept);
  auto shorter = saveReproducer(folder, {9, 9}, info);
  REQUIRE(shorter);
  CHECK_FALSE(shorter->kept);

  auto loaded = loadReproducer(first->path);
  REQUIRE(loaded);
  CHECK(loaded->input == std::vector<std::uint8_t>{9, 9});
  CHECK(loaded->service == std::optional<std::string>("echo"));
  CHECK(loaded->kind == std::optional<std::string>("crash"));
  auto listed = expandReproducerPaths({folder});
  REQUIRE(listed);
  CHECK(*listed == std::vector<std::string>{first->path});
  // A shell glob names the reproducer and its sidecar: the reproducer, once, in either order.
  auto globbed = expandReproducerPaths({first->path, first->path + ".json"});
  REQUIRE(globbed);
  CHECK(*globbed == std::vector<std::string>{first->path});
  auto sidecarFirst = expandReproducerPaths({first->path + ".json", first->path});
  REQUIRE(sidecarFirst);
  CHECK(*sidecarFirst == std::vector<std::string>{first->path});
  // A .json file with no reproducer beside it is taken as given (a reproducer may be named so).
  testing::writeFileOrFail(folder + "/lonely.json", "x");
  auto lonely = expandReproducerPaths({folder + "/lonely.json"});
  REQUIRE(lonely);
  CHECK(*lonely == std::vector<std::string>{folder + "/lonely.json"});

  testing::writeFileOrFail(first->path + ".json", "{not json");
  auto broken = loadReproducer(first->path);
  REQUIRE_FALSE(broken);
  CHECK(broken.error() == first->path + ".json: not a JSON object (a reproducer's sidecar)");
}

namespace {

// The scenario `replay --write-scenarios` writes for `input`, parsed back.
scenario::Scenario parsedRegressionScenario(proto::Service service, const std::vector<std::uint8_t>& input,
                                            const std::string& name = "crash-00000000000000aa") {
  RegressionScenarioSource source;
  source.name = name;
  source.path = "findings/" + name;
  source.kind = "crash";
  source.service = service;
  source.input = input;
  std::string text = regressionScenarioText(source);
  auto parsed = scenario::parseScenario(text, "regression.scn");
  INFO(text);
  if (!parsed) FAIL(parsed.error().front().describe());
  return *parsed;
}

// The bytes of every step with `verb`, in order: sent data for send, expected bytes for recv.
std::string bytesOfSteps(const scenario::Scenario& parsed, scenario::Verb verb) {
  std::string bytes;
  for (const auto& step : parsed.steps) {
    if (step.verb != verb) continue;
    bytes += verb == scenario::Verb::Send ? step.arguments.at(1).text
                                          : (step.expect.data ? step.expect.data->text() : std::string());
  }
  return bytes;
}

}  // namespace

TEST_CASE("a reproducer becomes a scenario that sends its bytes and expects what the service owes",
          "[unit][blackbox]") {
  SECTION("echo: the bytes back, then EOF, then the server still accepts") {
    std::vector<std::uint8_t> input{'a', 0xde, 0xad, '\n', 0x00, '"'};
    auto parsed = parsedRegressionScenario(proto::Service::Echo, input);
    std::string sent(input.begin(), input.end());
    CHECK(parsed.id == "regression.echo.crash-00000000000000aa");
    CHECK(parsed.requirements == std::vector<std::string>{"target"});
    CHECK(bytesOfSteps(parsed, scenario::Verb::Send) == sent);
    CHECK(bytesOfSteps(parsed, scenario::Verb::Recv) == sent);
    REQUIRE(parsed.steps.size() >= 4);
    CHECK(parsed.steps[1].verb == scenario::Verb::ConnectTarget);
    // The last connection: the server still accepts.
    CHECK(parsed.steps[parsed.steps.size() - 2].verb == scenario::Verb::ConnectTarget);
    auto eof = std::find_if(parsed.steps.begin(), parsed.steps.end(),
                            [](const auto& step) { return step.expect.kind == scenario::Expectation::Kind::Eof; });
    CHECK(eof != parsed.steps.end());
  }
  SECTION("framed: the replies a FramedSession gives the same bytes") {
    std::vector<std::uint8_t> input;
    for (const auto& seed : seedInputs(protocolOf(FuzzProtocolKind::Framed))) input.insert(input.end(), seed.begin(), seed.end());
    input.insert(input.end(), {0x01, 0x55, 0x00, 0x00, 0x00, 0x00});  // after BYE: never answered
    std::vector<std::uint8_t> owed;
    proto::FramedSession session;
    (void)session.onBytes(input, owed);
    REQUIRE_FALSE(owed.empty());
    auto parsed = parsedRegressionScenario(proto::Service::Framed, input);
    CHECK(bytesOfSteps(parsed, scenario::Verb::Send) == std::string(input.begin(), input.end()));
    CHECK(bytesOfSteps(parsed, scenario::Verb::Recv) == std::string(owed.begin(), owed.end()));
  }
  SECTION("a long input goes out in steps that fit the language's lines") {
    std::vector<std::uint8_t> input(1300);
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<std::uint8_t>(i * 7);
    auto parsed = parsedRegressionScenario(proto::Service::Echo, input);
    auto sends = std::count_if(parsed.steps.begin(), parsed.steps.end(),
                               [](const auto& step) { return step.verb == scenario::Verb::Send; });
    CHECK(sends == 3);
    CHECK(bytesOfSteps(parsed, scenario::Verb::Send) == std::string(input.begin(), input.end()));
    CHECK(bytesOfSteps(parsed, scenario::Verb::Recv) == std::string(input.begin(), input.end()));
  }
  SECTION("a file name the id syntax does not allow is made to fit it") {
    auto parsed = parsedRegressionScenario(proto::Service::Echo, {'x'}, "Crash 01+x");
    CHECK(parsed.id == "regression.echo.crash-01-x");
  }
}

namespace {

// The --service any scenario for `messages`, written with its side files into a folder and parsed from there
// (a send-file step reads its file when the scenario is parsed).
scenario::Scenario parsedAnyScenario(const std::vector<std::string>& messages, bool datagram, const std::string& probe) {
  std::vector<std::vector<std::uint8_t>> bytes;
  for (const auto& message : messages) bytes.emplace_back(message.begin(), message.end());
  auto input = joinConversation(bytes);
  RegressionScenarioSource source;
  source.name = "crash-00000000000000bb";
  source.path = "findings/" + source.name;
  source.kind = "crash";
  source.input = input;
  source.any = true;
  source.datagram = datagram;
  source.probe = probe;
  std::string folder = testing::tempFilePath("any-scenario");
  std::filesystem::create_directories(folder);
  for (const auto& [name, content] : regressionScenarioFiles(source)) testing::writeFileOrFail(folder + "/" + name, content);
  std::string path = folder + "/" + regressionScenarioId(source) + ".scn";
  std::string text = regressionScenarioText(source);
  testing::writeFileOrFail(path, text);
  auto parsed = scenario::parseScenarioFile(path);
  INFO(text);
  if (!parsed) FAIL(parsed.error().front().describe());
  return *parsed;
}

std::vector<scenario::Verb> verbsOf(const scenario::Scenario& parsed) {
  std::vector<scenario::Verb> verbs;
  for (const auto& step : parsed.steps) verbs.push_back(step.verb);
  return verbs;
}

}  // namespace

TEST_CASE("an any reproducer becomes a scenario: its messages, then the server still answers the probe",
          "[unit][blackbox]") {
  using V = scenario::Verb;
  SECTION("a stream: each message sent, the rest read until the close, then the probe on a new connection") {
    auto parsed = parsedAnyScenario({"LOGIN admin\n", "", "STAT\n"}, false, "PING\n");
    CHECK(parsed.id == "regression.any.crash-00000000000000bb");
    CHECK(parsed.requirements == std::vector<std::string>{"target"});
    // The empty message between sends nothing on a stream.
    CHECK(verbsOf(parsed) == std::vector<V>{V::Socket, V::ConnectTarget, V::Send, V::Send, V::Shutdown, V::ReadEof,
                                            V::Close, V::Socket, V::ConnectTarget, V::Send, V::Read, V::Close});
    CHECK(bytesOfSteps(parsed, V::Send) == "LOGIN admin\nSTAT\nPING\n");
    CHECK(parsed.steps[5].expect.kind == scenario::Expectation::Kind::Any);  // a correct reply is not known
    CHECK(parsed.steps[10].expect.kind == scenario::Expectation::Kind::Success);  // the probe must be answered
  }
  SECTION("datagrams: one send each, an empty one too, a long one from a file beside the scenario") {
    std::string longOne(600, 'x');
    auto parsed = parsedAnyScenario({"a", "", longOne}, true, "PING");
    CHECK(verbsOf(parsed) == std::vector<V>{V::Socket, V::ConnectTarget, V::Send, V::Send, V::SendFile, V::Close,
                                            V::Socket, V::ConnectTarget, V::Send, V::Recv, V::Close});
    CHECK(parsed.families == std::vector<scenario::Family>{scenario::Family::Udp4, scenario::Family::Udp6});
    CHECK(parsed.steps[4].arguments.at(1).fileBytes == longOne);  // the file's bytes, read at parse time
  }
  SECTION("without a probe: only that the server still accepts") {
    auto parsed = parsedAnyScenario({"QUIT now\n"}, false, "");
    CHECK(verbsOf(parsed) == std::vector<V>{V::Socket, V::ConnectTarget, V::Send, V::Shutdown, V::ReadEof, V::Close,
                                            V::Socket, V::ConnectTarget, V::Close});
  }
}
