// What the chargen suite says about a stream that is not RFC 864's recommended pattern
// (suites/chargen_description.h). The patterns are built here, apart from the verifier and the reference
// server's generator.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "suites/chargen_description.h"

namespace sockspec::suites {
namespace {

// Lines of `width` characters from `ring`, each starting one further on, each ended by CR LF, from line `first`.
std::vector<std::uint8_t> rotatingLines(const std::string& ring, std::size_t width, std::size_t lines,
                                        std::size_t first = 0) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t line = first; line < first + lines; ++line) {
    for (std::size_t column = 0; column < width; ++column) {
      bytes.push_back(static_cast<std::uint8_t>(ring[(line + column) % ring.size()]));
    }
    bytes.push_back('\r');
    bytes.push_back('\n');
  }
  return bytes;
}

std::string characters(char from, char to) {
  std::string text;
  for (char c = from; c <= to; ++c) text += c;
  return text;
}

TEST_CASE("the recommended pattern gets no note, from any line", "[unit][chargen]") {
  ChargenObserver observer;
  observer.feed(rotatingLines(characters(' ', '~'), 72, 300, 17));
  CHECK(observer.received() == 300 * 74);
  CHECK_FALSE(observer.note());
  CHECK_FALSE(chargenDatagramNote(rotatingLines(characters(' ', '~'), 72, 6, 40)));
  CHECK_FALSE(chargenDatagramNote({}));
}

TEST_CASE("xinetd's 93-character cycle is named, with how long it matched the recommended one",
          "[unit][chargen]") {
  const std::string xinetdRing = characters('!', '}');
  ChargenObserver fromElsewhere;
  fromElsewhere.feed(rotatingLines(xinetdRing, 72, 200, 40));
  CHECK(fromElsewhere.note() ==
        "not the recommended 72-column rotating pattern: a cycle of 93 characters ('!' to '}'), 72 per line and CR LF");
  // Starting at '!' it is line 1 of the recommended cycle, and stays so until a '~' is due: column 72 of
  // line 23, byte 22 * 74 + 71 = 1699 (the "pattern breaks at byte 1699" of issue #12).
  ChargenObserver fromTheStart;
  fromTheStart.feed(rotatingLines(xinetdRing, 72, 200));
  CHECK(fromTheStart.note() ==
        "not the recommended 72-column rotating pattern: a cycle of 93 characters ('!' to '}'), 72 per line and CR "
        "LF (it matches the recommended pattern for its first 1699 bytes)");
  // A reply from lines that need no '~' is a run of the recommended pattern too, and gets no note.
  CHECK_FALSE(chargenDatagramNote(rotatingLines(xinetdRing, 72, 5, 3)));
  // A datagram's few lines show only part of the cycle, and the note says no more than that.
  CHECK(chargenDatagramNote(rotatingLines(xinetdRing, 72, 5, 40)).value_or("none") ==
        "not the recommended 72-column rotating pattern: lines of 72 characters and CR LF, each a run of the 75 "
        "characters seen ('!' to '}')");
}

TEST_CASE("other streams are described as well as they can be", "[unit][chargen]") {
  std::vector<std::uint8_t> zeros(5000, 0);
  CHECK_THAT(describeChargenBytes(zeros), Catch::StartsWith("5000 bytes of 1 distinct values, starting \"\\x00\\x00"));
  // Lines of one length that do not rotate through one ring.
  std::string text;
  for (int i = 0; i < 10; ++i) text += (i % 2 == 0 ? "hello world" : "dlrow olleh") + std::string("\r\n");
  CHECK(describeChargenBytes(std::vector<std::uint8_t>(text.begin(), text.end())) ==
        "lines of 11 characters and CR LF over 8 distinct characters");
}

}  // namespace
}  // namespace sockspec::suites
