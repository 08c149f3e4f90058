#include "support/live_transports.h"

#include <catch2/catch.hpp>

#include "support/built_programs.h"

namespace sockspec::testing {

std::string listenUrlFor(std::string_view transport) {
  if (transport == "tcp") return "tcp://127.0.0.1:0";
  if (transport == "tcp6") return "tcp://[::1]:0";
  if (transport == "udp") return "udp://127.0.0.1:0";
  if (transport == "udp6") return "udp://[::1]:0";
  if (transport == "unix" || transport == "unix-dgram" || transport == "unix-seqpacket") {
    return std::string(transport) + "://" + tempSocketPath(std::string(transport));
  }
  FAIL("unknown transport '" << transport << "'");
  return {};
}

std::string unixPathOf(std::string_view url) {
  if (url.rfind("unix", 0) != 0) return {};
  auto start = url.find("://");
  if (start == std::string_view::npos || url.substr(start + 3, 1) == "@") return {};
  return std::string(url.substr(start + 3));
}

bool isConnectionless(std::string_view transport) {
  return transport == "udp" || transport == "udp6" || transport == "unix-dgram";
}

}  // namespace sockspec::testing
