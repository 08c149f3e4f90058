#include "service_catalog.h"

#include <array>

namespace sockspec::server {

namespace {

constexpr std::array kServices{
    ServiceEntry{Service::Echo, proto::serviceName(Service::Echo), "RFC 862: sends back every byte (stream) or datagram it receives"},
    ServiceEntry{Service::Discard, proto::serviceName(Service::Discard), "RFC 863: reads and throws away everything it receives"},
    ServiceEntry{Service::Chargen, "chargen",
                 "RFC 864: streams the 72-character rotating pattern until the client closes; one datagram "
                 "of 512 characters per datagram received"},
    ServiceEntry{Service::Daytime, "daytime",
                 "RFC 867: sends the date and time as one line, then closes (stream) or answers each datagram"},
    ServiceEntry{Service::Framed, "framed",
                 "length-prefixed request/response protocol with a handshake (docs/framed-protocol.md)"},
};

constexpr std::array kFaults{
    FaultEntry{Fault::None, "none", "behave correctly"},
    FaultEntry{Fault::OneRecv, "one-recv",
               "one recv(1024) per connection, answer it, then close: the tutorial's single-read pitfall"},
    FaultEntry{Fault::TruncateDgram, "truncate-dgram",
               "read datagrams and seqpacket records into a 1024-byte buffer, losing the rest (recv(2))"},
    FaultEntry{Fault::CloseListenerFirst, "close-listener-first",
               "close the listener right after the first accept, resetting connections still queued"},
    FaultEntry{Fault::NoHalfClose, "no-half-close",
               "treat the client's shutdown(SHUT_WR) as the end: close at once, dropping replies still owed"},
    FaultEntry{Fault::RstOnClose, "rst-on-close",
               "close as soon as the client's FIN is seen, with its last bytes unread: the kernel sends RST"},
    FaultEntry{Fault::CrashOnBytes, "crash-on-bytes",
               "stream: abort() when the bytes 0xDE 0xAD arrive in a row on a connection (a bug to fuzz for)"},
    FaultEntry{Fault::HangOnBytes, "hang-on-bytes",
               "stream: when the bytes 0xBE 0xEF arrive in a row, stop reading and answering that connection "
               "and never close it (a hang to fuzz for)"},
    FaultEntry{Fault::LeakFd, "leak-fd",
               "stream: end each connection with shutdown(SHUT_RDWR) and never close(2) it: the client sees "
               "the FIN it expects, the descriptor stays open for good (a leak for the fuzzers to find)"},
    FaultEntry{Fault::CloseWithoutReading, "close-without-reading",
               "daytime over a connection: close(2) right after the line, never reading what the client sent: "
               "input that arrived first turns the FIN into an RST (as xinetd's and inetd's builtin daytime do)"},
};

}  // namespace

std::span<const ServiceEntry> serviceTable() { return kServices; }
std::span<const FaultEntry> faultTable() { return kFaults; }

std::optional<Fault> faultFromName(std::string_view name) {
  for (const auto& entry : kFaults) {
    if (entry.name == name) return entry.fault;
  }
  return std::nullopt;
}

std::string_view faultName(Fault fault) {
  for (const auto& entry : kFaults) {
    if (entry.fault == fault) return entry.name;
  }
  return "?";
}

}  // namespace sockspec::server
