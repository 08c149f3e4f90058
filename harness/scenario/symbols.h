// The symbolic names of the scenario language and what each stands for, every name spelled once (as
// packetdrill's symbols_linux.c): MSG_* flags with their bits and where each may be written, socket options
// with their level, optname and kind of value, and the words that steps take (socket modes, bind addresses,
// shutdown's how, wait's readiness, check keys, wire assertions, TcpExt counters). The verb table takes
// its word lists from here; the runner and its messages map the same names back to values here.
#pragma once

#include <compare>
#include <optional>
#include <span>
#include <string_view>

#include "pattern/byte_pattern.h"

namespace sockspec::scenario {

// Where a MSG_* name may be written. A name may have several roles (MSG_TRUNC is a recv flag and a
// msg_flags bit, recv(2)).
struct FlagRoles {
  bool send = false;      // send's FLAGS: the flags argument of send(2)
  bool receive = false;   // recv's and recvmsg's FLAGS: the flags argument of recv(2)
  bool reported = false;  // a recvmsg expectation: bits the kernel sets in msghdr.msg_flags (recvmsg(2))
};

struct MessageFlag {
  std::string_view name;  // "MSG_PEEK"
  int bit;                // MSG_PEEK
  FlagRoles roles;
};

// How setsockopt's VALUE arguments become the option's value (socket(7)).
enum class OptionValue {
  Integer,    // an int
  Linger,     // struct linger {l_onoff, l_linger}: two arguments, on and seconds
  TimeoutMs,  // struct timeval, written in milliseconds
};

struct SocketOption {
  std::string_view name;  // "SO_REUSEADDR"
  int optname;            // SO_REUSEADDR
  int level;              // SOL_SOCKET, IPPROTO_TCP, IPPROTO_IPV6
  OptionValue value;
};

// A word of a step's argument and what it stands for.
template <typename Value>
struct NamedValue {
  std::string_view name;
  Value value;
};

// bind's optional second argument. The runner binds Any to the wildcard and the others to a fresh loopback
// address or unix path (runner/step_runner.cpp).
enum class BindAddress { Loopback, Any, Unnamed };

// What `check SOCKET WHAT` reads (docs/scenario-language.md).
enum class CheckKey { AcceptQueue, Backlog, State, Error, ReadableBytes, UnsentBytes, TimeWait };

// What `wire ASSERTION SOCKET` asserts on the captured packets (runner/wire_assertions.h).
enum class WireAssertion {
  Handshake,
  FirstFin,
  FinData,
  NoFin,
  Rst,
  RstTo,
  NoRst,
  SynRetransmits,  // the only one that takes "-> COUNT"
  NoSynAck,
  TimeWait,
};

// read-prefixed's length field: its width in bytes and byte order.
struct LengthField {
  int width = 1;  // 1, 2 or 4
  bool bigEndian = true;
  auto operator<=>(const LengthField&) const = default;
};

std::span<const MessageFlag> messageFlags();
const MessageFlag* findMessageFlag(std::string_view name);  // nullptr for a name the table lacks
// The names with one role, in table order (the order parse errors list them in).
std::span<const std::string_view> sendFlagNames();
std::span<const std::string_view> recvFlagNames();
std::span<const std::string_view> reportedFlagNames();
// The bits of every flag a recvmsg expectation may name: the ones it must name exactly.
int reportedFlagBits();

std::span<const SocketOption> socketOptions();
const SocketOption* findSocketOption(std::string_view name);  // nullptr for a name the table lacks
std::span<const std::string_view> socketOptionNames();

std::span<const NamedValue<int>> socketModes();  // socket's optional mode: "nonblocking" (SOCK_NONBLOCK)
std::span<const std::string_view> socketModeNames();
std::span<const NamedValue<BindAddress>> bindAddresses();
std::span<const std::string_view> bindAddressNames();
std::span<const NamedValue<int>> shutdownHows();  // "rd" (SHUT_RD), "wr", "rdwr"
std::span<const std::string_view> shutdownHowNames();
std::span<const NamedValue<short>> readinessEvents();  // "readable" (POLLIN), "writable" (POLLOUT)
std::span<const std::string_view> readinessNames();
std::span<const NamedValue<CheckKey>> checkKeys();
std::span<const std::string_view> checkKeyNames();
std::span<const NamedValue<WireAssertion>> wireAssertions();
std::span<const std::string_view> wireAssertionNames();
std::span<const NamedValue<LengthField>> lengthFields();  // "u8", "u16be", "u16le", "u32be", "u32le"
std::span<const std::string_view> lengthFieldNames();
// The words before a pattern in an expectation: "prefix", "contains", "matches" (exact bytes have none).
std::span<const NamedValue<pattern::PatternKind>> dataMatchers();
std::span<const std::string_view> dataMatcherNames();
// counter: TcpExt counters of /proc/net/netstat (include/uapi/linux/snmp.h) that scenarios cite; the
// runner looks them up in the file by these names.
std::span<const std::string_view> counterNames();

// The value `name` stands for in `symbols`, or nullopt.
template <typename Value>
std::optional<Value> valueOf(std::span<const NamedValue<Value>> symbols, std::string_view name) {
  for (const auto& symbol : symbols) {
    if (symbol.name == name) return symbol.value;
  }
  return std::nullopt;
}

// The name of `value` in `symbols`, or "?".
template <typename Value>
std::string_view nameOf(std::span<const NamedValue<Value>> symbols, Value value) {
  for (const auto& symbol : symbols) {
    if (symbol.value == value) return symbol.name;
  }
  return "?";
}

}  // namespace sockspec::scenario
