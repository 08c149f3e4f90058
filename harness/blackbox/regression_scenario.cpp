#include "blackbox/regression_scenario.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "blackbox/conversation.h"
#include "net/socket_ops.h"
#include "proto/framed_session.h"
#include "scenario/printer.h"

namespace sockspec::blackbox {

namespace {

// Bytes per send or receive step: escaped as \xNN each, 512 bytes stay well inside the language's
// 4096-byte lines.
constexpr std::size_t kBytesPerStep = 512;

// The bytes the service owes for `input` sent in one piece and followed by the client's EOF.
std::vector<std::uint8_t> replyBytesOwed(proto::Service service, std::span<const std::uint8_t> input) {
  if (service == proto::Service::Echo) return {input.begin(), input.end()};  // RFC 862
  std::vector<std::uint8_t> replies;
  proto::FramedSession session;
  (void)session.onBytes(input, replies);  // replies do not depend on how the bytes were split
  return replies;
}

// The most a stream's conversation may answer before its close (read-eof's limit).
constexpr std::size_t kLargestReply = 16u << 20;

// One step per kBytesPerStep bytes of `bytes`: `line(part)` writes it.
template <typename Line>
void inSteps(net::Bytes bytes, Line line) {
  for (std::size_t at = 0; at < bytes.size(); at += kBytesPerStep) {
    line(bytes.subspan(at, std::min(kBytesPerStep, bytes.size() - at)));
  }
}

// The file beside the scenario that holds message `index` of a datagram conversation.
std::string sideFileName(const RegressionScenarioSource& source, std::size_t index) {
  return fmt::format("{}.message-{}.bin", regressionScenarioId(source), index + 1);
}

// A --service any reproducer as a scenario (regression_scenario.h): its messages, then the probe.
std::string anyScenarioText(const RegressionScenarioSource& source) {
  std::string kind = source.kind.value_or("finding");
  auto messages = splitConversation(source.input);
  std::string text;
  text += fmt::format("# Made by sockspec replay --write-scenarios from {}: the {} message{} of a {} that\n",
                      source.path, messages.size(), messages.size() == 1 ? "" : "s", kind);
  text += "# sockspec fuzz --service any found. What a correct server answers them is not known here: the\n";
  text += "# scenario checks that the server takes them and then still accepts a connection and answers the probe.\n";
  text += "# Run it with: sockspec run FILE --target-cmd 'CMD {port}'";
  text += source.datagram ? " --target udp://127.0.0.1:{port}\n" : "\n";
  text += fmt::format("scenario {}\n", regressionScenarioId(source));
  text += fmt::format("title {}\n", scenario::printBytes(fmt::format(
                                        "the server takes the {} message{} of {} and still {}", messages.size(),
                                        messages.size() == 1 ? "" : "s", source.name,
                                        source.probe.empty() ? "accepts a connection" : "answers the probe")));
  text += source.datagram ? "families udp4 udp6\n" : "families tcp4 tcp6 unix\n";
  text += fmt::format("source {}\n",
                      scenario::printBytes("sockspec fuzz --service any " + kind + " " + source.name +
                                           " (black-box: the replies a correct server owes are not known)"));
  text += "requires target\n\n";
  text += "client = socket\nconnect-target client\n";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    net::Bytes message = messages[i];
    // A stream's empty message sends nothing (conversation_exchange.cpp); a datagram's is an empty datagram.
    if (message.empty() && !source.datagram) continue;
    if (message.size() > kBytesPerStep && source.datagram) {
      // One datagram, too long for a line: sent from a file beside the scenario (regressionScenarioFiles).
      text += fmt::format("send-file client {} -> {}\n", scenario::printBytes(sideFileName(source, i)), message.size());
      continue;
    }
    // An empty datagram is one step too; a stream's bytes go in steps that fit the language's lines.
    if (message.empty()) text += "send client \"\" -> 0\n";
    inSteps(message, [&](net::Bytes part) {
      text += fmt::format("send client {} -> {}\n", scenario::printBytes(net::asText(part)), part.size());
    });
  }
  if (!source.datagram) {
    text += "shutdown client wr\n";
    text += "# Whatever it answers, until it closes: the messages are all handled before the probe.\n";
    text += fmt::format("read-eof client max {} -> any\n", kLargestReply);
  }
  text += "close client\n";
  text += "# The server still accepts";
  text += source.probe.empty() ? ": a crash that stopped the listener shows here.\n"
                               : " and answers: a crash or a hang shows here.\n";
  text += "probe = socket\nconnect-target probe\n";
  if (!source.probe.empty()) {
    text += fmt::format("send probe {} -> {}\n", scenario::printBytes(source.probe), source.probe.size());
    // At least one byte of reply within the step's deadline (a datagram: one reply datagram).
    text += source.datagram ? fmt::format("recv probe {}\n", 65536) : "read probe 1\n";
  }
  text += "close probe\n";
  return text;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> regressionScenarioFiles(const RegressionScenarioSource& source) {
  std::vector<std::pair<std::string, std::string>> files;
  if (!source.any || !source.datagram) return files;
  auto messages = splitConversation(source.input);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].size() > kBytesPerStep) files.emplace_back(sideFileName(source, i), std::string(net::asText(messages[i])));
  }
  return files;
}

