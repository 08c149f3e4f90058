#include "runner/read_step.h"

#include <fmt/format.h>

#include <cerrno>
#include <string>

#include "base/deadline.h"
#include "base/display_escape.h"
#include "runner/reply_reader.h"
#include "scenario/printer.h"
#include "scenario/symbols.h"
#include "scenario/verbs.h"

namespace sockspec::runner {

namespace {

using scenario::Argument;
using scenario::Verb;

// The value of the step's "NAME N" option, or `otherwise`.
std::int64_t optionValue(const scenario::Step& step, std::string_view name, std::int64_t otherwise) {
  for (const Argument& argument : step.arguments) {
    if (argument.kind == Argument::Kind::Option && argument.text == name) return argument.integer;
  }
  return otherwise;
}

// "12 bytes: \"hello\\r\\nwor...\"".
std::string bytesSoFar(const std::string& bytes) {
  return fmt::format("{} byte{}: \"{}\"", bytes.size(), bytes.size() == 1 ? "" : "s",
                     escapeForDisplay(bytes, 48));
}

// What a read that reached its limit failed to find, for "no ... within N bytes".
std::string missingEnd(const scenario::Step& step) {
  switch (step.verb) {
    case Verb::ReadLine:
      return "end of line";
    case Verb::ReadUntil:
      return fmt::format("\"{}\"", escapeForDisplay(step.arguments[1].text, 40));
    case Verb::ReadEof:
      return "eof";
    default:
      return "end";
  }
}

StreamRead readAsStepSays(const scenario::Step& step, int fd, std::size_t limit, Deadline deadline) {
  switch (step.verb) {
    case Verb::ReadLine:
      return readUntilDelimiter(fd, "\n", limit, deadline);
    case Verb::ReadUntil:
      return readUntilDelimiter(fd, step.arguments[1].text, limit, deadline);
    case Verb::Read:
      return readExactly(fd, static_cast<std::size_t>(step.arguments[1].integer), deadline);
    case Verb::ReadEof:
      return readToEof(fd, limit, deadline);
    default:
      break;  // ReadPrefixed: the only other verb runReadStep is called for
  }
  auto field =
      scenario::valueOf(scenario::lengthFields(), step.arguments[1].text).value_or(scenario::LengthField{});
  return readFrame(fd, field, static_cast<std::size_t>(optionValue(step, "at", 0)), limit, deadline);
}

}  // namespace

StepOutcome runReadStep(const scenario::Step& step, int fd, std::chrono::milliseconds deadline) {
  const auto limit = static_cast<std::size_t>(optionValue(step, "max", scenario::kDefaultReadLimit));
  StreamRead read = readAsStepSays(step, fd, limit, Deadline::after(deadline));
  StepOutcome outcome;
  outcome.value = static_cast<std::int64_t>(read.bytes.size());
  switch (read.end) {
    case StreamRead::End::Complete:
      break;
    case StreamRead::End::Eof:
      // Nothing at all before EOF is "-> eof", as recv's 0; EOF in the middle of a reply is no reply.
      if (!read.bytes.empty()) outcome.incomplete = "eof after " + bytesSoFar(read.bytes);
      break;
    case StreamRead::End::Limit:
      if (step.verb == Verb::ReadPrefixed) {
        outcome.incomplete = fmt::format(
            "the frame is {} bytes by its length field, more than the limit of {}", read.frameBytes, limit);
      } else {
        outcome.incomplete = fmt::format("no {} within {} bytes: \"{}\"", missingEnd(step), limit,
                                         escapeForDisplay(read.bytes, 48));
      }
      break;
    case StreamRead::End::Deadline:
      outcome.value = -1;
      outcome.error = EAGAIN;
      outcome.note = read.bytes.empty() ? fmt::format("nothing arrived within the step's deadline of {} ms",
                                                      deadline.count())
                                        : fmt::format("after {}; no more within the step's deadline of {} ms",
                                                      bytesSoFar(read.bytes), deadline.count());
      break;
    case StreamRead::End::Error:
      outcome.value = -1;
      outcome.error = read.error;
      if (!read.bytes.empty()) outcome.note = "after " + bytesSoFar(read.bytes);
      break;
  }
  outcome.bytes = std::move(read.bytes);
  return outcome;
}

}  // namespace sockspec::runner
