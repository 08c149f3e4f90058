#include "suites/loopback_capture.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace sockspec::suites {

std::optional<std::string> whyNotCapturedOnLoopback(const net::Endpoint& target) {
  if (target.isUnix()) return fmt::format("{} is AF_UNIX: no packets to capture", target.toString());
  unsigned char address[16] = {};
  if (::inet_pton(AF_INET, target.host.c_str(), address) == 1) {
    if (address[0] == 127) return std::nullopt;  // 127.0.0.0/8, RFC 1122 3.2.1.3
  } else if (::inet_pton(AF_INET6, target.host.c_str(), address) == 1) {
    static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (std::equal(address, address + 16, kLoopback6)) return std::nullopt;
  }
  return fmt::format("{} is not a loopback address (checks are captured on lo)", target.host);
}

std::string captureFilterFor(const net::Endpoint& target) {
  return fmt::format("{} and host {} and port {}", target.transport == net::Transport::Udp ? "udp" : "tcp",
                     target.host, target.port);
}

}  // namespace sockspec::suites
