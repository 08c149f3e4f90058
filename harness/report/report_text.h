// How the report writers make arbitrary bytes safe for their formats. A failure message can quote what a
// peer sent, so it may hold NULs, escape sequences, line breaks and bytes that are not UTF-8; none of that
// may break a terminal, an XML parser or a line-oriented format. Shared by the console, JUnit and TAP writers
// (the JSON writer leaves it to nlohmann's error_handler_t::replace).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sockspec::report::detail {

// The length (2-4) of the well-formed multi-byte UTF-8 sequence starting at text[at], or 0 when none starts
// there (a stray continuation byte, an overlong form, a surrogate, a value above U+10FFFF, a cut-off
// sequence). ASCII bytes also give 0: the callers treat them one by one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t at);

// The code point of a well-formed sequence whose length utf8SequenceLength() gave.
char32_t decodeUtf8(std::string_view sequence);

// One step of an escaper's walk through text: a byte below 0x80, a byte that starts no well-formed UTF-8
// sequence, or a whole well-formed multi-byte sequence.
struct TextPiece {
  enum class Kind { Ascii, NotUtf8, Utf8 };
  Kind kind;
  std::string_view bytes;  // the one byte, or the whole sequence
  char32_t codePoint;      // for Utf8 the decoded value, else the byte
};

// The piece that starts at text[at]; `at` must be below text.size(). The next one starts at
// at + bytes.size().
TextPiece textPieceAt(std::string_view text, std::size_t at);

// One line of text for a terminal or a line-oriented format. Printable ASCII and well-formed UTF-8 stay; \n,
// \r and \t become those two-character escapes; other C0 controls, DEL and bytes that are not UTF-8 become
// \xNN, and C1 controls \u0080..\u009f, so neither a line break nor a terminal control sequence gets through.
// Backslashes stay as they are: the runner's messages already show a peer's bytes as \x00 escapes.
std::string oneLine(std::string_view text);

// A duration in whole milliseconds for people, halves rounded up: "3", "0", "13" for 12.5; "?" for a
// negative or non-finite value.
std::string wholeMilliseconds(double ms);

}  // namespace sockspec::report::detail
