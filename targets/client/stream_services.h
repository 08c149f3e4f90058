// echo, discard, chargen and daytime over a connection (tcp, unix, and for all but echo unix-seqpacket),
// each as one StreamExchange. Echo over seqpacket keeps record boundaries and lives in datagram_exchange.h.
#pragma once

#include <string_view>

#include "client_outcome.h"
#include "exchange_context.h"
#include "net/unique_fd.h"

namespace sockspec::client {

// Runs context.options.service on the connected `fd`, sending `input` where the service sends anything.
// Leaves `fd` open after a normal end (the caller closes it); --abort resets and closes it here.
Outcome runStreamService(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context);

}  // namespace sockspec::client
