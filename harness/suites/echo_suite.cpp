// The echo suite (RFC 862): the table of its checks, in the order they run. Liveness comes last, after
// everything that could have broken the server.
#include <array>

#include "suites/echo_checks.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

constexpr std::string_view kStream = "RFC 862 (TCP based echo service); tcp(7): a stream has no message boundaries";
constexpr std::string_view kDatagramSource = "RFC 862 (UDP based echo service)";

constexpr std::array kEchoChecks{
    ServiceCheck{"echo.one-byte-writes", "a request written one byte per send comes back whole", kStream,
                 kConnected, echo::oneByteWrites},
    ServiceCheck{"echo.coalesced-requests", "200 small requests sent in one write all come back", kStream, kConnected,
                 echo::coalescedRequests},
    ServiceCheck{"echo.all-byte-values", "every byte value 0-255 (NUL, CR, LF, 0xff) comes back unchanged", kStream,
                 kConnected, echo::allByteValues},
    ServiceCheck{"echo.one-mebibyte", "1 MiB sent while reading comes back whole and in order",
                 "RFC 862; send(2): a send may take only part", kConnected, echo::oneMebibyte},
    ServiceCheck{"echo.half-close", "after shutdown(SHUT_WR) every byte still comes back, then EOF (not RST)",
                 "RFC 862; RFC 793 3.5 (a half-closed connection still carries data the other way); "
                 "RFC 2525 2.17 (close with unread data sends RST)",
                 kConnected, echo::halfClose},
    ServiceCheck{"echo.concurrent-clients", "128 clients at once each get their own data back",
                 "RFC 862; listen(2): connections wait in the accept queue", kConnected, echo::concurrentClients},
    ServiceCheck{"echo.reset-mid-stream", "a client that resets mid-stream does not hurt another client's exchange",
                 "RFC 793 3.4 (reset processing); socket(7) SO_LINGER", kConnected, echo::resetMidStream},
    ServiceCheck{"echo.datagram-small", "a small datagram comes back as one datagram", kDatagramSource, kMessages,
                 echo::datagramSmall},
    ServiceCheck{"echo.datagram-empty", "an empty datagram comes back as an empty datagram", kDatagramSource,
                 kDatagram, echo::datagramEmpty},
    ServiceCheck{"echo.datagram-1024", "a 1,024-byte datagram comes back whole", kDatagramSource, kMessages,
                 echo::datagram1024},
    ServiceCheck{"echo.datagram-max",
                 "the largest datagram (65,507 bytes; 65,527 over IPv6) comes back whole, not cut",
                 "RFC 862; RFC 768 and RFC 8200 (length fields); recv(2): excess bytes are discarded", kMessages,
                 echo::datagramMax},
    ServiceCheck{"echo.datagram-all-byte-values", "a datagram of every byte value comes back unchanged",
                 kDatagramSource, kMessages, echo::datagramAllByteValues},
    ServiceCheck{"echo.datagram-burst", "a burst of 64 datagrams from 8 clients: each client gets its own back",
                 kDatagramSource, kDatagram, echo::datagramBurst},
    ServiceCheck{"echo.liveness", "the server still answers a new client after all the checks above", "RFC 862",
                 kAllTransports, echo::liveness},
};

}  // namespace

std::span<const ServiceCheck> echoChecks() { return kEchoChecks; }

}  // namespace sockspec::suites
