// The server profile over UDP: a request as one datagram, an empty datagram, the largest datagram, a burst,
// and a datagram of many requests. A reply datagram may hold several replies (each the shortest prefix the
// pattern matches, server_exchange.h); a reply is lost when it never comes, merged when one datagram holds
// the replies to several requests.
#include <fmt/format.h>

#include "base/display_escape.h"
#include "suites/datagram_client.h"
#include "suites/server_checks.h"
#include "suites/server_exchange.h"
#include "suites/stray_reply_witness.h"

namespace sockspec::suites::server {

namespace {

std::string_view textOf(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The largest UDP payload: 65,535 - 8 (UDP header) - 20 (IPv4 header); IPv6's length excludes its header.
std::size_t largestDatagram(const net::Endpoint& target) {
  return target.isIpv6() ? 65527 : 65507;
}

struct DatagramTally {
  std::size_t datagrams = 0;
  std::size_t replies = 0;
  std::size_t merged = 0;     // datagrams that held more than one reply
  std::size_t unmatched = 0;  // datagrams that held no reply
  std::string firstUnmatched;
  std::string error;  // a receive that failed (ECONNREFUSED: nothing is bound to the port)
};

// Receives until `want` replies have been counted or the deadline.
DatagramTally receiveReplies(DatagramClient& client, const CheckContext& context, std::size_t want) {
  DatagramTally tally;
  // Bounded: every turn receives a datagram or ends at the deadline.
  while (tally.replies < want) {
    DatagramReply reply = client.receive(context.deadline);
    if (reply.kind == DatagramReply::Kind::Failed) {
      tally.error = reply.error;
      break;
    }
    if (reply.kind == DatagramReply::Kind::TimedOut) break;
    ++tally.datagrams;
    ReplyScanner scanner(*context.reply);
    std::size_t replies = scanner.scan(textOf(reply.data));
    tally.replies += replies;
    if (replies > 1) ++tally.merged;
    if (replies == 0) {
      ++tally.unmatched;
      if (tally.firstUnmatched.empty()) {
        tally.firstUnmatched =
            fmt::format("{} bytes \"{}\"", reply.fullSize, escapeForDisplay(textOf(reply.data), 40));
      }
    }
  }
  return tally;
}

std::string describeTally(const DatagramTally& tally, std::size_t want, const CheckContext& context) {
  std::string text = fmt::format("{} of {} replies ({}) came in {} datagrams", tally.replies, want,
                                 context.reply->describe(), tally.datagrams);
  if (tally.merged > 0) text += fmt::format(" ({} held several replies)", tally.merged);
  if (tally.unmatched > 0)
    text += fmt::format("; {} matched nothing, the first {}", tally.unmatched, tally.firstUnmatched);
  if (!tally.error.empty())
    text += fmt::format("; then {}", tally.error);
  else if (tally.replies < want)
    text += fmt::format(" within {} ms", context.timeout.count());
  return text;
}

}  // namespace

CheckOutcome datagramReply(const CheckContext& context) {
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  // Without a witness (it could not bind) a reply from elsewhere reads as no reply, as it does to a client.
  auto witness = StrayReplyWitness::open(client->fd());
  if (auto sent = client->send(net::asBytes(context.request), context.deadline); !sent) {
    return CheckOutcome::fail(sent.error());
  }
  DatagramTally tally = receiveReplies(*client, context, 1);
  if (tally.replies < 1) {
    std::string cause;
    if (auto stray = witness ? witness->takeQueued() : std::nullopt) {
      cause = fmt::format(
          "; a datagram of {} bytes \"{}\" came from {} instead: the server answers from another port or "
          "address than the one asked (a second socket, a wildcard bind on a host of several addresses), "
          "and a client that connect()ed never sees it (udp(7))",
          stray->fullSize, escapeForDisplay(textOf(stray->data), 40), stray->from.toString());
    }
    return CheckOutcome::fail(
        fmt::format("the request as one datagram: {}{}", describeTally(tally, 1, context), cause));
  }
  return CheckOutcome::pass();
}

namespace {

// Sends `odd` from one client, then the request from another: the second's reply shows the server still
// answers; what the first got (read once the second's reply is in: a server answers in order) is a fact.
CheckOutcome oddThenRequest(const CheckContext& context, const std::string& odd, std::string_view what,
                            std::string_view likelyCause) {
  auto oddClient = DatagramClient::connect(context.target, context.deadline);
  if (!oddClient) return CheckOutcome::fail(oddClient.error());
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto sent = oddClient->send(net::asBytes(odd), context.deadline); !sent) {
    return CheckOutcome::fail(fmt::format("{}: {}", what, sent.error()));
  }
  if (auto sent = client->send(net::asBytes(context.request), context.deadline); !sent) {
    return CheckOutcome::fail(sent.error());
  }
  DatagramTally tally = receiveReplies(*client, context, 1);
  if (tally.replies < 1) {
    // A receive that failed is ECONNREFUSED: an ICMP port unreachable came back (udp(7)).
    std::string cause =
        tally.error.empty()
            ? std::string(likelyCause)
            : fmt::format("nothing is bound to the server's port any more: it died after {}", what);
    return CheckOutcome::fail(fmt::format("{}, then the request from another client: {}; {}", what,
                                          describeTally(tally, 1, context), cause));
  }
  DatagramReply answer = oddClient->receive(Deadline::after(std::chrono::milliseconds(0)));
  if (answer.kind != DatagramReply::Kind::Received)
    return CheckOutcome::pass(fmt::format("{} got no answer", what));
  return CheckOutcome::pass(fmt::format("{} was answered with {} bytes \"{}\"", what, answer.fullSize,
                                        escapeForDisplay(textOf(answer.data), 40)));
}

}  // namespace

CheckOutcome datagramEmpty(const CheckContext& context) {
  // An empty datagram reads as 0 bytes, which is not an end of input on a datagram socket (recv(2)).
  return oddThenRequest(
      context, std::string(), "the empty datagram",
      "the server stops answering others after an empty datagram: it died on it, or it takes the 0-byte "
      "read for the end of a conversation with that client and waits on it (socat UDP4-RECVFROM,fork "
      "EXEC does)");
}

CheckOutcome datagramLargest(const CheckContext& context) {
  // The request, then filler: as large as a UDP datagram can be.
  std::string largest = context.request;
  largest.resize(std::max(largest.size(), largestDatagram(context.target)), 'x');
  return oddThenRequest(
      context, largest, fmt::format("the largest datagram ({} bytes)", largest.size()),
      "the server stops answering after a datagram this large: it likely died or mishandled a "
      "read longer than its buffer");
}

CheckOutcome datagramBurst(const CheckContext& context) {
  constexpr std::size_t kRequests = 64;
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  for (std::size_t i = 0; i < kRequests; ++i) {
    if (auto sent = client->send(net::asBytes(context.request), context.deadline); !sent) {
      return CheckOutcome::fail(fmt::format("datagram {} of {}: {}", i + 1, kRequests, sent.error()));
    }
  }
  DatagramTally tally = receiveReplies(*client, context, kRequests);
  if (tally.replies < kRequests) {
    return CheckOutcome::fail(fmt::format("{} requests sent at once, one per datagram: {} lost; {}",
                                          kRequests, kRequests - tally.replies,
                                          describeTally(tally, kRequests, context)));
  }
  return CheckOutcome::pass(tally.merged > 0 ? describeTally(tally, kRequests, context) : std::string());
}

CheckOutcome datagramTruncation(const CheckContext& context) {
  // Past the buffers servers often read datagrams into (1,500, 4,096, 8,192: Python's UDPServer), and
  // short enough that all the replies fit in one datagram too.
  constexpr std::size_t kBytes = 16 * 1024;
  const std::size_t count = kBytes / std::max<std::size_t>(1, context.request.size()) + 1;
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  auto batch = repeatedRequest(context, count);
  if (auto sent = client->send(batch, context.deadline); !sent) return CheckOutcome::fail(sent.error());
  DatagramTally tally = receiveReplies(*client, context, count);
  if (tally.replies < count) {
    std::string cause =
        tally.replies > 1
            ? fmt::format(
                  "the server read about {} bytes of it ({} whole requests): it reads datagrams "
                  "into a buffer of about that size and the kernel discards the rest (recv(2); "
                  "Python's socketserver.UDPServer reads 8192)",
                  tally.replies * context.request.size(), tally.replies)
            : std::string(
                  "a server that takes one request per datagram answers only the first; one "
                  "that reads into a short buffer loses the rest (recv(2))");
    return CheckOutcome::fail(fmt::format("{} requests in one {}-byte datagram: {}; {}", count, batch.size(),
                                          describeTally(tally, count, context), cause));
  }
  return CheckOutcome::pass();
}

}  // namespace sockspec::suites::server
