// ExchangeContext: what every service of sockspec-client runs with once the socket is connected: the
// command line, where it is connected to, how to cut what it sends, the one deadline, and where replies go.
#pragma once

#include "base/deadline.h"
#include "chunk_plan.h"
#include "client_options.h"
#include "net/endpoint.h"
#include "reply_sink.h"
#include "stream_exchange.h"

namespace sockspec::client {

struct ExchangeContext {
  const ClientOptions& options;
  const net::Endpoint& endpoint;
  const ChunkPlan& chunks;
  Deadline deadline;  // of the whole exchange, connect included
  ReplySink& replies;

  StreamSettings streamSettings() const {
    return {chunks, options.delay, options.readSize, endpoint.transport == net::Transport::UnixSeqpacket};
  }
};

}  // namespace sockspec::client
