#include "report/report_text.h"

#include <cmath>

#include <fmt/format.h>

namespace sockspec::report::detail {

namespace {

bool isContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::size_t utf8SequenceLength(std::string_view text, std::size_t at) {
  // The well-formed byte sequences of the Unicode standard, table 3-7: the second byte's range depends on
  // the first so that overlong forms, surrogates and values above U+10FFFF are refused.
  auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byteAt(at);
  std::size_t length = 0;
  unsigned char secondLow = 0x80;
  unsigned char secondHigh = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) secondLow = 0xA0;
    if (lead == 0xED) secondHigh = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) secondLow = 0x90;
    if (lead == 0xF4) secondHigh = 0x8F;
  } else {
    return 0;
  }
  if (text.size() - at < length) return 0;
  unsigned char second = byteAt(at + 1);
  if (second < secondLow || second > secondHigh) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!isContinuation(byteAt(at + i))) return 0;
  }
  return length;
}

char32_t decodeUtf8(std::string_view sequence) {
  auto lead = static_cast<unsigned char>(sequence.front());
  char32_t value = 0;
  switch (sequence.size()) {
    case 2: value = lead & 0x1Fu; break;
    case 3: value = lead & 0x0Fu; break;
    case 4: value = lead & 0x07u; break;
    default: return lead;
  }
  for (std::size_t i = 1; i < sequence.size(); ++i) {
    value = (value << 6) | (static_cast<unsigned char>(sequence[i]) & 0x3Fu);
  }
  return value;
}

TextPiece textPieceAt(std::string_view text, std::size_t at) {
  auto byte = static_cast<unsigned char>(text[at]);
  std::size_t length = byte < 0x80 ? 0 : utf8SequenceLength(text, at);
  if (length == 0) {
    return {byte < 0x80 ? TextPiece::Kind::Ascii : TextPiece::Kind::NotUtf8, text.substr(at, 1), byte};
  }
  std::string_view sequence = text.substr(at, length);
  return {TextPiece::Kind::Utf8, sequence, decodeUtf8(sequence)};
}

std::string oneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    TextPiece piece = textPieceAt(text, i);
    i += piece.bytes.size();
    char32_t value = piece.codePoint;
    if (piece.kind == TextPiece::Kind::Utf8) {
      // C1 controls: a UTF-8 terminal may act on U+009B as CSI just like ESC [.
      if (value >= 0x80 && value <= 0x9F) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(value));
      } else {
        out += piece.bytes;
      }
      continue;
    }
    switch (value) {
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (value >= 0x20 && value < 0x7F) {
      out += static_cast<char>(value);
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(value));
    }
  }
  return out;
}

std::string wholeMilliseconds(double ms) {
  if (!std::isfinite(ms) || ms < 0) return "?";
  return std::to_string(std::llround(ms));  // halves away from zero: 12.5 ms shows as 13
}

}  // namespace sockspec::report::detail
