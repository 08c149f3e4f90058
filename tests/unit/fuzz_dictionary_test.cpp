// libFuzzer dictionaries for `sockspec fuzz` (blackbox/fuzz_dictionary.h): what parses, the exact
// FILE:LINE:COL of every refusal, format -> parse round trips, what is learned from messages, and, where the
// build has libFuzzer, libFuzzer's own parser run on the same files: it must accept what we write and
// count the same entries, and refuse the lines we refuse for its reasons.
#include "blackbox/fuzz_dictionary.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "base/temp_directory.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace sockspec::blackbox;
using sockspec::testing::readFileOrFail;
using sockspec::testing::writeFileOrFail;

// libFuzzer's driver (compiler-rt FuzzerInterface.h): linked into this test where the build has libFuzzer,
// and only called then (tests/unit/CMakeLists.txt sets SOCKSPEC_TEST_LIBFUZZER).
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,  // NOLINT(readability-identifier-naming)
                                   int (*callback)(const std::uint8_t* data, std::size_t size));

namespace {

constexpr bool kLibFuzzerLinked = SOCKSPEC_TEST_LIBFUZZER != 0;

std::vector<std::uint8_t> bytesOf(std::string_view text) {
  return {text.begin(), text.end()};
}

DictionaryEntry entry(std::string name, std::string_view bytes) {
  return {std::move(name), bytesOf(bytes)};
}

std::vector<std::vector<std::uint8_t>> messages(std::initializer_list<std::string_view> texts) {
  std::vector<std::vector<std::uint8_t>> out;
  for (auto text : texts) out.push_back(bytesOf(text));
  return out;
}

std::vector<std::string> bytesOfEach(const std::vector<DictionaryEntry>& entries) {
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const auto& e : entries) out.emplace_back(e.bytes.begin(), e.bytes.end());
  return out;
}

// The files of one test case. A folder owned by the test case's stack rather than support/'s per-process
// one: libFuzzer's driver ends its child with exit(), which runs the static destructors a fork inherits.
TempDirectory testFolder() {
  auto folder = TempDirectory::create("dictionary-test");
  REQUIRE(folder);
  return std::move(*folder);
}

// Every byte value, as 256 one-byte entries and as four 64-byte ones.
std::vector<DictionaryEntry> everyByteValue() {
  std::vector<DictionaryEntry> entries;
  entries.reserve(256 + 4);
  for (int value = 0; value < 256; ++value) {
    entries.push_back({"byte", {static_cast<std::uint8_t>(value)}});
  }
  for (int chunk = 0; chunk < 4; ++chunk) {
    DictionaryEntry run{"run", {}};
    run.bytes.reserve(64);
    for (int value = chunk * 64; value < chunk * 64 + 64; ++value)
      run.bytes.push_back(static_cast<std::uint8_t>(value));
    entries.push_back(run);
  }
  return entries;
}

struct LibFuzzerRun {
  int exitCode = -1;
  std::string output;
};

// libFuzzer's driver with -dict=`path` -runs=0: it parses the dictionary, says "Dictionary: N entries" (or
// "ParseDictionaryFile: error in line N" and returns 1), runs no input and exits. In a child process,
// because the driver ends with exit(); its output goes to `path`.log.
LibFuzzerRun runLibFuzzerWithDictionary(const std::string& path) {
  LibFuzzerRun run;
  if constexpr (kLibFuzzerLinked) {
    std::string log = path + ".log";
    REQUIRE(std::fflush(nullptr) == 0);  // nothing buffered may be written twice, by the child too
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(125);
      std::string name = "libfuzzer";
      std::string dict = "-dict=" + path;
      std::string runs = "-runs=0";
      char* argv[] = {name.data(), dict.data(), runs.data(), nullptr};
      int argc = 3;
      char** argvPointer = argv;
      ::_exit(LLVMFuzzerRunDriver(&argc, &argvPointer, [](const std::uint8_t*, std::size_t) { return 0; }));
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    run.exitCode = WEXITSTATUS(status);
    run.output = readFileOrFail(log);
  }
  return run;
}

}  // namespace

