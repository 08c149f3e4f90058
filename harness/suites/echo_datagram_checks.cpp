// Echo over transports that keep message boundaries (RFC 862 "UDP Based Echo Service": "When a datagram is
// received, the data from it is sent back in an answering datagram"): each datagram or seqpacket record
// comes back as one, whole and unchanged.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "suites/datagram_client.h"
#include "suites/echo_checks.h"
#include "suites/payloads.h"

namespace sockspec::suites::echo {

namespace {

// The largest UDP payload: 65,535 minus the 8-byte UDP header minus the 20-byte IPv4 header; IPv6's
// payload length does not count its 40-byte header, so 65,535 - 8 there (RFC 768, RFC 8200). Checked on
// Linux 6.18: one more byte is EMSGSIZE, both loopback sizes arrive whole. AF_UNIX has no such limit below
// the socket buffer; the IPv4 size is used for it.
constexpr std::size_t kMaxIpv4Datagram = 65507;
constexpr std::size_t kMaxIpv6Datagram = 65527;

std::optional<std::string> echoOne(const CheckContext& context, const std::vector<std::uint8_t>& request) {
  auto exchanged = exchangeOneDatagram(context.target, request, context.deadline, context.timeout);
  if (!exchanged) return exchanged.error();
  const DatagramReply& reply = *exchanged;
  if (reply.fullSize != request.size()) {
    return fmt::format("expected a {}-byte datagram back, got {} bytes", request.size(), reply.fullSize);
  }
  if (auto wrong = firstDifference(request, reply.data)) return fmt::format("the echo differs at {}", *wrong);
  return std::nullopt;
}

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

}  // namespace

CheckOutcome datagramSmall(const CheckContext& context) {
  const std::string_view text = "hello, echo";
  return outcomeOf(echoOne(context, std::vector<std::uint8_t>(text.begin(), text.end())));
}

CheckOutcome datagramEmpty(const CheckContext& context) {
  // RFC 862 sends back "the data from it" in an answering datagram: for an empty datagram, an empty one.
  // recv(2) returns 0 for it, which on a datagram socket is no EOF (SOCKET-FACTS: "0 != EOF on dgram").
  return outcomeOf(echoOne(context, {}));
}

CheckOutcome datagram1024(const CheckContext& context) { return outcomeOf(echoOne(context, makePayload(9, 1024))); }

CheckOutcome datagramMax(const CheckContext& context) {
  bool ipv6 = context.target.transport == net::Transport::Udp && context.target.isIpv6();
  std::size_t size = ipv6 ? kMaxIpv6Datagram : kMaxIpv4Datagram;
  return outcomeOf(echoOne(context, makePayload(10, size)));
}

CheckOutcome datagramAllByteValues(const CheckContext& context) { return outcomeOf(echoOne(context, everyByteValue())); }

CheckOutcome datagramBurst(const CheckContext& context) {
  // Small enough that the burst fits the server's default receive buffer (net.core.rmem_default, 208 KiB,
  // each datagram costing about 1.3 KiB of it), so a correct server loses none even on loopback.
  constexpr std::size_t kClients = 8;
  constexpr std::size_t kPerClient = 8;
  constexpr std::size_t kBytes = 200;
  std::vector<DatagramClient> clients;
  std::vector<std::vector<std::vector<std::uint8_t>>> outstanding(kClients);
  for (std::size_t c = 0; c < kClients; ++c) {
    auto client = DatagramClient::connect(context.target, context.deadline);
    if (!client) return CheckOutcome::fail(fmt::format("client {}: {}", c + 1, client.error()));
    clients.push_back(std::move(*client));
  }
  for (std::size_t d = 0; d < kPerClient; ++d) {
    for (std::size_t c = 0; c < kClients; ++c) {
      auto payload = makePayload(200 + c * kPerClient + d, kBytes);
      if (auto sent = clients[c].send(payload, context.deadline); !sent) {
        return CheckOutcome::fail(fmt::format("client {}: {}", c + 1, sent.error()));
      }
      outstanding[c].push_back(std::move(payload));
    }
  }
  // Datagrams may come back in any order (RFC 768 promises none); each must match one this client sent.
  for (std::size_t c = 0; c < kClients; ++c) {
    while (!outstanding[c].empty()) {
      auto reply = clients[c].receive(context.deadline);
      if (reply.kind != DatagramReply::Kind::Received) {
        return CheckOutcome::fail(fmt::format("client {}: {} of {} replies missing: {}", c + 1, outstanding[c].size(),
                                              kPerClient, describeMissingReply(reply, context.timeout)));
      }
      auto match = std::find(outstanding[c].begin(), outstanding[c].end(), reply.data);
      if (match == outstanding[c].end() || reply.fullSize != reply.data.size()) {
        return CheckOutcome::fail(fmt::format("client {}: a {}-byte reply matches none of its own datagrams", c + 1,
                                              reply.fullSize));
      }
      outstanding[c].erase(match);
    }
  }
  return CheckOutcome::pass();
}

}  // namespace sockspec::suites::echo
