// The symbols table of the scenario language (scenario/symbols.h): every name maps to its value and back,
// no name is defined twice, every symbol is accepted where the language puts it, and a name the table lacks
// is a parse error at its line and column, never something the runner would have to guess at.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "scenario/parser.h"
#include "scenario/printer.h"
#include "scenario/symbols.h"

using namespace sockspec::scenario;

namespace {

std::string joined(std::span<const std::string_view> names) {
  std::string text;
  for (std::string_view name : names) text += (text.empty() ? "" : ", ") + std::string(name);
  return text;
}

// Name <-> value both ways, and neither repeated, in one table of words.
template <typename Value>
void checkNamedValues(std::span<const NamedValue<Value>> symbols, std::span<const std::string_view> names) {
  REQUIRE(names.size() == symbols.size());
  std::set<std::string_view> seenNames;
  std::set<Value> seenValues;
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const auto& symbol = symbols[i];
    INFO(symbol.name);
    CHECK_FALSE(symbol.name.empty());
    CHECK(names[i] == symbol.name);
    CHECK(seenNames.insert(symbol.name).second);
    CHECK(seenValues.insert(symbol.value).second);
    CHECK(valueOf(symbols, symbol.name) == symbol.value);
    CHECK(nameOf(symbols, symbol.value) == symbol.name);
  }
  CHECK_FALSE(valueOf(symbols, "no-such-word").has_value());
}

std::string withHeader(std::string_view steps) {
  return std::string("scenario x\nfamilies tcp4\nsource \"s\"\n") + std::string(steps);
}

std::string firstError(std::string_view text) {
  auto parsed = parseScenario(text, "t.scn");
  if (parsed) return "(parsed)";
  return parsed.error().front().describe();
}

}  // namespace

TEST_CASE("every MSG_* flag maps name to bit and back, with at least one role") {
  std::set<std::string_view> names;
  std::set<int> bits;
  for (const MessageFlag& flag : messageFlags()) {
    INFO(flag.name);
    CHECK(flag.name.starts_with("MSG_"));
    CHECK(names.insert(flag.name).second);
    CHECK(flag.bit != 0);
    CHECK(bits.insert(flag.bit).second);  // so a bit names one flag
    CHECK(findMessageFlag(flag.name) == &flag);
    CHECK((flag.roles.send || flag.roles.receive || flag.roles.reported));
  }
  CHECK(findMessageFlag("MSG_BOGUS") == nullptr);
  CHECK(findMessageFlag("msg_peek") == nullptr);
  // A few bits against the kernel's constants, written apart from the table on purpose.
  CHECK(findMessageFlag("MSG_PEEK")->bit == MSG_PEEK);
  CHECK(findMessageFlag("MSG_TRUNC")->bit == MSG_TRUNC);
  CHECK(findMessageFlag("MSG_DONTWAIT")->bit == MSG_DONTWAIT);
  CHECK(reportedFlagBits() == (MSG_TRUNC | MSG_CTRUNC | MSG_EOR | MSG_OOB));
}

TEST_CASE("the flags of each role are listed in the order the parse errors have always given") {
  CHECK(joined(sendFlagNames()) == "MSG_DONTWAIT, MSG_MORE, MSG_OOB");
  CHECK(joined(recvFlagNames()) == "MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_DONTWAIT");
  CHECK(joined(reportedFlagNames()) == "MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB");
  for (std::string_view name : sendFlagNames()) CHECK(findMessageFlag(name)->roles.send);
  for (std::string_view name : recvFlagNames()) CHECK(findMessageFlag(name)->roles.receive);
  for (std::string_view name : reportedFlagNames()) CHECK(findMessageFlag(name)->roles.reported);
}