TEST_CASE("a dictionary with comments, blank lines, names and escapes parses to its bytes") {
  std::string text =
      "# a comment\n"
      "\n"
      "  \t \n"
      "   # an indented comment\n"
      "kw1=\"GET \"\n"
      "\"unnamed\"\n"
      "  quote = \"a\\\"b\\\\c\"  \n"
      "hex=\"\\x00\\xff\\xAb\\xcD\\x7F\"\n"
      "tab=\"\t\"\r\n"
      "afl@1=\"x\"";  // no '\n' after the last line
  auto parsed = parseDictionary(text, "d.dict");
  REQUIRE(parsed);
  std::vector<DictionaryEntry> expected{entry("kw1", "GET "),      entry("", "unnamed"),
                                        entry("quote", "a\"b\\c"), {"hex", {0x00, 0xff, 0xab, 0xcd, 0x7f}},
                                        entry("tab", "\t"),        entry("afl@1", "x")};
  CHECK(*parsed == expected);
}

TEST_CASE("a dictionary of comments only has no entries, and an empty file is refused as libFuzzer does") {
  auto comments = parseDictionary("# nothing yet\n", "d.dict");
  REQUIRE(comments);
  CHECK(comments->empty());
  auto empty = parseDictionary("", "d.dict");
  REQUIRE_FALSE(empty);
  CHECK(empty.error() ==
        "d.dict:1:1: an empty file (libFuzzer refuses an empty dictionary; a comment line is enough)");
}

TEST_CASE("an entry of 64 bytes is taken and one of 65 is refused naming its length") {
  std::string longest = "\"" + std::string(64, 'A') + "\"\n";
  auto taken = parseDictionary(longest, "d.dict");
  REQUIRE(taken);
  CHECK(taken->at(0).bytes.size() == 64);
  auto refused = parseDictionary("# 1\nok=\"x\"\nlong=\"" + std::string(65, 'A') + "\"\n", "d.dict");
  REQUIRE_FALSE(refused);
  CHECK(refused.error() ==
        "d.dict:3:6: an entry of 65 bytes: libFuzzer uses at most 64 (it would drop this one unused)");
}

TEST_CASE("every refusal names FILE:LINE:COL at the offending byte") {
  struct Case {
    std::string line;
    std::string error;
  };
  const std::vector<Case> cases{
      {"foo", "d.dict:3:1: expected the entry's bytes in double quotes (name=\"bytes\")"},
      {"kw= bar", "d.dict:3:5: expected the entry's bytes in double quotes (name=\"bytes\")"},
      {"kw=\"abc  ", "d.dict:3:8: no closing '\"'"},
      {"\"a\\qb\"", "d.dict:3:3: unknown escape '\\q': libFuzzer knows only \\\\, \\\" and \\xAB"},
      {"\"\\n\"", "d.dict:3:2: unknown escape '\\n': libFuzzer knows only \\\\, \\\" and \\xAB"},
      {"\"abc\\", "d.dict:3:5: a '\\' ends the line"},
      {"\"\\xG1\"", "d.dict:3:4: \\x takes two hex digits (\\xAB)"},
      {"\"\\x1\"", "d.dict:3:5: \\x takes two hex digits (\\xAB)"},
      {"\"\\x", "d.dict:3:4: \\x takes two hex digits (\\xAB)"},
      {"\"abc\" x",
       "d.dict:3:7: only white space may follow the closing '\"' (one entry per line; write '\"' "
       "inside an entry as \\\")"},
      {"a=\"x\" \"y\"",
       "d.dict:3:7: only white space may follow the closing '\"' (one entry per line; write "
       "'\"' inside an entry as \\\")"},
      {"\"\"", "d.dict:3:1: an empty entry (libFuzzer refuses \"\")"},
      {"  n=\"\"", "d.dict:3:5: an empty entry (libFuzzer refuses \"\")"},
      {"\"a\x80\"",
       "d.dict:3:3: byte 0x80 must be written \\x80 (libFuzzer takes raw bytes only if printable "
       "ASCII or white space)"},
      {std::string("\"a\0\"", 4),
       "d.dict:3:3: byte 0x00 must be written \\x00 (libFuzzer takes raw bytes only "
       "if printable ASCII or white space)"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto parsed = parseDictionary("# header\nfine=\"ok\"\n" + c.line + "\nlater=\"never read\"\n", "d.dict");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == c.error);
  }
}

TEST_CASE("every byte value survives format then parse") {
  auto entries = everyByteValue();
  std::string written = formatDictionary(entries);
  for (char c : written) {
    INFO(static_cast<int>(static_cast<unsigned char>(c)));
    CHECK(((c >= 0x20 && c < 0x7f) || c == '\n'));
  }
  auto parsed = parseDictionary(written, "written.dict");
  REQUIRE(parsed);
  CHECK(*parsed == entries);
}

