#include "runner/time_wait_table.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sockspec::runner {

namespace {

constexpr std::string_view kTimeWaitState = "06";

// The address column of /proc/net/tcp{,6} for `local`: the address as the kernel's in-memory words printed
// with %08X each (so byte order is the host's), then ':' and the port in hex.
std::string procAddressColumn(const net::SockAddr& local) {
  if (local.family() == AF_INET) {
    sockaddr_in in4{};
    std::memcpy(&in4, local.get(), sizeof(in4));
    return fmt::format("{:08X}:{:04X}", in4.sin_addr.s_addr, ntohs(in4.sin_port));
  }
  sockaddr_in6 in6{};
  std::memcpy(&in6, local.get(), sizeof(in6));
  std::string text;
  for (int word = 0; word < 4; ++word) {
    std::uint32_t value = 0;
    std::memcpy(&value, &in6.sin6_addr.s6_addr[word * 4], sizeof(value));
    text += fmt::format("{:08X}", value);
  }
  return fmt::format("{}:{:04X}", text, ntohs(in6.sin6_port));
}

}  // namespace

Expected<bool, std::string> hasTimeWaitEntry(const net::SockAddr& local) {
  if (local.family() != AF_INET && local.family() != AF_INET6) {
    return Unexpected{std::string("time-wait: the socket never had a TCP address")};
  }
  const char* path = local.family() == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6";
  std::ifstream table(path);
  if (!table) return Unexpected{fmt::format("{}: cannot be read", path)};
  std::string wanted = procAddressColumn(local);
  std::string line;
  std::getline(table, line);  // the header
  // Bounded by the file: one pass over its lines.
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, localColumn, remoteColumn, state;
    fields >> slot >> localColumn >> remoteColumn >> state;
    if (localColumn == wanted && state == kTimeWaitState) return true;
  }
  return false;
}

}  // namespace sockspec::runner
