#include "suites/chargen_description.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::suites {

namespace {

constexpr std::string_view kNotRecommended = "not the recommended 72-column rotating pattern: ";

std::string quotedCharacter(std::uint8_t byte) {
  char text = static_cast<char>(byte);
  return "'" + escapeForDisplay(std::string_view(&text, 1)) + "'";
}

// The complete lines of `text`: what lies between its first CR LF and its last one.
std::vector<std::string_view> completeLines(std::string_view text) {
  std::vector<std::string_view> lines;
  auto start = text.find("\r\n");
  if (start == std::string_view::npos) return lines;
  start += 2;
  for (auto end = text.find("\r\n", start); end != std::string_view::npos; end = text.find("\r\n", start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

// Whether `line` is a contiguous run of `ring` read round and round.
bool isRunOf(std::string_view line, std::string_view ring) {
  if (line.empty()) return true;
  auto first = ring.find(line.front());
  if (first == std::string_view::npos) return false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ring[(first + i) % ring.size()]) return false;
  }
  return true;
}

std::string describeLines(const std::vector<std::string_view>& lines) {
  // Needs a few lines to say anything about lines; one length for all of them.
  if (lines.size() < 3) return {};
  std::size_t length = lines.front().size();
  if (length == 0) return {};
  std::set<char> distinct;
  for (auto line : lines) {
    if (line.size() != length) return {};
    distinct.insert(line.begin(), line.end());
  }
  std::string ring(distinct.begin(), distinct.end());
  bool rotating = std::all_of(lines.begin(), lines.end(), [&](std::string_view line) { return isRunOf(line, ring); });
  auto first = quotedCharacter(static_cast<std::uint8_t>(ring.front()));
  auto last = quotedCharacter(static_cast<std::uint8_t>(ring.back()));
  // The whole cycle is known only once the lines' starts can have gone round it; a datagram's few lines
  // show only part of it.
  if (rotating && lines.size() >= ring.size()) {
    return fmt::format("a cycle of {} characters ({} to {}), {} per line and CR LF", ring.size(), first, last, length);
  }
  if (rotating) {
    return fmt::format("lines of {} characters and CR LF, each a run of the {} characters seen ({} to {})", length,
                       ring.size(), first, last);
  }
  return fmt::format("lines of {} characters and CR LF over {} distinct characters", length, ring.size());
}

}  // namespace

std::string describeChargenBytes(std::span<const std::uint8_t> sample) {
  std::string_view text(reinterpret_cast<const char*>(sample.data()), sample.size());
  if (auto lines = describeLines(completeLines(text)); !lines.empty()) return lines;
  std::set<std::uint8_t> distinct(sample.begin(), sample.end());
  return fmt::format("{} bytes of {} distinct values, starting \"{}\"", sample.size(), distinct.size(),
                     escapeForDisplay(text, 40));
}

void ChargenObserver::feed(std::span<const std::uint8_t> bytes) {
  if (m_sample.size() < kSampleBytes) {
    auto take = std::min(bytes.size(), kSampleBytes - m_sample.size());
    m_sample.append(reinterpret_cast<const char*>(bytes.data()), take);
  }
  m_verifier.feed(bytes);
}

std::optional<std::string> ChargenObserver::note() const {
  if (!m_verifier.problem()) return std::nullopt;
  std::span<const std::uint8_t> sample(reinterpret_cast<const std::uint8_t*>(m_sample.data()), m_sample.size());
  std::string note = fmt::format("{}{}", kNotRecommended, describeChargenBytes(sample));
  if (m_verifier.problemOffset() == 0) return note;
  // It started as the recommended pattern: say for how long (xinetd's cycle matches it until a '~' is due).
  return fmt::format("{} (it matches the recommended pattern for its first {} bytes)", note,
                     m_verifier.problemOffset());
}

std::optional<std::string> chargenDatagramNote(std::span<const std::uint8_t> reply) {
  if (reply.empty() || findChargenPhase(reply)) return std::nullopt;
  return fmt::format("{}{}", kNotRecommended, describeChargenBytes(reply));
}

}  // namespace sockspec::suites