TEST_CASE(
    "format writes each byte string once, under the first name, and leaves out what libFuzzer cannot use") {
  std::vector<DictionaryEntry> entries{
      entry("first", "GET "), entry("second", "GET "), entry("odd name \"#\n", "x"),
      entry("", "unnamed"),   entry("empty", ""),      entry("long", std::string(65, 'L')),
      entry("q", "\\\"")};
  CHECK(formatDictionary(entries) ==
        "# libFuzzer dictionary (-dict=), written by sockspec fuzz\n"
        "first=\"GET \"\n"
        "odd_name____=\"x\"\n"
        "\"unnamed\"\n"
        "q=\"\\x5C\\x22\"\n");
  auto nothing = parseDictionary(formatDictionary({}), "empty.dict");
  REQUIRE(nothing);
  CHECK(nothing->empty());
}

TEST_CASE("from RESP and line messages come the words, the line-opening commands, the line ends and whole lines") {
  auto learned =
      learnDictionary(messages({"*1\r\n$4\r\nPING\r\n", "LOGIN admin\n", "GET key\n", "GET other\n"}));
  std::vector<DictionaryEntry> expected{
      entry("line_end", "\r\n"),   entry("line_end", "\n"),           entry("word", "GET"),
      entry("line_start", "GET "), entry("line", "*1\r\n"),            entry("line", "$4\r\n"),
      entry("word", "PING"),       entry("line", "PING\r\n"),          entry("word", "LOGIN"),
      entry("line_start", "LOGIN "), entry("word", "admin"),         entry("line", "LOGIN admin\n"),
      entry("word", "key"),        entry("line", "GET key\n"),        entry("word", "other"),
      entry("line", "GET other\n")};
  CHECK(learned == expected);
}

TEST_CASE(
    "words are runs of 2 to 32 letters, digits, _ and -, and a line-opening word of 1 to 32 keeps its "
    "separator") {
  std::string tooLong(33, 'w');
  auto learned = learnDictionary(messages({"a bb " + tooLong + " x-y_z\nHost: example\r\n"}));
  CHECK(bytesOfEach(learned) ==
        std::vector<std::string>{"a ", "bb", "x-y_z", "\n", "a bb " + tooLong + " x-y_z\n", "Host", "Host:",
                                 "example", "\r\n", "Host: example\r\n"});
}

TEST_CASE("from binary messages come their first 1, 2 and 4 bytes, and short ones whole") {
  std::vector<std::vector<std::uint8_t>> binary{
      {0x01, 0x00, 0x00, 0x05, 0xaa, 0xbb}, {0x01, 0x00, 0x00, 0x09, 0xcc}, {0x02, 0x00}};
  auto learned = learnDictionary(binary);
  // {02 00} is both a leading field and a whole message: counted twice, named as first seen.
  std::vector<DictionaryEntry> expected{{"lead_1", {0x01}},
                                        {"lead_2", {0x01, 0x00}},
                                        {"lead_2", {0x02, 0x00}},
                                        {"lead_4", {0x01, 0x00, 0x00, 0x05}},
                                        {"message", {0x01, 0x00, 0x00, 0x05, 0xaa, 0xbb}},
                                        {"lead_4", {0x01, 0x00, 0x00, 0x09}},
                                        {"message", {0x01, 0x00, 0x00, 0x09, 0xcc}},
                                        {"lead_1", {0x02}}};
  CHECK(learned == expected);
}

TEST_CASE("a message is text when at least 90% of its bytes are printable ASCII, tab, CR or LF") {
  CHECK(bytesOfEach(learnDictionary(messages({"ABCDEFGHI\x01"}))) == std::vector<std::string>{"ABCDEFGHI"});
  CHECK(bytesOfEach(learnDictionary(messages({std::string_view("ABCDEFGH\x01\x02", 10)}))) ==
        std::vector<std::string>{"A", "AB", "ABCD", std::string("ABCDEFGH\x01\x02", 10)});
  CHECK(learnDictionary(messages({""})).empty());
}

TEST_CASE("learning keeps the most frequent maxEntries, the same for the same messages") {
  auto input = messages({"alpha beta gamma", "beta gamma", "gamma delta"});
  auto top = learnDictionary(input, 2);
  CHECK(bytesOfEach(top) == std::vector<std::string>{"gamma", "beta"});
  CHECK(learnDictionary(input, 2) == top);
  CHECK(learnDictionary(input).size() == 7);  // 4 words, and "alpha ", "beta ", "gamma " opening lines
  CHECK(learnDictionary(input, 0).empty());
}

