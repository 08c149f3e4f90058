// Ending a connection the way --abort asks: SO_LINGER {1,0} before close(2) sends RST instead of FIN, so the
// server's next recv or send fails with ECONNRESET (socket(7); tcp_close() in the kernel; SOCKET-FACTS).
#pragma once

#include <string_view>

#include "client_outcome.h"
#include "net/endpoint.h"
#include "net/unique_fd.h"

namespace sockspec::client {

// Sets SO_LINGER {1,0} on `fd` and closes it. `fd` is empty afterwards, whatever happened.
Outcome resetConnection(net::UniqueFd& fd, const net::Endpoint& endpoint);

// shutdown(SHUT_WR): the client has nothing more to send. A connection the server reset meanwhile is
// reported as that reset (from SO_ERROR), not as the ENOTCONN that shutdown(2) gives on it.
Outcome shutdownWriting(int fd, const net::Endpoint& endpoint, std::string_view during,
                        std::string_view progress = {});

// Closes `fd` through the socket layer (so that --events records it), if it is still open.
Outcome closeConnection(net::UniqueFd& fd, const net::Endpoint& endpoint);

}  // namespace sockspec::client
