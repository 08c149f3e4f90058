#include "chunk_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "base/display_escape.h"

namespace sockspec::client {

Expected<ChunkPlan, std::string> ChunkPlan::parse(std::string_view text) {
  std::vector<std::size_t> sizes;
  std::size_t start = 0;
  for (std::size_t item = 1;; ++item) {
    const std::size_t comma = text.find(',', start);
    const std::string_view field =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    std::size_t size = 0;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), size);
    if (field.empty() || ec != std::errc{} || end != field.data() + field.size() || size == 0) {
      return Unexpected{fmt::format("size {} of '{}': '{}' is not a number of bytes (expected 1 or more)",
                                    item, escapeForDisplay(text, 60), escapeForDisplay(field, 24))};
    }
    sizes.push_back(size);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return ChunkPlan(std::move(sizes));
}

std::size_t ChunkPlan::sizeOf(std::size_t index) const {
  if (m_sizes.empty()) return std::numeric_limits<std::size_t>::max();
  return m_sizes[std::min(index, m_sizes.size() - 1)];
}

std::vector<std::size_t> splitByPlan(const ChunkPlan& plan, std::size_t total) {
  std::vector<std::size_t> lengths;
  std::size_t left = total;
  for (std::size_t index = 0; left > 0 || lengths.empty(); ++index) {
    const std::size_t length = std::min(plan.sizeOf(index), left);
    lengths.push_back(length);
    left -= length;
  }
  return lengths;
}

}  // namespace sockspec::client