TEST_CASE("a dictionary file that cannot be read is an error naming it and errno") {
  auto folder = testFolder();
  std::string missing = folder.path() + "/missing.dict";
  auto absent = readDictionaryFile(missing);
  REQUIRE_FALSE(absent);
  CHECK(absent.error() == missing + ": open: ENOENT (No such file or directory)");

  auto directory = readDictionaryFile(folder.path());
  REQUIRE_FALSE(directory);
  CHECK(directory.error() == folder.path() + ": read: EISDIR (Is a directory)");

  std::string huge = folder.path() + "/huge.dict";
  writeFileOrFail(huge, "");
  std::filesystem::resize_file(huge, kMaxDictionaryFileBytes + 1);
  auto tooLarge = readDictionaryFile(huge);
  REQUIRE_FALSE(tooLarge);
  CHECK(tooLarge.error() == huge + ": larger than 16 MiB, the most a dictionary may be");

  std::string bad = folder.path() + "/bad.dict";
  writeFileOrFail(bad, "ok=\"1\"\nbad=\"\\q\"\n");
  auto refused = readDictionaryFile(bad);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == bad + ":2:6: unknown escape '\\q': libFuzzer knows only \\\\, \\\" and \\xAB");

  std::string good = folder.path() + "/good.dict";
  writeFileOrFail(good, formatDictionary(everyByteValue()));
  auto read = readDictionaryFile(good);
  REQUIRE(read);
  CHECK(*read == everyByteValue());
}

TEST_CASE("libFuzzer takes the file we write and counts the entries we parse") {
  if (!kLibFuzzerLinked) {
    WARN(
        "sockspec-test-skipped: this build has no libFuzzer (SOCKSPEC_BLACKBOX_FUZZING, "
        "harness/CMakeLists.txt)");
    return;
  }
  auto folder = testFolder();
  auto entries = everyByteValue();
  auto learned = learnDictionary(messages({"*1\r\n$4\r\nPING\r\n", "LOGIN admin\n", "GET key\n"}));
  entries.insert(entries.end(), learned.begin(), learned.end());
  entries.push_back(entry("odd name #", "\\\"#"));
  entries.push_back(entry("", "unnamed"));
  std::string path = folder.path() + "/merged.dict";
  writeFileOrFail(path, formatDictionary(entries));
  auto parsed = readDictionaryFile(path);
  REQUIRE(parsed);

  auto run = runLibFuzzerWithDictionary(path);
  INFO(run.output);
  CHECK(run.exitCode == 0);
  CHECK_THAT(run.output, Catch::Contains(fmt::format("Dictionary: {} entries\n", parsed->size())));
}

TEST_CASE("libFuzzer refuses the lines we refuse for its reasons, and takes the two we refuse beyond it") {
  if (!kLibFuzzerLinked) {
    WARN(
        "sockspec-test-skipped: this build has no libFuzzer (SOCKSPEC_BLACKBOX_FUZZING, "
        "harness/CMakeLists.txt)");
    return;
  }
  struct Case {
    std::string text;
    bool libFuzzerTakes;  // false: "ParseDictionaryFile: error in line 2" and exit 1
  };
  const std::vector<Case> cases{
      {"foo\n", false},
      {"kw=\"abc\n", false},
      {"\"a\\qb\"\n", false},
      {"\"\\xG1\"\n", false},
      {"\"\\x1\"\n", false},
      {"\"abc\" x\n", false},
      {"\"\"\n", false},
      {"n=\"\"\n", false},
      {"\"a\x80\"\n", false},
      {"\"abc\\\n", false},
      // Ours beyond libFuzzer's: it reads this as the one entry a" "b, and drops entries over 64 bytes.
      {"a=\"a\" \"b\"\n", true},
      {"\"" + std::string(65, 'A') + "\"\n", true},
  };
  auto folder = testFolder();
  std::string path = folder.path() + "/line.dict";
  for (const auto& c : cases) {
    std::string text = "first=\"ok\"\n" + c.text;
    INFO(text);
    REQUIRE_FALSE(parseDictionary(text, path));
    writeFileOrFail(path, text);
    auto run = runLibFuzzerWithDictionary(path);
    INFO(run.output);
    if (c.libFuzzerTakes) {
      CHECK(run.exitCode == 0);
      CHECK_THAT(run.output, Catch::Contains("Dictionary: 2 entries\n"));
    } else {
      CHECK(run.exitCode == 1);
      CHECK_THAT(run.output, Catch::Contains("ParseDictionaryFile: error in line 2"));
    }
  }
}
