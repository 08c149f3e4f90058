// The server profile's check functions (docs/server-profile.md), one file per family: lifecycle and
// buffering (server_stream_checks.cpp), datagrams (server_datagram_checks.cpp), backlog
// (server_backlog_checks.cpp), close order (server_close_checks.cpp), hygiene (server_hygiene_checks.cpp).
// The table is server_profile_suite.cpp.
#pragma once

#include "suites/service_check.h"

namespace sockspec::suites::server {

// lifecycle (tcp)
CheckOutcome silentClient(const CheckContext& context);
CheckOutcome resetMidRequest(const CheckContext& context);
CheckOutcome oneByteWrites(const CheckContext& context);
CheckOutcome pipelined(const CheckContext& context);
CheckOutcome idleClients(const CheckContext& context);
// buffering (tcp)
CheckOutcome splitEverywhere(const CheckContext& context);
CheckOutcome largeBatch(const CheckContext& context);
// datagrams (udp)
CheckOutcome datagramReply(const CheckContext& context);
CheckOutcome datagramEmpty(const CheckContext& context);
CheckOutcome datagramLargest(const CheckContext& context);
CheckOutcome datagramBurst(const CheckContext& context);
CheckOutcome datagramTruncation(const CheckContext& context);
// backlog (tcp)
CheckOutcome listenBacklog(const CheckContext& context);
CheckOutcome connectionBurst(const CheckContext& context);
// close order (tcp)
CheckOutcome closeOrder(const CheckContext& context);
CheckOutcome unreadInputClose(const CheckContext& context);
CheckOutcome halfClose(const CheckContext& context);
CheckOutcome clientLeavesFirst(const CheckContext& context);
// hygiene (tcp; the target's processes known)
CheckOutcome hygieneSilentClients(const CheckContext& context);
CheckOutcome hygieneResetClients(const CheckContext& context);
CheckOutcome hygieneRequests(const CheckContext& context);
CheckOutcome hygieneHalfClose(const CheckContext& context);
// every transport, last
CheckOutcome liveness(const CheckContext& context);

}  // namespace sockspec::suites::server
