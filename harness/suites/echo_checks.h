// The echo suite's check functions (RFC 862), defined in echo_stream_checks.cpp and
// echo_datagram_checks.cpp and listed in echo_suite.cpp.
#pragma once

#include "suites/service_check.h"

namespace sockspec::suites::echo {

// Connected transports (tcp, unix, unix-seqpacket).
CheckOutcome oneByteWrites(const CheckContext& context);
CheckOutcome coalescedRequests(const CheckContext& context);
CheckOutcome allByteValues(const CheckContext& context);
CheckOutcome oneMebibyte(const CheckContext& context);
CheckOutcome halfClose(const CheckContext& context);
CheckOutcome concurrentClients(const CheckContext& context);
CheckOutcome resetMidStream(const CheckContext& context);

// Transports that keep message boundaries (udp, unix-dgram, unix-seqpacket).
CheckOutcome datagramSmall(const CheckContext& context);
CheckOutcome datagramEmpty(const CheckContext& context);
CheckOutcome datagram1024(const CheckContext& context);
CheckOutcome datagramMax(const CheckContext& context);
CheckOutcome datagramAllByteValues(const CheckContext& context);
CheckOutcome datagramBurst(const CheckContext& context);

// Every transport: the server still answers a new client after all of the above.
CheckOutcome liveness(const CheckContext& context);

}  // namespace sockspec::suites::echo
