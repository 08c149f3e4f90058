#include "runner/step_outcome.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "base/errno_names.h"
#include "scenario/printer.h"
#include "scenario/symbols.h"

namespace sockspec::runner {

namespace {

bool readsData(scenario::Verb verb) {
  scenario::Yields yields = scenario::verbSpec(verb).yields;
  return yields == scenario::Yields::Data || yields == scenario::Yields::DataAndMessageFlags;
}

bool reportsMessageFlags(scenario::Verb verb) {
  return scenario::verbSpec(verb).yields == scenario::Yields::DataAndMessageFlags;
}

std::string shortBytes(std::string_view bytes) {
  return fmt::format("{} byte{} \"{}\"", bytes.size(), bytes.size() == 1 ? "" : "s", escapeForDisplay(bytes, 48));
}

// The names of the msg_flags bits set in `flags` that an expectation may name, each after a space.
std::string flagNames(int flags) {
  std::string text;
  for (const auto& flag : scenario::messageFlags()) {
    if (flag.roles.reported && (flags & flag.bit) != 0) text += " " + std::string(flag.name);
  }
  return text;
}

// The bit of a msg_flags name the parser accepted (scenario/symbols.h); 0 for any other name.
int reportedFlagBit(std::string_view name) {
  const scenario::MessageFlag* flag = scenario::findMessageFlag(name);
  return flag != nullptr && flag->roles.reported ? flag->bit : 0;
}

// Exact bytes as "5 bytes \"hello\"" (as recv's messages always said), other patterns as written.
std::string describePattern(const pattern::BytePattern& data) {
  return data.kind() == pattern::PatternKind::Exact ? shortBytes(data.text()) : data.describe();
}

// Whether `outcome` read bytes that `data` matches (no pattern: nothing to match).
bool dataMatches(const std::optional<pattern::BytePattern>& data, const StepOutcome& outcome) {
  return !data || (outcome.bytes && data->matches(*outcome.bytes));
}

}  // namespace

std::string describeOutcome(const StepOutcome& outcome, scenario::Verb verb) {
  std::string text;
  if (outcome.wouldBlock) {
    text = "nothing ready (it would block)";
  } else if (outcome.error != 0) {
    text = fmt::format("{} ({})", errnoName(outcome.error), errnoDescription(outcome.error));
  } else if (!outcome.incomplete.empty()) {
    text = outcome.incomplete;
  } else if (!outcome.word.empty()) {
    text = outcome.word;
  } else if (readsData(verb) && outcome.bytes) {
    // The read verbs read byte streams only: their 0 is EOF.
    const char* zero = scenario::verbSpec(verb).streamOnly ? "0 (eof)" : "0 (eof or an empty datagram)";
    text = outcome.value == 0 ? std::string(zero) : shortBytes(*outcome.bytes);
    if (outcome.bytes->size() != static_cast<std::size_t>(outcome.value)) {
      text = fmt::format("{} (returned {}, copied {})", text, outcome.value, outcome.bytes->size());
    }
    text += flagNames(outcome.messageFlags);
  } else {
    text = std::to_string(outcome.value);
  }
  if (!outcome.note.empty()) text += "; " + outcome.note;
  return text;
}

std::string describeExpectation(const scenario::Expectation& expect) {
  using Kind = scenario::Expectation::Kind;
  std::string text;
  switch (expect.kind) {
    case Kind::Success: return "success";
    case Kind::Count:
      text = std::to_string(expect.count);
      if (expect.data) text += " and " + expect.data->describe();
      break;
    case Kind::Bytes:
      text = expect.data ? describePattern(*expect.data) : shortBytes("");
      break;
    case Kind::Eof: return "0 (eof)";
    case Kind::Blocks: return "nothing ready (it would block)";
    case Kind::Any: return "anything";
    case Kind::Word: return expect.word;
    case Kind::Errno:
      for (const auto& name : expect.errnos) text += (text.empty() ? "" : " or ") + name;
      return text;
  }
  for (const auto& flag : expect.flags) text += " " + flag;
  return text;
}

std::string mismatch(const scenario::Expectation& expect, const StepOutcome& outcome, scenario::Verb verb) {
  using Kind = scenario::Expectation::Kind;
  bool met = false;
  bool succeeded = outcome.error == 0 && !outcome.wouldBlock && outcome.incomplete.empty();
  switch (expect.kind) {
    case Kind::Any: met = true; break;
    case Kind::Success: met = succeeded; break;
    case Kind::Blocks: met = outcome.wouldBlock; break;
    case Kind::Count:
      met = succeeded && outcome.value == expect.count && dataMatches(expect.data, outcome);
      break;
    case Kind::Eof: met = succeeded && outcome.value == 0; break;
    case Kind::Word: met = succeeded && outcome.word == expect.word; break;
    case Kind::Bytes:
      met = succeeded && expect.data && dataMatches(expect.data, outcome);
      break;
    case Kind::Errno:
      met = !outcome.wouldBlock && outcome.error != 0 &&
            std::any_of(expect.errnos.begin(), expect.errnos.end(),
                        [&](const std::string& name) { return errnoFromName(name) == outcome.error; });
      break;
  }
  if (reportsMessageFlags(verb) && succeeded && expect.kind != Kind::Any) {
    // recvmsg's msg_flags must be exactly the ones named: "-> \"hello\"" also says "and not MSG_TRUNC".
    int wanted = 0;
    for (const auto& flag : expect.flags) wanted |= reportedFlagBit(flag);
    if ((outcome.messageFlags & scenario::reportedFlagBits()) != wanted) met = false;
  }
  if (met) return {};
  return fmt::format("expected {}, got {}", describeExpectation(expect), describeOutcome(outcome, verb));
}

}  // namespace sockspec::runner
