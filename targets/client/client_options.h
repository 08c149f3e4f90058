// ClientOptions: what the command line of sockspec-client asked for, as main.cpp parsed it. The flag table
// itself (names, defaults, help text) lives once, in main.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/service.h"

namespace sockspec::client {

// The services and their names are proto's (proto/service.h).
using proto::Service;
using proto::serviceName;

// How a connection ends once the service has sent everything it sends.
enum class CloseMode {
  Normal,     // close(2) when the exchange is complete (discard: shutdown(SHUT_WR) and wait for EOF first)
  HalfClose,  // shutdown(SHUT_WR), then read until the server closes (--half-close)
  Abort,      // SO_LINGER {1,0} and close(2) at once: RST instead of FIN (--abort)
};

struct ClientOptions {
  std::string connectUrl;
  Service service = Service::Echo;
  std::optional<std::string> inputPath;   // --input; "-" is standard input
  std::optional<std::string> inlineData;  // --data, C escapes not yet decoded
  std::string chunkSizes;                 // --chunk as written; empty: no chunking
  std::chrono::milliseconds delay{0};
  std::size_t readSize = 65536;
  CloseMode closeMode = CloseMode::Normal;
  std::uint64_t maxBytes = 74;  // one RFC 864 line: 72 characters and CR LF
  std::chrono::milliseconds timeout{10000};
  std::string eventsPath;  // empty: no event log
  std::string outputPath;  // empty: standard output
  bool raw = false;
  bool quiet = false;
};

}  // namespace sockspec::client
