// Fuzz target `scenario_parser`: the scenario language's parser and printer (harness/scenario). On any text
// the parser must return (never crash, never hang: parser.h bounds sizes, errors and nesting), and every
// error must name a place; when it accepts, the printed canonical form must parse again to an equal
// Scenario, and printing that must give the same bytes (printer.h: "text that parses to an equal Scenario").
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace {
// Smaller than the defaults (16 MiB a value, 64 MiB a file), so that an input declaring "x" * 16MiB is
// refused by the same checks in microseconds: built, printed and re-parsed at full size, such inputs (the
// regression seed bytes-per-file-unbounded.scn and its mutants) held a 60 s run to 261 inputs a second.
constexpr sockspec::scenario::ParseLimits kLimits{64 * 1024, 256 * 1024};

// send-file's files, without the file system: "data.bin" (in the scenario's folder) holds fixed bytes, every
// other path is missing. Deterministic, and the parse error of a missing file is fuzzed too.
sockspec::Result<std::string> servedFile(const std::string& path, std::size_t /*maxBytes*/) {
  if (path == "data.bin") return std::string("PING\r\n\x00\xff", 8);
  return sockspec::failWith(ENOENT, "open");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = sockspec::scenario::parseScenario(text, "fuzz.scn", kLimits, servedFile);
  if (!parsed) {
    SOCKSPEC_FUZZ_CHECK(!parsed.error().empty(), "a rejected scenario has at least one error");
    SOCKSPEC_FUZZ_CHECK(parsed.error().size() <= sockspec::scenario::kMaxErrorsPerFile,
                        "errors are capped per file");
    for (const auto& error : parsed.error()) {
      SOCKSPEC_FUZZ_CHECK(!error.message.empty(), "every error says what is wrong");
      SOCKSPEC_FUZZ_CHECK(error.place.file == "fuzz.scn", "every error names the file");
    }
    return 0;
  }
  const std::string printed = sockspec::scenario::printScenario(*parsed);
  const auto reparsed = sockspec::scenario::parseScenario(printed, "printed.scn", kLimits, servedFile);
  // The start of the printed form says enough (it can be megabytes).
  const std::string shown = printed.substr(0, 4000);
  if (!reparsed) {
    std::fprintf(stderr, "printed form:\n%s\nfirst error: %s\n", shown.c_str(),
                 reparsed.error().front().describe().c_str());
  }
  SOCKSPEC_FUZZ_CHECK(static_cast<bool>(reparsed), "the printed form of an accepted scenario parses");
  if (!(*reparsed == *parsed)) std::fprintf(stderr, "printed form:\n%s\n", shown.c_str());
  SOCKSPEC_FUZZ_CHECK(*reparsed == *parsed, "the printed form parses to an equal scenario");
  SOCKSPEC_FUZZ_CHECK(sockspec::scenario::printScenario(*reparsed) == printed, "printing is idempotent");
  return 0;
}
