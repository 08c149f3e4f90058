#include "suites/datagram_client.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include "net/endpoint_sockets.h"
#include "net/readiness.h"

namespace sockspec::suites {

Expected<DatagramClient, std::string> DatagramClient::connect(const net::Endpoint& target, Deadline deadline) {
  auto fd = net::connectEndpoint(target, deadline);
  if (!fd) return Unexpected{fmt::format("connect to {}", fd.error().describe())};
  return DatagramClient(std::move(*fd), net::isConnectionOriented(target.transport));
}

Expected<void, std::string> DatagramClient::send(net::Bytes data, Deadline deadline) {
  for (;;) {
    auto sent = net::sendBytes(m_fd.get(), data);
    if (sent) {
      if (*sent != data.size()) {
        return Unexpected{fmt::format("send: {} of {} bytes went", *sent, data.size())};
      }
      return {};
    }
    int code = sent.error().code;
    if (code != EAGAIN && code != EWOULDBLOCK) {
      return Unexpected{fmt::format("{} ({} bytes)", sent.error().describe(), data.size())};
    }
    auto ready = net::waitWritable(m_fd.get(), deadline);
    if (!ready) return Unexpected{ready.error().describe()};
    if (*ready == net::Readiness::TimedOut) return Unexpected{std::string("send: no buffer space before the deadline")};
  }
}

DatagramReply DatagramClient::receive(Deadline deadline) {
  DatagramReply reply;
  reply.data.resize(kMaxDatagram);
  for (;;) {
    // MSG_TRUNC as an input flag returns the datagram's real length (udp, unix dgram and seqpacket; recv(2)).
    auto received = net::recvMessageInto(m_fd.get(), reply.data, MSG_TRUNC);
    if (received && received->size == 0 && m_connected) {
      // SOCK_SEQPACKET gives 0 at EOF (unix(7)); an empty record cannot be told apart, and no check sends one.
      reply.kind = DatagramReply::Kind::Failed;
      reply.error = "EOF: the server closed the connection";
      reply.data.clear();
      return reply;
    }
    if (received) {
      reply.fullSize = received->size;
      reply.data.resize(std::min(received->size, kMaxDatagram));
      return reply;
    }
    int code = received.error().code;
    if (code != EAGAIN && code != EWOULDBLOCK) {
      reply.kind = DatagramReply::Kind::Failed;
      reply.error = received.error().describe();
      reply.data.clear();
      return reply;
    }
    auto ready = net::waitReadable(m_fd.get(), deadline);
    if (!ready) {
      reply.kind = DatagramReply::Kind::Failed;
      reply.error = ready.error().describe();
      reply.data.clear();
      return reply;
    }
    if (*ready == net::Readiness::TimedOut) {
      reply.kind = DatagramReply::Kind::TimedOut;
      reply.data.clear();
      return reply;
    }
  }
}

std::string describeMissingReply(const DatagramReply& reply, std::chrono::milliseconds timeout) {
  if (reply.kind == DatagramReply::Kind::Failed) return reply.error;
  return fmt::format("no reply within {} ms", timeout.count());
}

Expected<DatagramReply, std::string> exchangeOneDatagram(const net::Endpoint& target, net::Bytes request,
                                                         Deadline deadline, std::chrono::milliseconds timeout) {
  auto client = DatagramClient::connect(target, deadline);
  if (!client) return Unexpected{client.error()};
  if (auto sent = client->send(request, deadline); !sent) return Unexpected{sent.error()};
  auto reply = client->receive(deadline);
  if (reply.kind != DatagramReply::Kind::Received) {
    return Unexpected{fmt::format("sent a {}-byte datagram: {}", request.size(), describeMissingReply(reply, timeout))};
  }
  return reply;
}

}  // namespace sockspec::suites
