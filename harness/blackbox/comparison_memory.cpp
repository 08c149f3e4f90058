#include "blackbox/comparison_memory.h"

#include <algorithm>
#include <cstring>

namespace sockspec::blackbox {

namespace {

// FNV-1a: inputs are told apart, nothing more.
std::uint64_t hashOf(const std::uint8_t* data, std::size_t size) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 1099511628211ULL;
  return hash;
}

std::vector<std::uint8_t> littleEndian(std::uint64_t value, std::uint32_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::uint32_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return bytes;
}

// Where `needle` occurs in `data`, at most `most` places.
std::vector<std::size_t> placesOf(const std::uint8_t* data, std::size_t size, const std::vector<std::uint8_t>& needle,
                                  std::size_t most) {
  std::vector<std::size_t> places;
  if (needle.empty() || needle.size() > size) return places;
  for (std::size_t at = 0; at + needle.size() <= size && places.size() < most; ++at) {
    if (std::memcmp(data + at, needle.data(), needle.size()) == 0) places.push_back(at);
  }
  return places;
}

}  // namespace

void ComparisonMemory::remember(const std::uint8_t* input, std::size_t size,
                                const std::vector<ServerComparison>& comparisons) {
  std::vector<Operands> kept;
  for (const auto& comparison : comparisons) {
    if (kept.size() >= kPerInput) break;
    Operands operands;
    if (comparison.bytes) {
      operands = {comparison.bytes1, comparison.bytes2};
    } else {
      operands = {littleEndian(comparison.arg1, comparison.size), littleEndian(comparison.arg2, comparison.size)};
    }
    if (operands.a == operands.b || std::find(kept.begin(), kept.end(), operands) != kept.end()) continue;
    kept.push_back(std::move(operands));
  }
  if (kept.empty()) return;
  std::uint64_t key = hashOf(input, size);
  if (m_byInput.find(key) == m_byInput.end()) {
    m_order.push_back(key);
    if (m_order.size() > kInputs) {
      m_byInput.erase(m_order.front());
      m_order.pop_front();
    }
  }
  m_byInput[key] = std::move(kept);
}

std::size_t ComparisonMemory::substitute(std::uint8_t* data, std::size_t size, unsigned int seed) const {
  auto found = m_byInput.find(hashOf(data, size));
  if (found == m_byInput.end()) return 0;
  const auto& all = found->second;
  // From a random comparison on, the first whose operand occurs in the input.
  for (std::size_t tried = 0; tried < all.size(); ++tried) {
    const Operands& operands = all[(seed + tried) % all.size()];
    for (int way = 0; way < 4; ++way) {
      // Either operand may be the input's; an integer may have been read in either byte order.
      std::vector<std::uint8_t> from = (way & 1) != 0 ? operands.b : operands.a;
      std::vector<std::uint8_t> to = (way & 1) != 0 ? operands.a : operands.b;
      if ((way & 2) != 0) {
        std::reverse(from.begin(), from.end());
        std::reverse(to.begin(), to.end());
      }
      auto places = placesOf(data, size, from, 8);
      if (places.empty()) continue;
      std::size_t at = places[(seed / 7) % places.size()];
      std::memcpy(data + at, to.data(), to.size());
      return size;
    }
  }
  return 0;
}

}  // namespace sockspec::blackbox
