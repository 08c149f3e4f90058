#include "blackbox/random_block_mutation.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace sockspec::blackbox {

std::size_t mutateWithRandomBlock(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                  std::uint32_t seed) {
  if (maxSize == 0) return 0;
  std::mt19937 random(seed);
  auto below = [&](std::size_t bound) { return static_cast<std::size_t>(random() % bound); };
  std::size_t block = 1 + below(std::min(maxSize, kLongestRandomBlock));
  std::size_t at = below(size + 1);
  if (size + block <= maxSize) {
    std::memmove(data + at + block, data + at, size - at);  // make room: insert
    size += block;
  } else {
    block = std::min(block, size);
    at = below(size - block + 1);  // overwrite within the input
  }
  for (std::size_t i = 0; i < block; ++i) data[at + i] = static_cast<std::uint8_t>(random());
  return size;
}

std::size_t mutateInput(std::uint8_t* data, std::size_t size, std::size_t maxSize, unsigned int seed,
                        LibFuzzerMutate libFuzzerMutate, const ComparisonMemory* memory) {
  if (memory != nullptr && seed % 4 == 1) {
    if (std::size_t substituted = memory->substitute(data, size, seed / 4); substituted != 0) return substituted;
  }
  if (seed % 4 != 0) return libFuzzerMutate(data, size, maxSize);
  return mutateWithRandomBlock(data, size, maxSize, seed / 4);
}

}  // namespace sockspec::blackbox
