// Crash or hang: what one exchange says about the server.
//   crash  the server we started exited or was killed, or the server stopped accepting connections
//          (connect refused or not completed within the deadline: the only sign left when somebody else
//          runs it);
//   hang   the connection was made and the input sent, but the server neither finished its reply (as the
//          service defines it, service_model.h) nor closed within the hang timeout;
//   leak   with --target-cmd: one input, repeated, makes the server's descriptors or CLOSE-WAIT sockets grow
//          (leak_watch.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "blackbox/fuzz_protocol.h"
#include "blackbox/fuzz_target.h"
#include "blackbox/input_exchange.h"
#include "blackbox/reply_timing.h"
#include "blackbox/service_model.h"

namespace sockspec::blackbox {

enum class FindingKind { Crash, Hang, Leak };
std::string_view findingKindName(FindingKind kind);  // "crash", "hang", "leak"

struct Finding {
  FindingKind kind = FindingKind::Crash;
  std::string detail;  // for people: "target killed by SIGABRT", "no reply and no close within 1000 ms ..."
  std::string signature;  // what makes two findings the same: the kind and how the server failed, no ports
  std::string report = {};  // a crash: the sanitizer report the server printed (sanitizer_report.h), if any
};

// How long a server that reset or cut a connection short gets to be seen exiting: the kernel closes a dying
// process's sockets (exit_files()) just before its parent can reap it (exit_notify(), kernel/exit.c).
inline constexpr std::chrono::milliseconds kExitGrace{250};

// The finding behind a failed connect: the server we started exited (how, waited for up to the hang
// timeout), or the server stopped accepting. The waits end early when limits.stopRequested is raised.
Finding judgeConnectFailure(process::TargetSession& target, const net::EndpointFailure& failure,
                            const ExchangeLimits& limits);

// The finding of an exchange that connected, if any. `--service any` (no reply to predict): a reset or a
// reply cut short is a crash when the server we started is seen to end; a conversation whose last message
// the server neither answered nor closed after the client's FIN within the hang timeout is a hang when
// `waits.staysOpenIsHang` (reply_timing.h), and a datagram left unanswered is checked with the probe. The
// probe (--probe, sent on a fresh connection or socket) then tells "the server stopped answering" from "this
// connection hangs"; a refused probe is the server that stopped accepting.
std::optional<Finding> judgeExchange(process::TargetSession& target, const FuzzProtocol& protocol, net::Bytes input,
                                     const ExchangeResult& result, const ExchangeLimits& limits,
                                     const ReplyWaits& waits = {});

// --service any with --probe: the probe on a fresh connection or socket, as after an input (replay asks it
// after every reproducer: a datagram server that closed its socket shows no other way); nullopt when it was
// answered, or there is no probe.
std::optional<Finding> probeAfterInput(process::TargetSession& target, const FuzzProtocol& protocol,
                                       const ExchangeLimits& limits);

// A datagram refused (ECONNREFUSED: the port is closed) before any reply came: the server was gone before
// this input, so the input before it is the one to blame, as for a refused connect.
bool refusedBeforeAnyReply(const process::TargetSession& target, const ExchangeResult& result);

}  // namespace sockspec::blackbox
