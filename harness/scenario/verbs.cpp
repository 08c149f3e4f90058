#include "scenario/verbs.h"

#include "scenario/symbols.h"

namespace sockspec::scenario {

namespace {

// read's and the other read verbs' "max N", and read-prefixed's "at OFFSET".
constexpr ParamSpec kReadMax{ParamKind::Option, "max", {}, 1, kReadLimitCeiling};
constexpr ParamSpec kFrameOffset{ParamKind::Option, "at", {}, 0, kReadLimitCeiling};
// recv's and recvmsg's LENGTH: the runner allocates and zeroes a buffer of that size in every job, so it is
// bounded as read's N is; no expectation could name more bytes than that anyway.
constexpr ParamSpec kReceiveLength{
    ParamKind::Integer, "length", {}, 0, kReadLimitCeiling,
    "a recv buffer is at most 16 MiB, the largest byte string an expectation can hold"};

// One row per Verb, in Verb order. The word lists come from the symbols table (scenario/symbols.h).
const std::vector<VerbSpec>& table() {
  static const std::vector<VerbSpec> verbs{
      {Verb::Socket,
       "socket",
       ResultRule::Required,
       {{ParamKind::OptionalWord, "mode", socketModeNames()}},
       "NAME = socket [nonblocking]",
       "socket(2) of the scenario's family and type"},
      {Verb::Bind,
       "bind",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::OptionalWord, "where", bindAddressNames()}},
       "bind SOCKET [loopback|any|unnamed]",
       "bind(2) to a fresh local address (loopback, port 0 or a new unix path; 'unnamed' binds the "
       "same) or the wildcard"},
      {Verb::BindTo,
       "bind-to",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Socket, "other", {}}},
       "bind-to SOCKET OTHER",
       "bind(2) to the address OTHER is (or was) bound to"},
      {Verb::Listen,
       "listen",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Integer, "backlog", {}}},
       "listen SOCKET BACKLOG",
       "listen(2)"},
      {Verb::Accept,
       "accept",
       ResultRule::Required,
       {{ParamKind::Socket, "listener", {}}},
       "NAME = accept LISTENER",
       "accept4(2), waiting up to the step's deadline for a connection"},
      {Verb::Connect,
       "connect",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Socket, "peer", {}}},
       "connect SOCKET PEER",
       "connect(2) to PEER's address; a blocking socket waits up to the deadline for the handshake"},
      {.verb = Verb::ConnectTarget,
       .name = "connect-target",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}},
       .synopsis = "connect-target SOCKET",
       .help = "connect(2) to the server under test (run --target or --target-cmd); needs 'requires target'",
       .needsTarget = true},
      {Verb::Send,
       "send",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}},
        {ParamKind::Bytes, "data", {}},
        {ParamKind::Flags, "flags", sendFlagNames()}},
       "send SOCKET BYTES [FLAGS]",
       "send(2) once (MSG_NOSIGNAL is always added); the result is the count"},
      {Verb::SendTo,
       "sendto",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "data", {}}, {ParamKind::Socket, "peer", {}}},
       "sendto SOCKET BYTES PEER",
       "sendto(2) PEER's address"},
      {.verb = Verb::SendFile,
       .name = "send-file",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}, {ParamKind::FilePath, "path", {}}},
       .synopsis = "send-file SOCKET \"PATH\"",
       .help = "send(2) a file's bytes, read when the scenario is parsed (PATH is relative to the scenario's "
               "folder), until all are sent or the deadline passes; the result is the count"},
      {.verb = Verb::Recv,
       .name = "recv",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}},
                  kReceiveLength,
                  {ParamKind::Flags, "flags", recvFlagNames()}},
       .synopsis = "recv SOCKET LENGTH [FLAGS]",
       .help = "recv(2) once, waiting up to the deadline for something to read",
       .yields = Yields::Data},
      {.verb = Verb::RecvMsg,
       .name = "recvmsg",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}},
                  kReceiveLength,
                  {ParamKind::Flags, "flags", recvFlagNames()}},
       .synopsis = "recvmsg SOCKET LENGTH [FLAGS]",
       .help = "recvmsg(2) once; the expectation may name msg_flags (MSG_TRUNC)",
       .yields = Yields::DataAndMessageFlags},
      {.verb = Verb::ReadLine,
       .name = "read-line",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}, kReadMax},
       .synopsis = "read-line SOCKET [max N]",
       .help = "read up to and including the next '\\n', and nothing after it",
       .yields = Yields::Data,
       .streamOnly = true},
      {.verb = Verb::ReadUntil,
       .name = "read-until",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}, {ParamKind::Bytes, "delimiter", {}, 1}, kReadMax},
       .synopsis = "read-until SOCKET BYTES [max N]",
       .help = "read up to and including the next BYTES, and nothing after them",
       .yields = Yields::Data,
       .streamOnly = true},
      {.verb = Verb::Read,
       .name = "read",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}},
                  {ParamKind::Integer, "length", {}, 1, kReadLimitCeiling}},
       .synopsis = "read SOCKET N",
       .help = "read exactly N bytes, over as many recv(2) calls as it takes",
       .yields = Yields::Data,
       .streamOnly = true},
      {.verb = Verb::ReadEof,
       .name = "read-eof",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}, kReadMax},
       .synopsis = "read-eof SOCKET [max N]",
       .help = "read everything until the peer ends the stream (EOF)",
       .yields = Yields::Data,
       .streamOnly = true},
      {.verb = Verb::ReadPrefixed,
       .name = "read-prefixed",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}},
                  {ParamKind::Word, "length field", lengthFieldNames()},
                  kFrameOffset,
                  kReadMax},
       .synopsis = "read-prefixed SOCKET u8|u16be|u16le|u32be|u32le [at OFFSET] [max N]",
       .help = "read one length-prefixed frame: OFFSET bytes, the length field, then that many bytes; the "
               "bytes read are the whole frame",
       .yields = Yields::Data,
       .streamOnly = true},
      {Verb::Shutdown,
       "shutdown",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "how", shutdownHowNames()}},
       "shutdown SOCKET rd|wr|rdwr",
       "shutdown(2)"},
      {Verb::Close,
       "close",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}},
       "close SOCKET",
       "close(2)"},
      {Verb::SetSockOpt,
       "setsockopt",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}},
        {ParamKind::Word, "option", socketOptionNames()},
        {ParamKind::Integer, "value", {}},
        {ParamKind::OptionalInteger, "second value", {}}},
       "setsockopt SOCKET OPTION VALUE [VALUE]",
       "setsockopt(2); SO_LINGER takes on and seconds, the timeouts milliseconds"},
      {Verb::Nonblocking,
       "nonblocking",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}},
       "nonblocking SOCKET",
       "set O_NONBLOCK"},
      {Verb::Wait,
       "wait",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "for", readinessNames()}},
       "wait SOCKET readable|writable",
       "poll(2) up to the deadline; '-> blocks' expects it not to become ready"},
      {Verb::Fill,
       "fill",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}},
       "fill SOCKET",
       "send until the kernel takes no more (EAGAIN); the result is the count queued"},
      {Verb::Drain,
       "drain",
       ResultRule::None,
       {{ParamKind::Socket, "socket", {}}},
       "drain SOCKET",
       "recv until nothing is left (EAGAIN) or EOF; the result is the count read"},
      {.verb = Verb::Check,
       .name = "check",
       .result = ResultRule::None,
       .params = {{ParamKind::Socket, "socket", {}}, {ParamKind::Word, "what", checkKeyNames()}},
       .synopsis = "check SOCKET WHAT -> VALUE",
       .help = "read kernel state: accept-queue and backlog (TCP_INFO on a listener), state (TCP_INFO), "
               "error (SO_ERROR), readable-bytes (SIOCINQ), unsent-bytes (SIOCOUTQ), time-wait (sock_diag)",
       .expectation = ExpectationRule::Required,
       .yields = Yields::KernelState},
      {Verb::Counter,
       "counter",
       ResultRule::None,
       {{ParamKind::Word, "counter", counterNames()}},
       "counter NAME -> VALUE",
       "a TcpExt counter of /proc/net/netstat in the scenario's own network namespace, where it starts at 0 "
       "(the scenario must say 'requires netns')"},
      {Verb::Wire,
       "wire",
       ResultRule::None,
       {{ParamKind::Word, "assertion", wireAssertionNames()}, {ParamKind::Socket, "socket", {}}},
       "wire ASSERTION SOCKET [-> COUNT]",
       "assert on the captured packets of SOCKET's connection: handshake, first-fin, fin-data, no-fin, rst, "
       "rst-to, no-rst, syn-retransmits (-> COUNT), no-syn-ack, time-wait (TCP only; skipped without a "
       "capture)"},
  };
  return verbs;
}

}  // namespace

std::span<const VerbSpec> verbTable() { return table(); }

// The rows are in Verb order (pinned by tests/unit/scenario_verbs_test.cpp), so a Verb is its row's index.
const VerbSpec& verbSpec(Verb verb) { return table()[static_cast<std::size_t>(verb)]; }

const VerbSpec* findVerb(std::string_view name) {
  for (const auto& spec : table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string_view verbName(Verb verb) { return verbSpec(verb).name; }

}  // namespace sockspec::scenario
