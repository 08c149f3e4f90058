#include "suites/chargen_verifier.h"

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::suites {

namespace {

constexpr std::size_t kLineCharacters = 72;

std::string showByte(std::uint8_t byte) {
  char text = static_cast<char>(byte);
  return "'" + escapeForDisplay(std::string_view(&text, 1)) + "'";
}

bool matchesAt(std::span<const std::uint8_t> bytes, std::size_t phase) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (static_cast<char>(bytes[i]) != chargenByte(phase + i)) return false;
  }
  return true;
}

}  // namespace

char chargenByte(std::uint64_t position) {
  std::uint64_t inCycle = position % kChargenCycleBytes;
  std::uint64_t line = inCycle / kChargenLineBytes;
  std::uint64_t column = inCycle % kChargenLineBytes;
  if (column == kLineCharacters) return '\r';
  if (column == kLineCharacters + 1) return '\n';
  return static_cast<char>(' ' + (line + column) % 95);
}

std::optional<std::size_t> findChargenPhase(std::span<const std::uint8_t> bytes) {
  // 7,030 candidate positions; a wrong one fails within a byte or two, so this is cheap.
  for (std::size_t phase = 0; phase < kChargenCycleBytes; ++phase) {
    if (matchesAt(bytes, phase)) return phase;
  }
  return std::nullopt;
}

void ChargenVerifier::feed(std::span<const std::uint8_t> bytes) {
  m_received += bytes.size();
  if (m_problem) return;
  if (!m_phase) {
    std::size_t take = std::min(bytes.size(), kChargenLineBytes - std::min(m_head.size(), kChargenLineBytes));
    m_head.append(reinterpret_cast<const char*>(bytes.data()), take);
    bytes = bytes.subspan(take);
    if (m_head.size() < kChargenLineBytes) return;
    std::span<const std::uint8_t> head(reinterpret_cast<const std::uint8_t*>(m_head.data()), m_head.size());
    m_phase = findChargenPhase(head);
    if (!m_phase) {
      m_problem = fmt::format("the first {} bytes are no line of the RFC 864 pattern: \"{}\"", m_head.size(),
                              escapeForDisplay(m_head, 100));
      return;
    }
    m_verified = m_head.size();
  }
  verify(bytes);
}

void ChargenVerifier::verify(std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::uint64_t position = *m_phase + m_verified + i;
    char wanted = chargenByte(position);
    if (static_cast<char>(bytes[i]) != wanted) {
      std::uint64_t offset = m_verified + i;
      m_problemOffset = offset;
      // Lines counted from the stream's first full line boundary, for people reading the message.
      m_problem = fmt::format("byte {} (column {} of its line): expected {}, got {}", offset,
                              (position % kChargenLineBytes) + 1, showByte(static_cast<std::uint8_t>(wanted)),
                              showByte(bytes[i]));
      return;
    }
  }
  m_verified += bytes.size();
}

}  // namespace sockspec::suites
