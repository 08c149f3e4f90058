#include "scenario/parser.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <filesystem>

#include "base/file_bytes.h"
#include "scenario/line_parser.h"
#include "scenario/verbs.h"

namespace sockspec::scenario {

std::string ParseError::describe() const {
  return fmt::format("{}:{}:{}: {}", place.file, place.line, place.column, message);
}

namespace {

using detail::isHeaderWord;
using detail::LineParser;
using detail::NameTable;
using detail::StepFiles;

// The bytes a step's byte strings hold (arguments, files and expectation), for the per-file budget.
std::size_t bytesHeldBy(const Step& step) {
  std::size_t total = step.expect.data ? step.expect.data->text().size() : 0;
  for (const auto& argument : step.arguments) {
    if (argument.kind == Argument::Kind::Bytes) total += argument.text.size();
    if (argument.kind == Argument::Kind::File) total += argument.fileBytes.size();
  }
  return total;
}

// The first family of `scenario` that is not a byte stream (a read verb cannot run over it), or nullopt.
std::optional<Family> firstNonStreamFamily(const Scenario& scenario) {
  for (Family family : scenario.families) {
    if (net::typeOf(family) != SOCK_STREAM) return family;
  }
  return std::nullopt;
}

}  // namespace

ParseResult parseScenario(std::string_view text, std::string_view fileName, const ParseLimits& limits,
                          const FileReader& readFile) {
  Scenario scenario;
  scenario.file = std::string(fileName);
  const StepFiles files{std::filesystem::path(scenario.file).parent_path(), readFile};
  std::vector<ParseError> errors;
  NameTable names;
  auto addError = [&](ParseError error) {
    if (errors.size() < kMaxErrorsPerFile) errors.push_back(std::move(error));
  };
  if (text.size() > kMaxScenarioFileBytes) {
    addError({{scenario.file, 1, 1}, fmt::format("file is {} bytes; a scenario file is at most {}", text.size(),
                                                  kMaxScenarioFileBytes)});
    return Unexpected{std::move(errors)};
  }

  int lineNumber = 0;
  std::size_t start = 0;
  std::size_t bytesInFile = 0;  // at most limits.bytesPerFile
  // Bounded: each pass consumes one line of a text of bounded size.
  while (start < text.size() && errors.size() < kMaxErrorsPerFile) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    SourcePlace lineStart{scenario.file, lineNumber, 1};

    auto tokens = tokenizeLine(line);
    if (!tokens) {
      addError({{scenario.file, lineNumber, tokens.error().column}, tokens.error().message});
      continue;
    }
    if (tokens->empty()) continue;
    bool header = (*tokens)[0].kind == Token::Kind::Word && isHeaderWord((*tokens)[0].text) &&
                  !(tokens->size() >= 2 && (*tokens)[1].kind == Token::Kind::Equals);
    LineParser parser(std::move(*tokens), lineStart, names, limits, files);
    if (header) {
      if (!scenario.steps.empty()) {
        addError({lineStart, "header lines (scenario, title, families, ...) come before the first step"});
        continue;
      }
      if (auto applied = parser.parseHeader(scenario); !applied) addError(applied.error());
      continue;
    }
    auto step = parser.parseStep();
    if (!step) {
      addError(step.error());
      continue;
    }
    const std::size_t stepBytes = bytesHeldBy(*step);
    if (stepBytes > limits.bytesPerFile - bytesInFile) {
      addError({lineStart,
                fmt::format("the scenario's byte strings would exceed {} bytes in all", limits.bytesPerFile)});
      continue;
    }
    bytesInFile += stepBytes;
    if (!step->result.empty()) names.emplace(step->result, lineNumber);
    scenario.steps.push_back(std::move(*step));
  }

  SourcePlace top{scenario.file, 1, 1};
  if (scenario.id.empty()) addError({top, "missing 'scenario ID' line"});
  if (scenario.families.empty()) addError({top, "missing 'families' line (e.g. 'families tcp4 tcp6 unix')"});
  if (scenario.source.empty()) {
    addError({top, "missing 'source' line: cite where the expectation comes from (man page, RFC, kernel)"});
  }
  if (scenario.steps.empty() && errors.empty()) addError({top, "the scenario has no steps"});
  // connect-target reaches the server under test (run --target/--target-cmd): said in the header, so that
  // a run without one reports the scenario as skipped instead of failing it at that step.
  for (const auto& step : scenario.steps) {
    if (verbSpec(step.verb).needsTarget && !scenario.hasRequirement("target")) {
      addError({step.place, fmt::format("{} needs 'requires target' in the header (the server under test)",
                                        verbName(step.verb))});
      break;
    }
  }
  // The read verbs read a byte stream; over datagrams, recv is the read (one datagram per call).
  const auto nonStream = firstNonStreamFamily(scenario);
  for (const auto& step : scenario.steps) {
    if (nonStream && verbSpec(step.verb).streamOnly) {
      addError(
          {step.place, fmt::format("{} reads a byte stream, and {} is not one: list only tcp4, tcp6 and unix "
                                   "(recv reads one datagram or message)",
                                   verbName(step.verb), familyName(*nonStream))});
      break;
    }
  }
  if (!errors.empty()) return Unexpected{std::move(errors)};
  return scenario;
}

ParseResult parseScenarioFile(const std::string& path) {
  // One byte past the limit is enough for parseScenario to refuse the file by its size.
  auto text = readFileBytes(path, kMaxScenarioFileBytes);
  if (!text) return Unexpected{std::vector<ParseError>{{{path, 0, 0}, text.error().describe()}}};
  return parseScenario(*text, path);
}

}  // namespace sockspec::scenario
