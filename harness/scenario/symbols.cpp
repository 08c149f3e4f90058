#include "scenario/symbols.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstddef>

namespace sockspec::scenario {

namespace {

// A row's name and its constant from one token, so that the two cannot disagree ({"SO_RCVBUF", SO_SNDBUF}).
// packetdrill's symbols_linux.c writes both; here # makes the name from the constant's own spelling.
#define SOCKSPEC_SYMBOL(constant) #constant, constant

// Row order is the order parse errors list the names of one role in ("expected a flag: MSG_DONTWAIT, ...").
constexpr std::array kMessageFlags{
    MessageFlag{SOCKSPEC_SYMBOL(MSG_PEEK), {.receive = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_WAITALL), {.receive = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_TRUNC), {.receive = true, .reported = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_CTRUNC), {.reported = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_EOR), {.reported = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_DONTWAIT), {.send = true, .receive = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_MORE), {.send = true}},
    MessageFlag{SOCKSPEC_SYMBOL(MSG_OOB), {.send = true, .reported = true}},
};

// Row order is the order "expected option: one of ..." lists them in.
constexpr std::array kSocketOptions{
    SocketOption{SOCKSPEC_SYMBOL(SO_REUSEADDR), SOL_SOCKET, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(SO_REUSEPORT), SOL_SOCKET, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(SO_LINGER), SOL_SOCKET, OptionValue::Linger},
    SocketOption{SOCKSPEC_SYMBOL(SO_RCVBUF), SOL_SOCKET, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(SO_SNDBUF), SOL_SOCKET, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(SO_RCVTIMEO), SOL_SOCKET, OptionValue::TimeoutMs},
    SocketOption{SOCKSPEC_SYMBOL(SO_SNDTIMEO), SOL_SOCKET, OptionValue::TimeoutMs},
    SocketOption{SOCKSPEC_SYMBOL(TCP_NODELAY), IPPROTO_TCP, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(TCP_SYNCNT), IPPROTO_TCP, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(SO_KEEPALIVE), SOL_SOCKET, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(IPV6_V6ONLY), IPPROTO_IPV6, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(TCP_QUICKACK), IPPROTO_TCP, OptionValue::Integer},
    SocketOption{SOCKSPEC_SYMBOL(TCP_DEFER_ACCEPT), IPPROTO_TCP, OptionValue::Integer},
};

#undef SOCKSPEC_SYMBOL

constexpr std::array kSocketModes{NamedValue<int>{"nonblocking", SOCK_NONBLOCK}};
// "unnamed" is accepted and bound like "loopback" (runner/step_runner.cpp): the runner has always done so.
constexpr std::array kBindAddresses{NamedValue<BindAddress>{"loopback", BindAddress::Loopback},
                                    NamedValue<BindAddress>{"any", BindAddress::Any},
                                    NamedValue<BindAddress>{"unnamed", BindAddress::Unnamed}};
constexpr std::array kShutdownHows{NamedValue<int>{"rd", SHUT_RD}, NamedValue<int>{"wr", SHUT_WR},
                                   NamedValue<int>{"rdwr", SHUT_RDWR}};
constexpr std::array kReadinessEvents{NamedValue<short>{"readable", POLLIN},
                                      NamedValue<short>{"writable", POLLOUT}};
constexpr std::array kCheckKeys{
    NamedValue<CheckKey>{"accept-queue", CheckKey::AcceptQueue},
    NamedValue<CheckKey>{"backlog", CheckKey::Backlog},
    NamedValue<CheckKey>{"state", CheckKey::State},
    NamedValue<CheckKey>{"error", CheckKey::Error},
    NamedValue<CheckKey>{"readable-bytes", CheckKey::ReadableBytes},
    NamedValue<CheckKey>{"unsent-bytes", CheckKey::UnsentBytes},
    NamedValue<CheckKey>{"time-wait", CheckKey::TimeWait},
};
constexpr std::array kWireAssertions{
    NamedValue<WireAssertion>{"handshake", WireAssertion::Handshake},
    NamedValue<WireAssertion>{"first-fin", WireAssertion::FirstFin},
    NamedValue<WireAssertion>{"fin-data", WireAssertion::FinData},
    NamedValue<WireAssertion>{"no-fin", WireAssertion::NoFin},
    NamedValue<WireAssertion>{"rst", WireAssertion::Rst},
    NamedValue<WireAssertion>{"rst-to", WireAssertion::RstTo},
    NamedValue<WireAssertion>{"no-rst", WireAssertion::NoRst},
    NamedValue<WireAssertion>{"syn-retransmits", WireAssertion::SynRetransmits},
    NamedValue<WireAssertion>{"no-syn-ack", WireAssertion::NoSynAck},
    NamedValue<WireAssertion>{"time-wait", WireAssertion::TimeWait},
};
constexpr std::array kLengthFields{
    NamedValue<LengthField>{"u8", {1, true}},     NamedValue<LengthField>{"u16be", {2, true}},
    NamedValue<LengthField>{"u16le", {2, false}}, NamedValue<LengthField>{"u32be", {4, true}},
    NamedValue<LengthField>{"u32le", {4, false}},
};
// Named as pattern::patternKindName names them, so messages and scenarios say the same word.
constexpr std::array kDataMatchers{
    NamedValue<pattern::PatternKind>{"prefix", pattern::PatternKind::Prefix},
    NamedValue<pattern::PatternKind>{"contains", pattern::PatternKind::Contains},
    NamedValue<pattern::PatternKind>{"matches", pattern::PatternKind::Regex},
};
constexpr std::array<std::string_view, 10> kCounterNames{
    "ListenOverflows", "ListenDrops",    "EmbryonicRsts",        "TCPAbortOnClose", "TCPAbortOnData",
    "TCPAbortOnLinger", "SyncookiesSent", "SyncookiesRecv", "TCPReqQFullDoCookies", "TCPReqQFullDrop"};

// The names of `rows`, in their order: the word lists of the verb table and its messages.
template <typename Row, std::size_t N>
constexpr std::array<std::string_view, N> namesOf(const std::array<Row, N>& rows) {
  std::array<std::string_view, N> names{};
  for (std::size_t i = 0; i < N; ++i) names[i] = rows[i].name;
  return names;
}

// The names of the flags that have `Role`, in table order.
template <bool FlagRoles::*Role>
constexpr auto flagNamesWith() {
  constexpr auto count = static_cast<std::size_t>(std::count_if(
      kMessageFlags.begin(), kMessageFlags.end(), [](const MessageFlag& flag) { return flag.roles.*Role; }));
  std::array<std::string_view, count> names{};
  std::size_t next = 0;
  for (const auto& flag : kMessageFlags) {
    if (flag.roles.*Role) names[next++] = flag.name;
  }
  return names;
}

constexpr auto kSendFlagNames = flagNamesWith<&FlagRoles::send>();
constexpr auto kRecvFlagNames = flagNamesWith<&FlagRoles::receive>();
constexpr auto kReportedFlagNames = flagNamesWith<&FlagRoles::reported>();
constexpr auto kSocketOptionNames = namesOf(kSocketOptions);
constexpr auto kSocketModeNames = namesOf(kSocketModes);
constexpr auto kBindAddressNames = namesOf(kBindAddresses);
constexpr auto kShutdownHowNames = namesOf(kShutdownHows);
constexpr auto kReadinessNames = namesOf(kReadinessEvents);
constexpr auto kCheckKeyNames = namesOf(kCheckKeys);
constexpr auto kWireAssertionNames = namesOf(kWireAssertions);
constexpr auto kLengthFieldNames = namesOf(kLengthFields);
constexpr auto kDataMatcherNames = namesOf(kDataMatchers);

template <typename Row, std::size_t N>
const Row* findByName(const std::array<Row, N>& rows, std::string_view name) {
  for (const Row& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

}  // namespace

std::span<const MessageFlag> messageFlags() { return kMessageFlags; }
const MessageFlag* findMessageFlag(std::string_view name) { return findByName(kMessageFlags, name); }
std::span<const std::string_view> sendFlagNames() { return kSendFlagNames; }
std::span<const std::string_view> recvFlagNames() { return kRecvFlagNames; }
std::span<const std::string_view> reportedFlagNames() { return kReportedFlagNames; }

int reportedFlagBits() {
  int bits = 0;
  for (const auto& flag : kMessageFlags) {
    if (flag.roles.reported) bits |= flag.bit;
  }
  return bits;
}

std::span<const SocketOption> socketOptions() { return kSocketOptions; }
const SocketOption* findSocketOption(std::string_view name) { return findByName(kSocketOptions, name); }
std::span<const std::string_view> socketOptionNames() { return kSocketOptionNames; }

std::span<const NamedValue<int>> socketModes() { return kSocketModes; }
std::span<const std::string_view> socketModeNames() { return kSocketModeNames; }
std::span<const NamedValue<BindAddress>> bindAddresses() { return kBindAddresses; }
std::span<const std::string_view> bindAddressNames() { return kBindAddressNames; }
std::span<const NamedValue<int>> shutdownHows() { return kShutdownHows; }
std::span<const std::string_view> shutdownHowNames() { return kShutdownHowNames; }
std::span<const NamedValue<short>> readinessEvents() { return kReadinessEvents; }
std::span<const std::string_view> readinessNames() { return kReadinessNames; }
std::span<const NamedValue<CheckKey>> checkKeys() { return kCheckKeys; }
std::span<const std::string_view> checkKeyNames() { return kCheckKeyNames; }
std::span<const NamedValue<WireAssertion>> wireAssertions() { return kWireAssertions; }
std::span<const std::string_view> wireAssertionNames() { return kWireAssertionNames; }
std::span<const std::string_view> counterNames() { return kCounterNames; }
std::span<const NamedValue<LengthField>> lengthFields() {
  return kLengthFields;
}
std::span<const std::string_view> lengthFieldNames() {
  return kLengthFieldNames;
}
std::span<const NamedValue<pattern::PatternKind>> dataMatchers() {
  return kDataMatchers;
}
std::span<const std::string_view> dataMatcherNames() {
  return kDataMatcherNames;
}

}  // namespace sockspec::scenario
