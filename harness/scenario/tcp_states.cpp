#include "scenario/tcp_states.h"

#include <array>

namespace sockspec::scenario {

namespace {
// Index = the kernel's number (include/net/tcp_states.h); 0 is unused.
constexpr std::array<std::string_view, 13> kStates{"?",         "ESTABLISHED", "SYN_SENT",  "SYN_RECV", "FIN_WAIT1",
                                                   "FIN_WAIT2", "TIME_WAIT",   "CLOSE",     "CLOSE_WAIT",
                                                   "LAST_ACK",  "LISTEN",      "CLOSING",   "NEW_SYN_RECV"};
}  // namespace

std::optional<int> tcpStateFromName(std::string_view name) {
  for (std::size_t i = 1; i < kStates.size(); ++i) {
    if (kStates[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

bool isTcpStateName(std::string_view name) { return tcpStateFromName(name).has_value(); }

std::string_view tcpStateName(int state) {
  if (state <= 0 || static_cast<std::size_t>(state) >= kStates.size()) return "?";
  return kStates[static_cast<std::size_t>(state)];
}

}  // namespace sockspec::scenario
