// TCP state names as the kernel numbers them (include/net/tcp_states.h), for check ... state -> NAME.
#pragma once

#include <optional>
#include <string_view>

namespace sockspec::scenario {

bool isTcpStateName(std::string_view name);
std::optional<int> tcpStateFromName(std::string_view name);  // TCP_ESTABLISHED = 1, ...
std::string_view tcpStateName(int state);                      // "ESTABLISHED"; "?" for an unknown number

}  // namespace sockspec::scenario