TEST_CASE("every socket option maps name to level, optname and value kind, and back") {
  std::set<std::string_view> names;
  std::set<std::pair<int, int>> levelAndNames;
  REQUIRE(socketOptionNames().size() == socketOptions().size());
  for (std::size_t i = 0; i < socketOptions().size(); ++i) {
    const SocketOption& option = socketOptions()[i];
    INFO(option.name);
    CHECK(socketOptionNames()[i] == option.name);
    CHECK(names.insert(option.name).second);
    CHECK(levelAndNames.insert({option.level, option.optname}).second);
    CHECK(findSocketOption(option.name) == &option);
    // The level follows from the name's prefix (socket(7), tcp(7), ipv6(7)).
    if (option.name.starts_with("SO_"))
      CHECK(option.level == SOL_SOCKET);
    else if (option.name.starts_with("TCP_"))
      CHECK(option.level == IPPROTO_TCP);
    else if (option.name.starts_with("IPV6_"))
      CHECK(option.level == IPPROTO_IPV6);
    else
      FAIL("an option name with an unknown prefix");
  }
  CHECK(findSocketOption("SO_BOGUS") == nullptr);
  CHECK(joined(socketOptionNames()) ==
        "SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_RCVTIMEO, SO_SNDTIMEO, TCP_NODELAY, "
        "TCP_SYNCNT, SO_KEEPALIVE, IPV6_V6ONLY, TCP_QUICKACK, TCP_DEFER_ACCEPT");
  CHECK(findSocketOption("SO_LINGER")->value == OptionValue::Linger);
  CHECK(findSocketOption("SO_RCVTIMEO")->value == OptionValue::TimeoutMs);
  CHECK(findSocketOption("SO_SNDTIMEO")->value == OptionValue::TimeoutMs);
  CHECK(findSocketOption("TCP_NODELAY")->optname == TCP_NODELAY);
  CHECK(findSocketOption("SO_RCVBUF")->optname == SO_RCVBUF);
}

TEST_CASE("the MSG_* and option names are all different") {
  std::set<std::string_view> names;
  for (const auto& flag : messageFlags()) CHECK(names.insert(flag.name).second);
  for (const auto& option : socketOptions()) CHECK(names.insert(option.name).second);
}

TEST_CASE("every word a step takes maps to its value and back") {
  checkNamedValues(socketModes(), socketModeNames());
  checkNamedValues(bindAddresses(), bindAddressNames());
  checkNamedValues(shutdownHows(), shutdownHowNames());
  checkNamedValues(readinessEvents(), readinessNames());
  checkNamedValues(checkKeys(), checkKeyNames());
  checkNamedValues(wireAssertions(), wireAssertionNames());
  checkNamedValues(lengthFields(), lengthFieldNames());
  checkNamedValues(dataMatchers(), dataMatcherNames());
  // The matchers are named as pattern::patternKindName names them (messages and scenarios say the same).
  for (const auto& matcher : dataMatchers())
    CHECK(sockspec::pattern::patternKindName(matcher.value) == matcher.name);
  CHECK(valueOf(lengthFields(), "u16le") == LengthField{2, false});
  CHECK(valueOf(lengthFields(), "u32be") == LengthField{4, true});
  // Every enumerator has a row: the values are distinct (above) and as many as the enumerators.
  CHECK(checkKeys().size() == static_cast<std::size_t>(CheckKey::TimeWait) + 1);
  CHECK(wireAssertions().size() == static_cast<std::size_t>(WireAssertion::TimeWait) + 1);
  CHECK(bindAddresses().size() == static_cast<std::size_t>(BindAddress::Unnamed) + 1);
  std::set<std::string_view> counters(counterNames().begin(), counterNames().end());
  CHECK(counters.size() == counterNames().size());
}

