// A mutation of our own beside libFuzzer's: a block of random bytes written over or into the input (AFL's
// "havoc" random blocks). In-process fuzzing finds magic byte sequences through comparison feedback; a
// server behind a socket gives none, so a short sequence that trips it is found by volume, and random
// blocks put far more distinct byte sequences into each input than libFuzzer's few-byte edits do.
#pragma once

#include <cstddef>
#include <cstdint>

#include "blackbox/comparison_memory.h"

namespace sockspec::blackbox {

inline constexpr std::size_t kLongestRandomBlock = 512;

// Writes 1..kLongestRandomBlock random bytes, chosen by `seed`, into `data` (holding `size` bytes, room for
// `maxSize`): inserted at a random place while it fits, else over existing bytes. Returns the new size.
std::size_t mutateWithRandomBlock(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                  std::uint32_t seed);

// One mutation as libFuzzer asks its custom mutator for one (LLVMFuzzerCustomMutator): a random block one
// time in four; grey-box (`memory` given), an input-to-state substitution one time in four
// (comparison_memory.h) where the input has one; else libFuzzer's own (`libFuzzerMutate`, its LLVMFuzzerMutate).
using LibFuzzerMutate = std::size_t (*)(std::uint8_t* data, std::size_t size, std::size_t maxSize);
std::size_t mutateInput(std::uint8_t* data, std::size_t size, std::size_t maxSize, unsigned int seed,
                        LibFuzzerMutate libFuzzerMutate, const ComparisonMemory* memory = nullptr);

}  // namespace sockspec::blackbox
