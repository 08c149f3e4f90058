// Input-to-state substitution (blackbox/comparison_memory.h): what a server failed to match while handling
// an input is written over the matching bytes of that input, either operand for the other, integers in
// either byte order; an input nothing was remembered for, or whose remembered operands it does not hold,
// is left alone; the oldest inputs are forgotten first.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "blackbox/comparison_memory.h"

using namespace sockspec::blackbox;

namespace {

std::vector<std::uint8_t> bytesOf(std::string_view text) { return {text.begin(), text.end()}; }

ServerComparison bytesComparison(std::string_view a, std::string_view b) {
  return {true, static_cast<std::uint32_t>(a.size()), 0, 0, 0, bytesOf(a), bytesOf(b)};
}

std::string substituted(const ComparisonMemory& memory, std::string input, unsigned int seed) {
  std::size_t size = memory.substitute(reinterpret_cast<std::uint8_t*>(input.data()), input.size(), seed);
  return size == 0 ? "(none)" : input.substr(0, size);
}

}  // namespace

TEST_CASE("comparison memory writes the other operand of a failed memcmp over the input's bytes", "[unit]") {
  ComparisonMemory memory;
  std::string input = "KEY abcdefgh\n";
  memory.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                  {bytesComparison("abcd", "Zq7!")});
  CHECK(substituted(memory, input, 0) == "KEY Zq7!efgh\n");
  // The constant side may come first: the other way round finds it too.
  ComparisonMemory reversed;
  reversed.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                    {bytesComparison("Zq7!", "efgh")});
  CHECK(substituted(reversed, input, 0) == "KEY abcdZq7!\n");
}

TEST_CASE("comparison memory substitutes integers in either byte order", "[unit]") {
  std::string input = std::string("\x00\x10\xAA\xBB\xCC\xDD", 6);
  ServerComparison littleEndian{false, 4, 0, 0xDDCCBBAA, 0x11223344, {}, {}};
  ComparisonMemory memory;
  memory.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), {littleEndian});
  CHECK(substituted(memory, input, 0) == std::string("\x00\x10\x44\x33\x22\x11", 6));
  // Read as big-endian by the server (ntohl): its operand is the bytes reversed.
  ServerComparison bigEndian{false, 4, 0, 0xAABBCCDD, 0x11223344, {}, {}};
  ComparisonMemory network;
  network.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), {bigEndian});
  CHECK(substituted(network, input, 0) == std::string("\x00\x10\x11\x22\x33\x44", 6));
}

TEST_CASE("comparison memory leaves alone an input it knows nothing of, or whose operands it lacks", "[unit]") {
  ComparisonMemory memory;
  std::string input = "HELLO\n";
  CHECK(substituted(memory, input, 0) == "(none)");
  memory.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), {bytesComparison("xyz1", "Zq7!")});
  CHECK(substituted(memory, input, 3) == "(none)");
  // Equal operands teach nothing and are not kept.
  memory.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), {bytesComparison("HELL", "HELL")});
  CHECK(memory.inputs() == 1);
  CHECK(substituted(memory, input, 0) == "(none)");
}

TEST_CASE("comparison memory forgets the oldest inputs first", "[unit]") {
  ComparisonMemory memory;
  for (std::size_t i = 0; i <= ComparisonMemory::kInputs; ++i) {
    std::string input = "KEY abcd " + std::to_string(i);
    memory.remember(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(), {bytesComparison("abcd", "Zq7!")});
  }
  CHECK(memory.inputs() == ComparisonMemory::kInputs);
  CHECK(substituted(memory, "KEY abcd 0", 0) == "(none)");
  CHECK(substituted(memory, "KEY abcd 1", 0) == "KEY Zq7! 1");
}