std::string regressionScenarioId(const RegressionScenarioSource& source) {
  std::string id = fmt::format("regression.{}.{}", source.any ? std::string_view("any") : proto::serviceName(source.service),
                               source.name);
  for (char& c : id) {
    auto u = static_cast<unsigned char>(c);
    bool allowed = std::islower(u) != 0 || std::isdigit(u) != 0 || c == '.' || c == '-' || c == '_';
    if (!allowed) c = std::isupper(u) != 0 ? static_cast<char>(std::tolower(u)) : '-';
  }
  return id;
}

std::string regressionScenarioText(const RegressionScenarioSource& source) {
  if (source.any) return anyScenarioText(source);
  std::string kind = source.kind.value_or("finding");
  std::vector<std::uint8_t> replies = replyBytesOwed(source.service, source.input);
  std::string text;
  text += fmt::format("# Made by sockspec replay --write-scenarios from {}: the {} bytes of a {}, and what a\n",
                      source.path, source.input.size(), kind);
  text += "# correct server does with them. Run it with: sockspec run FILE --target-cmd 'CMD {port}'\n";
  text += fmt::format("scenario {}\n", regressionScenarioId(source));
  text += fmt::format("title {}\n",
                      scenario::printBytes(fmt::format("the {} server answers the {} bytes of {} in full, closes "
                                                       "in order and still accepts",
                                                       proto::serviceName(source.service), source.input.size(),
                                                       source.name)));
  // Every stream family: the run keeps the one its target is and reports the others as skipped.
  text += "families tcp4 tcp6 unix\n";
  text += fmt::format("source {}\n",
                      scenario::printBytes(source.service == proto::Service::Echo
                                               ? "RFC 862 (echo); sockspec fuzz " + kind + " " + source.name
                                               : "docs/framed-protocol.md; sockspec fuzz " + kind + " " +
                                                     source.name));
  text += "requires target\n\n";
  text += "client = socket\nconnect-target client\n";
  inSteps(source.input, [&](net::Bytes part) {
    text += fmt::format("send client {} -> {}\n", scenario::printBytes(net::asText(part)), part.size());
  });
  text += "shutdown client wr\n";
  inSteps(replies, [&](net::Bytes part) {
    text += fmt::format("recv client {} MSG_WAITALL -> {}\n", part.size(), scenario::printBytes(net::asText(part)));
  });
  text += "recv client 1 -> eof\nclose client\n";
  text += "# The server still accepts: a crash that only stopped the listener shows here.\n";
  text += "probe = socket\nconnect-target probe\nclose probe\n";
  return text;
}

}  // namespace sockspec::blackbox
