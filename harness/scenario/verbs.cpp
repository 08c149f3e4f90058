#include "scenario/verbs.h"

#include "scenario/symbols.h"

namespace sockspec::scenario {

namespace {

// The word lists come from the symbols table (scenario/symbols.h).
const std::vector<VerbSpec>& table() {
  static const std::vector<VerbSpec> verbs{
      {"socket", ResultRule::Required, {{ParamKind::OptionalWord, "mode", socketModeNames()}},
       "NAME = socket [nonblocking]", "socket(2) of the scenario's family and type"},
      {"bind", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::OptionalWord, "where", bindAddressNames()}},
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
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "data", {}}, {ParamKind::Flags, "flags", sendFlagNames()}},
       "send SOCKET BYTES [FLAGS]", "send(2) once (MSG_NOSIGNAL is always added); the result is the count"},
      {"sendto", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "data", {}}, {ParamKind::Socket, "peer", {}}},
       "sendto SOCKET BYTES PEER", "sendto(2) PEER's address"},
      {"recv", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "length", {}},
        {ParamKind::Flags, "flags", recvFlagNames()}},
       "recv SOCKET LENGTH [FLAGS]", "recv(2) once, waiting up to the deadline for something to read"},
      {"recvmsg", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "length", {}},
        {ParamKind::Flags, "flags", recvFlagNames()}},
       "recvmsg SOCKET LENGTH [FLAGS]", "recvmsg(2) once; the expectation may name msg_flags (MSG_TRUNC)"},
      {"shutdown", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "how", shutdownHowNames()}},
       "shutdown SOCKET rd|wr|rdwr", "shutdown(2)"},
      {"close", ResultRule::None, {{ParamKind::Socket, "socket", {}}}, "close SOCKET", "close(2)"},
      {"setsockopt", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "option", socketOptionNames()}, {ParamKind::Integer, "value", {}},
        {ParamKind::OptionalInteger, "second value", {}}},
       "setsockopt SOCKET OPTION VALUE [VALUE]",
       "setsockopt(2); SO_LINGER takes on and seconds, the timeouts milliseconds"},
      {"nonblocking", ResultRule::None, {{ParamKind::Socket, "socket", {}}}, "nonblocking SOCKET",
       "set O_NONBLOCK"},
      {"wait", ResultRule::None, {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "for", readinessNames()}},
       "wait SOCKET readable|writable", "poll(2) up to the deadline; '-> blocks' expects it not to become ready"},
      {"fill", ResultRule::None, {{ParamKind::Socket, "socket", {}}},
       "fill SOCKET", "send until the kernel takes no more (EAGAIN); the result is the count queued"},
      {"drain", ResultRule::None, {{ParamKind::Socket, "socket", {}}},
       "drain SOCKET", "recv until nothing is left (EAGAIN) or EOF; the result is the count read"},
      {"check", ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "what", checkKeyNames()}},
       "check SOCKET WHAT -> VALUE",
       "read kernel state: accept-queue and backlog (TCP_INFO on a listener), state (TCP_INFO), error "
       "(SO_ERROR), readable-bytes (SIOCINQ), unsent-bytes (SIOCOUTQ), time-wait (sock_diag)"},
      {"counter", ResultRule::None, {{ParamKind::Word, "counter", counterNames()}},
       "counter NAME -> VALUE",
       "a TcpExt counter of /proc/net/netstat in the scenario's own network namespace, where it starts at 0 "
       "(the scenario must say 'requires netns')"},
      {"wire", ResultRule::None,
       {{ParamKind::Word, "assertion", wireAssertionNames()}, {ParamKind::Socket, "socket", {}}},
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

}  // namespace sockspec::scenario
