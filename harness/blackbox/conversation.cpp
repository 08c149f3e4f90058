#include "blackbox/conversation.h"

#include <algorithm>

namespace sockspec::blackbox {

std::vector<net::Bytes> splitConversation(net::Bytes input) {
  std::vector<net::Bytes> messages;
  const auto* separator = reinterpret_cast<const std::uint8_t*>(kMessageSeparator.data());
  // Bounded: each pass consumes at least the separator, and the count is capped.
  while (messages.size() + 1 < kMaxMessages) {
    auto at = std::search(input.begin(), input.end(), separator, separator + kMessageSeparator.size());
    if (at == input.end()) break;
    auto length = static_cast<std::size_t>(at - input.begin());
    messages.push_back(input.first(length));
    input = input.subspan(length + kMessageSeparator.size());
  }
  messages.push_back(input);
  return messages;
}

std::vector<std::uint8_t> joinConversation(const std::vector<std::vector<std::uint8_t>>& messages) {
  std::vector<std::uint8_t> input;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i != 0) input.insert(input.end(), kMessageSeparator.begin(), kMessageSeparator.end());
    input.insert(input.end(), messages[i].begin(), messages[i].end());
  }
  return input;
}

}  // namespace sockspec::blackbox