TEST_CASE("every symbol parses where the language puts it and prints back the same") {
  std::string steps = "s = socket\n";
  int sockets = 0;
  for (std::string_view mode : socketModeNames())
    steps += "m" + std::to_string(++sockets) + " = socket " + std::string(mode) + "\n";
  for (std::string_view where : bindAddressNames()) steps += "bind s " + std::string(where) + "\n";
  for (std::string_view flag : sendFlagNames()) steps += "send s \"x\" " + std::string(flag) + "\n";
  for (std::string_view flag : recvFlagNames()) {
    steps += "recv s 1 " + std::string(flag) + "\n";
    steps += "recvmsg s 1 " + std::string(flag) + "\n";
  }
  for (std::string_view flag : reportedFlagNames())
    steps += "recvmsg s 1 -> \"x\" " + std::string(flag) + "\n";
  for (const SocketOption& option : socketOptions()) {
    steps += "setsockopt s " + std::string(option.name) +
             (option.value == OptionValue::Linger ? " 1 0\n" : " 1\n");
  }
  for (std::string_view how : shutdownHowNames()) steps += "shutdown s " + std::string(how) + "\n";
  for (std::string_view readiness : readinessNames()) steps += "wait s " + std::string(readiness) + "\n";
  for (std::string_view key : checkKeyNames()) steps += "check s " + std::string(key) + " -> 0\n";
  for (std::string_view counter : counterNames()) steps += "counter " + std::string(counter) + " -> 0\n";
  for (std::string_view field : lengthFieldNames()) steps += "read-prefixed s " + std::string(field) + "\n";
  for (std::string_view matcher : dataMatcherNames())
    steps += "read-line s -> " + std::string(matcher) + " \"x\"\n";
  for (const auto& assertion : wireAssertions()) {
    steps += "wire " + std::string(assertion.name) + " s" +
             (assertion.value == WireAssertion::SynRetransmits ? " -> 1\n" : "\n");
  }
  auto parsed = parseScenario(withHeader(steps), "symbols.scn");
  INFO(steps);
  if (!parsed) FAIL(parsed.error().front().describe());
  const std::string printed = printScenario(*parsed);
  auto again = parseScenario(printed, "symbols.scn");
  if (!again) FAIL(again.error().front().describe());
  CHECK(*again == *parsed);
  CHECK(printScenario(*again) == printed);
}

TEST_CASE("a name the symbols table lacks is a parse error naming line and column") {
  const std::string socket = "s = socket\n";
  CHECK(firstError(withHeader(socket + "setsockopt s SO_BOGUS 1\n")) ==
        "t.scn:5:14: expected option: one of SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, SO_RCVBUF, SO_SNDBUF, "
        "SO_RCVTIMEO, SO_SNDTIMEO, TCP_NODELAY, TCP_SYNCNT, SO_KEEPALIVE, IPV6_V6ONLY, TCP_QUICKACK, TCP_DEFER_ACCEPT, found "
        "'SO_BOGUS' (usage: setsockopt SOCKET OPTION VALUE [VALUE])");
  CHECK(firstError(withHeader(socket + "setsockopt s TCP_CORK 1\n"))
            .starts_with("t.scn:5:14: expected option: one of SO_REUSEADDR, "));
  CHECK(firstError(withHeader(socket + "send s \"x\" MSG_BOGUS\n")) ==
        "t.scn:5:12: expected a flag: MSG_DONTWAIT, MSG_MORE, MSG_OOB, found 'MSG_BOGUS'");
  // A flag of another role is as unknown as a made-up one.
  CHECK(firstError(withHeader(socket + "send s \"x\" MSG_PEEK\n")) ==
        "t.scn:5:12: expected a flag: MSG_DONTWAIT, MSG_MORE, MSG_OOB, found 'MSG_PEEK'");
  CHECK(firstError(withHeader(socket + "recv s 4 MSG_MORE\n")) ==
        "t.scn:5:10: expected a flag: MSG_PEEK, MSG_WAITALL, MSG_TRUNC, MSG_DONTWAIT, found 'MSG_MORE'");
  CHECK(firstError(withHeader(socket + "recvmsg s 4 -> \"x\" MSG_PEEK\n")) ==
        "t.scn:5:20: expected a msg_flags name (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_OOB), found 'MSG_PEEK'");
  CHECK(firstError(withHeader(socket + "shutdown s both\n")) ==
        "t.scn:5:12: expected how: one of rd, wr, rdwr, found 'both' (usage: shutdown SOCKET rd|wr|rdwr)");
  CHECK(firstError(withHeader(socket + "check s queue -> 0\n"))
            .starts_with("t.scn:5:9: expected what: one of accept-queue, backlog, state, error, "
                         "readable-bytes, unsent-bytes, "
                         "time-wait, found 'queue'"));
}
