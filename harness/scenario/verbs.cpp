#include "scenario/verbs.h"

#include <array>

namespace sockspec::scenario {

namespace {

constexpr std::array<std::string_view, 1> kNonblocking{"nonblocking"};
constexpr std::array<std::string_view, 3> kBindWhere{"loopback", "any", "unnamed"};
constexpr std::array<std::string_view, 3> kShutdownHow{"rd", "wr", "rdwr"};
constexpr std::array<std::string_view, 2> kReadiness{"readable", "writable"};
constexpr std::array<std::string_view, 3> kSendFlags{"MSG_DONTWAIT", "MSG_MORE", "MSG_OOB"};
constexpr std::array<std::string_view, 4> kRecvFlags{"MSG_PEEK", "MSG_WAITALL", "MSG_TRUNC", "MSG_DONTWAIT"};
constexpr std::array<std::string_view, 4> kMessageFlags{"MSG_TRUNC", "MSG_CTRUNC", "MSG_EOR", "MSG_OOB"};
constexpr std::array<std::string_view, 12> kOptions{
    "SO_REUSEADDR", "SO_REUSEPORT", "SO_LINGER", "SO_RCVBUF", "SO_SNDBUF",  "SO_RCVTIMEO",
    "SO_SNDTIMEO",  "TCP_NODELAY",  "TCP_SYNCNT", "SO_KEEPALIVE", "IPV6_V6ONLY", "TCP_QUICKACK"};
// counter: TcpExt counters of /proc/net/netstat (include/uapi/linux/snmp.h) that scenarios cite.
constexpr std::array<std::string_view, 10> kCounterNames{
    "ListenOverflows", "ListenDrops",    "EmbryonicRsts",        "TCPAbortOnClose", "TCPAbortOnData",
    "TCPAbortOnLinger", "SyncookiesSent", "SyncookiesRecv", "TCPReqQFullDoCookies", "TCPReqQFullDrop"};
// wire: assertions on the captured packets of the socket's connection (runner/wire_assertions.h).
constexpr std::array<std::string_view, 10> kWireAssertions{"handshake", "first-fin", "fin-data",   "no-fin",
                                                           "rst",       "rst-to",    "no-rst",     "syn-retransmits",
                                                           "no-syn-ack", "time-wait"};
constexpr std::array<std::string_view, 7> kCheckKeys{"accept-queue", "backlog",       "state",       "error",
                                                     "readable-bytes", "unsent-bytes", "time-wait"};

const std::vector<VerbSpec>& table() {
  static const std::vector<VerbSpec> verbs{
      {"socket", ResultRule::Required, {{ParamKind::OptionalWord, "mode", kNonblocking}},
       "NAME = socket [nonblocking]", "socket(2) of the scenario's family and type"},
      {"bind", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::OptionalWord, "where", kBindWhere}},
       "bind SOCKET [loopback|any|unnamed]",
       "bind(2) to a fresh local address (loopback, port 0 or a new unix path), the wildcard, or none"},
      {"bind-to", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Socket, "other", {}}},
       "bind-to SOCKET OTHER", "bind(2) to the address OTHER is (or was) bound to"},
      {"listen", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "backlog", {}}},
       "listen SOCKET BACKLOG", "listen(2)"},
      {"accept", ResultRule::Required, {{ParamKind::Socket, "listener", {}}},
       "NAME = accept LISTENER", "accept4(2), waiting up to the step's deadline for a connection"},
      {"connect", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Socket, "peer", {}}},
       "connect SOCKET PEER",
       "connect(2) to PEER's address; a blocking socket waits up to the deadline for the handshake"},
      {"connect-target", ResultRule::None, {{ParamKind::Socket, "socket", {}}},
       "connect-target SOCKET",
       "connect(2) to the server under test (run --target or --target-cmd); needs 'requires target'"},
      {"send", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "data", {}}, {ParamKind::Flags, "flags", kSendFlags}},
       "send SOCKET BYTES [FLAGS]", "send(2) once (MSG_NOSIGNAL is always added); the result is the count"},
      {"sendto", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "data", {}}, {ParamKind::Socket, "peer", {}}},
       "sendto SOCKET BYTES PEER", "sendto(2) PEER's address"},
      {"recv", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "length", {}},
        {ParamKind::Flags, "flags", kRecvFlags}},
       "recv SOCKET LENGTH [FLAGS]", "recv(2) once, waiting up to the deadline for something to read"},
      {"recvmsg", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "length", {}},
        {ParamKind::Flags, "flags", kRecvFlags}},
       "recvmsg SOCKET LENGTH [FLAGS]", "recvmsg(2) once; the expectation may name msg_flags (MSG_TRUNC)"},
      {"shutdown", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "how", kShutdownHow}},
       "shutdown SOCKET rd|wr|rdwr", "shutdown(2)"},
      {"close", ResultRule::None, {{ParamKind::Socket, "socket", {}}}, "close SOCKET", "close(2)"},
      {"setsockopt", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "option", kOptions}, {ParamKind::Integer, "value", {}},
        {ParamKind::OptionalInteger, "second value", {}}},
       "setsockopt SOCKET OPTION VALUE [VALUE]",
       "setsockopt(2); SO_LINGER takes on and seconds, the timeouts milliseconds"},
      {"nonblocking", ResultRule::None, {{ParamKind::Socket, "socket", {}}}, "nonblocking SOCKET",
       "set O_NONBLOCK"},
      {"wait", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "for", kReadiness}},
       "wait SOCKET readable|writable", "poll(2) up to the deadline; '-> blocks' expects it not to become ready"},
      {"fill", ResultRule::None, {{ParamKind::Socket, "socket", {}}},
       "fill SOCKET", "send until the kernel takes no more (EAGAIN); the result is the count queued"},
      {"drain", ResultRule::None, {{ParamKind::Socket, "socket", {}}},
       "drain SOCKET", "recv until nothing is left (EAGAIN) or EOF; the result is the count read"},
      {"check", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "what", kCheckKeys}},
       "check SOCKET WHAT -> VALUE",
       "read kernel state: accept-queue and backlog (TCP_INFO on a listener), state (TCP_INFO), error "
       "(SO_ERROR), readable-bytes (SIOCINQ), unsent-bytes (SIOCOUTQ), time-wait (sock_diag)"},
      {"counter", ResultRule::None, {{ParamKind::Word, "counter", kCounterNames}},
       "counter NAME -> VALUE",
       "a TcpExt counter of /proc/net/netstat in the scenario's own network namespace, where it starts at 0 "
       "(the scenario must say 'requires netns')"},
      {"wire", ResultRule::None,
       {{ParamKind::Word, "assertion", kWireAssertions}, {ParamKind::Socket, "socket", {}}},
       "wire ASSERTION SOCKET [-> COUNT]",
       "assert on the captured packets of SOCKET's connection: handshake, first-fin, fin-data, no-fin, rst, "
       "rst-to, no-rst, syn-retransmits (-> COUNT), no-syn-ack, time-wait (TCP only; skipped without a capture)"},
  };
  return verbs;
}

}  // namespace

std::span<const VerbSpec> verbTable() { return table(); }

const VerbSpec* findVerb(std::string_view verb) {
  for (const auto& spec : table()) {
    if (spec.verb == verb) return &spec;
  }
  return nullptr;
}

std::span<const std::string_view> sendFlagNames() { return kSendFlags; }
std::span<const std::string_view> recvFlagNames() { return kRecvFlags; }
std::span<const std::string_view> messageFlagNames() { return kMessageFlags; }
std::span<const std::string_view> socketOptionNames() { return kOptions; }
std::span<const std::string_view> wireAssertionNames() { return kWireAssertions; }

}  // namespace sockspec::scenario
