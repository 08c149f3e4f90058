// The services over transports that keep message boundaries: udp and unix-dgram for every service, and
// unix-seqpacket for echo. One datagram (or record) per --chunk, each echo awaited and compared with its
// request before the next is sent; no poll loop is needed because nothing is in flight both ways at once.
#pragma once

#include <string_view>

#include "client_outcome.h"
#include "exchange_context.h"
#include "net/unique_fd.h"

namespace sockspec::client {

// Runs context.options.service over the connected datagram or seqpacket `fd`. Leaves `fd` open after a
// normal end (the caller closes it); --abort resets and closes it here.
Outcome runDatagramService(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context);

}  // namespace sockspec::client
