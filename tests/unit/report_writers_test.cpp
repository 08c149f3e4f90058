// Report writers: one fixed run (a pass, a failure whose message holds quotes, <, &, a NUL, bytes that are
// not UTF-8 and a newline, a skip, three claims) rendered in every format and compared byte for byte with the
// approved files in tests/data/reports/, plus what each format's readers rely on: JSON that parses back
// with exactly the documented keys, well-formed JUnit XML, a TAP plan that matches its tests, colour only
// where asked, and report files replaced atomically.
//
// To approve a deliberate change of output: SOCKSPEC_APPROVE=1 ./report_writers_test, then review the diff
// of tests/data/reports/. A mismatch writes the output it got to <name>.received in the working directory.
#include <fcntl.h>
#include <stdlib.h>  // posix_openpt, grantpt, unlockpt, ptsname
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/errno_names.h"
#include "report/console_report.h"
#include "report/json_report.h"
#include "report/junit_report.h"
#include "report/report_format.h"
#include "report/report_text.h"
#include "report/run_result.h"
#include "report/tap_report.h"
#include "support/approved_files.h"
#include "support/built_programs.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::string_literals;
using namespace report;
using nlohmann::json;

// The failure message of the fixture, with every kind of byte a writer must survive.
const std::string kAwkwardMessage =
    "recv client 16: expected \"ECONNRESET\" & <eof>, got 'a\0b' \xff\xc3(\n  then 2 bytes"s;

RunResult fixtureRun() {
  RunResult run;
  run.suite = "default";

  CheckResult pass;
  pass.id = "close.unread-data-rst[tcp6]";
  pass.family = "tcp6";
  pass.file = "close/unread.scn";
  pass.line = 5;
  pass.durationMs = 3.25;
  pass.claims = {1};
  pass.source = "RFC 2525 section 2.17";
  pass.title = "close() with unread data sends RST";
  pass.wireAsserted = 2;
  run.checks.push_back(pass);

  CheckResult fail;
  fail.id = "close.shutdown-then-recv[tcp4]";
  fail.family = "tcp4";
  fail.status = Status::Failed;
  fail.file = "close/shutdown.scn";
  fail.line = 16;
  fail.message = kAwkwardMessage;
  fail.durationMs = 12.5;
  fail.claims = {1, 2};
  fail.source = "shutdown(2)";
  fail.title = "recv after the peer's shutdown(SHUT_WR) sees EOF";
  fail.wireAsserted = 1;
  fail.wireSkipped = 2;
  fail.wireSkipReason = "needs CAP_NET_RAW to capture (run as root)";
  run.checks.push_back(fail);

  CheckResult skip;  // a built-in service check: no file
  skip.id = "echo.udp-large[udp6]";
  skip.family = "udp6";
  skip.status = Status::Skipped;
  skip.message = "needs IPv6 loopback";
  skip.title = "a 64 KiB datagram echoes whole";
  run.checks.push_back(skip);

  run.claims.push_back({1, "close() always ends a connection with an orderly FIN", ClaimVerdict::Refuted,
                        "Linux sends RST, not FIN, when close() discards unread data",
                        {"close.unread-data-rst[tcp6]"}});
  run.claims.push_back({2, "recv() returns 0 once the peer has shut down \xe2\x80\x9csending\xe2\x80\x9d",
                        ClaimVerdict::PartlyTrue, "only after the data already queued has been read",
                        {"close.shutdown-then-recv[tcp4]", "close.unread-data-rst[tcp6]"}});
  run.claims.push_back({3, "a UDP datagram is never split", ClaimVerdict::Untested, "", {}});
  run.elapsedMs = 18.4;
  return run;
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// Everything written to a stdio stream so far.
std::string contentsOf(std::FILE* file) {
  REQUIRE(std::fflush(file) == 0);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  return text;
}

// A stdio stream owned for the test's scope: an anonymous temporary file unless given another.
struct OwnedStream {
  std::FILE* file;
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): this struct is the owner (no gsl in the project)
  explicit OwnedStream(std::FILE* opened = std::tmpfile()) : file(opened) {}
  ~OwnedStream() {
    // NOLINTNEXTLINE(cppcoreguidelines-owning-memory): as above
    if (file != nullptr) (void)std::fclose(file);  // read back already; nothing left to lose
  }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
};

// A directory of its own under the test process's temp directory.
std::filesystem::path freshDirectory(const std::string& stem) {
  std::filesystem::path directory = testing::tempSocketPath(stem);
  std::filesystem::create_directories(directory);
  return directory;
}

std::vector<std::string> entriesOf(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

// Well-formed UTF-8, checked independently of report_text.h: code points decoded by hand, then overlong
// forms, surrogates and values above U+10FFFF refused. Returns the code points, or nothing when malformed.
std::optional<std::vector<char32_t>> decodeStrictUtf8(std::string_view text) {
  std::vector<char32_t> points;
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (length == 0 || i + length > text.size()) return std::nullopt;
    char32_t value = length == 1 ? lead : lead & (0x7Fu >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      value = (value << 6) | (next & 0x3Fu);
    }
    constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      return std::nullopt;
    points.push_back(value);
    i += length;
  }
  return points;
}

// XML 1.0 production [2] Char.
bool isXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;  // values with references resolved
  std::string text;                               // the element's own character data, resolved
  std::vector<XmlElement> children;

  std::vector<const XmlElement*> childrenNamed(std::string_view wanted) const {
    std::vector<const XmlElement*> found;
    for (const auto& child : children) {
      if (child.name == wanted) found.push_back(&child);
    }
    return found;
  }
};

// A strict reader for the subset of XML the JUnit writer produces (declaration, elements, attributes,
// character data, the five entities and character references; no comments, CDATA or DTD). Throws
// std::runtime_error naming the byte offset of the first thing a conforming parser would refuse.
class StrictXmlReader {
 public:
  explicit StrictXmlReader(std::string_view text) : m_text(text) {}

  XmlElement parseDocument() {
    auto points = decodeStrictUtf8(m_text);
    if (!points) fail("not well-formed UTF-8");
    for (char32_t c : *points) {
      if (!isXmlChar(c)) fail("a character XML 1.0 forbids: U+" + std::to_string(static_cast<unsigned>(c)));
    }
    expect("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    skipSpace();
    XmlElement root = parseElement();
    skipSpace();
    if (m_at != m_text.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("XML at byte " + std::to_string(m_at) + ": " + what);
  }
  bool atEnd() const { return m_at >= m_text.size(); }
  char peek() const { return atEnd() ? '\0' : m_text[m_at]; }
  void expect(std::string_view literal) {
    if (m_text.substr(m_at, literal.size()) != literal) fail("expected " + std::string(literal));
    m_at += literal.size();
  }
  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\n' || peek() == '\t' || peek() == '\r')) ++m_at;
  }
  std::string parseName() {
    std::size_t start = m_at;
    auto nameChar = [](char c, bool first) {
      return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
             (!first && (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'));
    };
    while (!atEnd() && nameChar(peek(), m_at == start)) ++m_at;
    if (m_at == start) fail("expected a name");
    return std::string(m_text.substr(start, m_at - start));
  }
  // After '&': one of the five entities or a character reference that names an XML Char.
  std::string parseReference() {
    std::size_t end = m_text.find(';', m_at);
    if (end == std::string_view::npos) fail("unterminated reference");
    std::string body(m_text.substr(m_at, end - m_at));
    m_at = end + 1;
    static const std::map<std::string, std::string> kEntities{
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
    if (auto it = kEntities.find(body); it != kEntities.end()) return it->second;
    if (body.size() < 2 || body[0] != '#') fail("unknown entity &" + body + ";");
    bool hex = body[1] == 'x';
    std::string digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") !=
                              std::string::npos) {
      fail("malformed character reference &" + body + ";");
    }
    auto value = static_cast<char32_t>(std::stoul(digits, nullptr, hex ? 16 : 10));
    if (!isXmlChar(value)) fail("character reference to a forbidden character &" + body + ";");
    if (value >= 0x80) fail("this reader resolves only ASCII character references");
    return std::string(1, static_cast<char>(value));
  }
  XmlElement parseElement() {
    expect("<");
    XmlElement element;
    element.name = parseName();
    while (true) {
      bool spaced = !atEnd() && std::isspace(static_cast<unsigned char>(peek()));
      skipSpace();
      if (peek() == '/') {
        expect("/>");
        return element;
      }
      if (peek() == '>') {
        ++m_at;
        break;
      }
      if (!spaced) fail("attributes must be separated by white space");
      std::string attribute = parseName();
      skipSpace();
      expect("=");
      skipSpace();
      char quote = peek();
      if (quote != '"' && quote != '\'') fail("unquoted attribute value");
      ++m_at;
      std::string value;
      while (!atEnd() && peek() != quote) {
        char c = m_text[m_at++];
        if (c == '<') fail("'<' in an attribute value");
        if (c == '&') {
          value += parseReference();
        } else if (c == '\n' || c == '\t' || c == '\r') {
          value += ' ';  // attribute-value normalisation (XML 1.0 section 3.3.3)
        } else {
          value += c;
        }
      }
      expect(std::string(1, quote));
      if (!element.attributes.emplace(attribute, value).second) fail("duplicate attribute " + attribute);
    }
    while (true) {
      if (atEnd()) fail("unclosed element <" + element.name + ">");
      if (m_text.substr(m_at, 2) == "</") {
        m_at += 2;
        if (parseName() != element.name) fail("mismatched end tag for <" + element.name + ">");
        skipSpace();
        expect(">");
        return element;
      }
      if (m_text.substr(m_at, 2) == "<!" || m_text.substr(m_at, 2) == "<?") fail("unexpected markup");
      if (peek() == '<') {
        element.children.push_back(parseElement());
        continue;
      }
      if (m_text.substr(m_at, 3) == "]]>") fail("']]>' in character data");
      char c = m_text[m_at++];
      element.text += c == '&' ? parseReference() : std::string(1, c);
    }
  }

  std::string_view m_text;
  std::size_t m_at = 0;
};

XmlElement parseXmlOrFail(const std::string& text) {
  try {
    return StrictXmlReader(text).parseDocument();
  } catch (const std::runtime_error& error) {
    FAIL(error.what());
  }
  return {};
}

// The fixture's message as every line-oriented writer shows it.
const std::string kAwkwardMessageShown =
    R"(recv client 16: expected "ECONNRESET" & <eof>, got 'a\x00b' \xff\xc3(\n  then 2 bytes)";

// ---- approved outputs

TEST_CASE("the console report matches its approved output", "[report][console]") {
  testing::checkApproved("tests/data/reports", "run.console.txt", renderConsoleReport(fixtureRun(), false));
}

TEST_CASE("the JSON report matches its approved output", "[report][json]") {
  testing::checkApproved("tests/data/reports", "run.json", renderJsonReport(fixtureRun()));
}

TEST_CASE("the JUnit report matches its approved output", "[report][junit]") {
  testing::checkApproved("tests/data/reports", "run.junit.xml", renderJunitReport(fixtureRun()));
}

TEST_CASE("the TAP report matches its approved output", "[report][tap]") {
  testing::checkApproved("tests/data/reports", "run.tap", renderTapReport(fixtureRun()));
}

// ---- console

TEST_CASE("a console failure shows file:line and the message on one indented line", "[report][console]") {
  auto lines = linesOf(renderConsoleReport(fixtureRun(), false));
  REQUIRE(lines.size() >= 4);
  CHECK(lines[0] == "PASS  close.unread-data-rst[tcp6]  (3 ms)  [wire: 2 asserted]");
  CHECK(lines[1] == "FAIL  close.shutdown-then-recv[tcp4]  (13 ms)  [wire: 1 asserted, 2 skipped (needs CAP_NET_RAW "
                    "to capture (run as root))]");  // a half rounds up
  CHECK(lines[2] == "      close/shutdown.scn:16: " + kAwkwardMessageShown);
  CHECK(lines[3] == "SKIP  echo.udp-large[udp6]  (needs IPv6 loopback)");
}

TEST_CASE("a console line never carries a terminal control sequence or a line break from a message",
          "[report][console]") {
  CheckResult check;
  check.id = "evil\x1b]0;title\x07[tcp4]";
  check.status = Status::Failed;
  check.message = "got \x1b[2J\xc2\x9b" "31m and\r\nmore";
  std::string shown = renderConsoleCheck(check, false);
  CHECK(shown == "FAIL  evil\\x1b]0;title\\x07[tcp4]  (0 ms)\n      got \\x1b[2J\\u009b31m and\\r\\nmore\n");
  CHECK(shown.find('\x1b') == std::string::npos);
}

TEST_CASE("the summary line has the shape CI tooling reads, alone on its line and never coloured",
          "[report][console]") {
  for (bool color : {false, true}) {
    INFO("colour " << color);
    const std::regex summaryShape(R"(^\d+ passed, \d+ failed, \d+ skipped in \d+ ms$)");
    std::vector<std::string> matching;
    for (const auto& line : linesOf(renderConsoleReport(fixtureRun(), color))) {
      if (std::regex_match(line, summaryShape)) matching.push_back(line);
    }
    REQUIRE(matching.size() == 1);
    CHECK(matching[0] == "1 passed, 1 failed, 1 skipped in 18 ms");
  }
}

TEST_CASE("colour modes parse from auto, always and never only", "[report][console]") {
  CHECK(*parseColorMode("auto") == ColorMode::Auto);
  CHECK(*parseColorMode("always") == ColorMode::Always);
  CHECK(*parseColorMode("never") == ColorMode::Never);
  auto bad = parseColorMode("yes");
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "unknown colour mode 'yes' (expected auto, always or never)");
  CHECK_FALSE(parseColorMode("Always"));
  CHECK(colorModeName(ColorMode::Never) == "never");
}

TEST_CASE("the console reporter colours only when asked or writing to a terminal", "[report][console]") {
  RunResult run = fixtureRun();
  auto outputWith = [&](ColorMode mode) {
    OwnedStream out;
    REQUIRE(out.file != nullptr);
    ConsoleReporter reporter(out.file, ConsoleOptions{mode});
    for (const auto& check : run.checks) reporter.checkFinished(check);
    reporter.runFinished(run);
    CHECK_FALSE(reporter.firstWriteError());
    return std::make_pair(reporter.usesColor(), contentsOf(out.file));
  };
  SECTION("never") {
    auto [colored, text] = outputWith(ColorMode::Never);
    CHECK_FALSE(colored);
    CHECK(text == renderConsoleReport(run, false));
  }
  SECTION("always, even to a file") {
    auto [colored, text] = outputWith(ColorMode::Always);
    CHECK(colored);
    CHECK(text.find("\x1b[32mPASS\x1b[0m  close.unread-data-rst[tcp6]") != std::string::npos);
    CHECK(text.find("\x1b[31mFAIL\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[33mSKIP\x1b[0m") != std::string::npos);
    CHECK(text.find("\x1b[31mrefuted\x1b[0m: Linux sends RST") != std::string::npos);
    CHECK(text == renderConsoleReport(run, true));
  }
  SECTION("auto, to a file that is not a terminal") {
    auto [colored, text] = outputWith(ColorMode::Auto);
    CHECK_FALSE(colored);
    CHECK(text.find('\x1b') == std::string::npos);
  }
}

// A pseudo-terminal pair: the subordinate side is a terminal for isatty().
struct PseudoTerminal {
  int controller = -1;
  int terminal = -1;
  PseudoTerminal() {
    controller = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (controller < 0 || ::grantpt(controller) != 0 || ::unlockpt(controller) != 0) return;
    if (const char* name = ::ptsname(controller)) terminal = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  ~PseudoTerminal() {
    if (terminal >= 0) ::close(terminal);
    if (controller >= 0) ::close(controller);
  }
  PseudoTerminal(const PseudoTerminal&) = delete;
  PseudoTerminal& operator=(const PseudoTerminal&) = delete;
};

TEST_CASE("auto colour follows isatty and NO_COLOR, and always and never outrank both",
          "[report][console]") {
  OwnedStream notTerminal;
  REQUIRE(notTerminal.file != nullptr);
  int fileFd = ::fileno(notTerminal.file);
  CHECK_FALSE(shouldUseColor(ColorMode::Auto, fileFd, nullptr));
  CHECK(shouldUseColor(ColorMode::Always, fileFd, "1"));
  CHECK_FALSE(shouldUseColor(ColorMode::Auto, -1, nullptr));

  PseudoTerminal pty;
  if (pty.terminal < 0) {
    WARN("no pseudo-terminal available (" << errnoName(errno) << "); the terminal cases are not run");
    return;
  }
  REQUIRE(::isatty(pty.terminal) == 1);
  CHECK(shouldUseColor(ColorMode::Auto, pty.terminal, nullptr));
  CHECK(shouldUseColor(ColorMode::Auto, pty.terminal, ""));  // no-color.org: an empty NO_COLOR is ignored
  CHECK_FALSE(shouldUseColor(ColorMode::Auto, pty.terminal, "1"));
  CHECK_FALSE(shouldUseColor(ColorMode::Never, pty.terminal, nullptr));
  CHECK(shouldUseColor(ColorMode::Always, pty.terminal, "1"));
}

TEST_CASE("checks reported from several threads keep each check's lines together", "[report][console]") {
  OwnedStream out;
  REQUIRE(out.file != nullptr);
  ConsoleReporter reporter(out.file, ConsoleOptions{ColorMode::Never});
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kChecksEach = 100;
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (std::size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&reporter, t] {
        for (std::size_t i = 0; i < kChecksEach; ++i) {
          CheckResult check;
          check.id = "t" + std::to_string(t) + "-" + std::to_string(i);
          check.status = Status::Failed;
          check.message = "message of " + check.id;
          reporter.checkFinished(check);
        }
      });
    }
  }
  auto lines = linesOf(contentsOf(out.file));
  REQUIRE(lines.size() == 2 * kThreads * kChecksEach);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    REQUIRE(lines[i].rfind("FAIL  ", 0) == 0);
    std::string id = lines[i].substr(6, lines[i].find("  (") - 6);
    CHECK(lines[i + 1] == "      message of " + id);
    seen.insert(id);
  }
  CHECK(seen.size() == kThreads * kChecksEach);
}

TEST_CASE("the console reporter remembers the first failed write", "[report][console]") {
  OwnedStream full(std::fopen("/dev/full", "w"));
  REQUIRE(full.file != nullptr);
  ConsoleReporter reporter(full.file, ConsoleOptions{ColorMode::Never});
  reporter.checkFinished(fixtureRun().checks[0]);
  auto error = reporter.firstWriteError();
  REQUIRE(error);
  CHECK(errnoName(error->code) == "ENOSPC");
  CHECK(error->call == "write");
}

// ---- JSON

TEST_CASE("the JSON report parses back with exactly the documented keys", "[report][json]") {
  std::string text = renderJsonReport(fixtureRun());
  REQUIRE(json::accept(text));  // strict: refuses invalid UTF-8
  json document = json::parse(text);

  auto keysOf = [](const json& object) {
    std::set<std::string> keys;
    for (const auto& item : object.items()) keys.insert(item.key());
    return keys;
  };
  using Keys = std::set<std::string>;
  CHECK(keysOf(document) == Keys{"suite", "summary", "scenarios", "claims"});
  CHECK(keysOf(document["summary"]) == Keys{"passed", "failed", "skipped", "duration_ms"});
  CHECK(document["suite"] == "default");
  CHECK(document["summary"]["passed"] == 1);
  CHECK(document["summary"]["failed"] == 1);
  CHECK(document["summary"]["skipped"] == 1);
  CHECK(document["summary"]["duration_ms"] == 18.4);

  REQUIRE(document["scenarios"].size() == 3);
  const Keys scenarioKeys{"id", "family", "status", "file", "line", "message", "duration_ms",
                          "claims", "source", "title"};
  Keys withWire = scenarioKeys;
  withWire.insert("wire");
  CHECK(keysOf(document["scenarios"][0]) == withWire);
  CHECK(keysOf(document["scenarios"][1]) == withWire);
  CHECK(keysOf(document["scenarios"][2]) == scenarioKeys);  // no wire steps, no "wire" object
  CHECK(keysOf(document["scenarios"][0]["wire"]) == Keys{"asserted", "skipped", "skip_reason"});
  CHECK(document["scenarios"][0]["wire"]["asserted"] == 2);
  CHECK(document["scenarios"][1]["wire"]["skipped"] == 2);
  CHECK(document["scenarios"][1]["wire"]["skip_reason"] == "needs CAP_NET_RAW to capture (run as root)");
  const json& failed = document["scenarios"][1];
  CHECK(document["scenarios"][0]["status"] == "passed");
  CHECK(failed["status"] == "failed");
  CHECK(document["scenarios"][2]["status"] == "skipped");
  CHECK(failed["line"] == 16);
  CHECK(failed["duration_ms"] == 12.5);
  CHECK(failed["claims"] == json::array({1, 2}));
  // The NUL and the newline survive as JSON escapes; the two bytes that are not UTF-8 become U+FFFD.
  CHECK(failed["message"].get<std::string>() ==
        "recv client 16: expected \"ECONNRESET\" & <eof>, got 'a\0b' "
        "\xef\xbf\xbd\xef\xbf\xbd(\n  then 2 bytes"s);

  REQUIRE(document["claims"].size() == 3);
  for (const auto& claim : document["claims"]) {
    CHECK(keysOf(claim) == Keys{"claim", "text", "verdict", "summary", "evidence"});
  }
  CHECK(document["claims"][0]["verdict"] == "refuted");
  CHECK(document["claims"][1]["verdict"] == "partly true");
  CHECK(document["claims"][2]["verdict"] == "untested");
  CHECK(document["claims"][1]["evidence"] ==
        json::array({"close.shutdown-then-recv[tcp4]", "close.unread-data-rst[tcp6]"}));
}

TEST_CASE("bytes that are not UTF-8 in any JSON field are replaced, never thrown on", "[report][json]") {
  const std::string bad = "\xc0\xaf\xed\xa0\x80\xff";
  RunResult run;
  run.suite = bad;
  CheckResult check;
  check.id = check.family = check.file = check.message = check.source = check.title = bad;
  run.checks.push_back(check);
  run.claims.push_back({1, bad, ClaimVerdict::Confirmed, bad, {bad}});
  std::string text;
  REQUIRE_NOTHROW(text = renderJsonReport(run));
  REQUIRE(json::accept(text));
  CHECK(json::parse(text)["suite"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("JSON durations are rounded to the microsecond", "[report][json]") {
  RunResult run;
  CheckResult check;
  check.durationMs = 3.14159265;
  run.checks.push_back(check);
  json document = json::parse(renderJsonReport(run));
  CHECK(document["scenarios"][0]["duration_ms"] == 3.142);
  CHECK(document["summary"]["duration_ms"] == 3.142);
}

// ---- JUnit

TEST_CASE("the JUnit report is well-formed XML with consistent counts", "[report][junit]") {
  XmlElement root = parseXmlOrFail(renderJunitReport(fixtureRun()));
  CHECK(root.name == "testsuites");
  REQUIRE(root.children.size() == 1);
  const XmlElement& suite = root.children[0];
  CHECK(suite.name == "testsuite");
  CHECK(suite.attributes.at("name") == "default");
  auto cases = suite.childrenNamed("testcase");
  REQUIRE(cases.size() == 3);
  std::size_t failures = 0;
  std::size_t skipped = 0;
  for (const XmlElement* testcase : cases) {
    failures += testcase->childrenNamed("failure").size();
    skipped += testcase->childrenNamed("skipped").size();
  }
  CHECK(suite.attributes.at("tests") == std::to_string(cases.size()));
  CHECK(suite.attributes.at("failures") == std::to_string(failures));
  CHECK(suite.attributes.at("skipped") == std::to_string(skipped));
  CHECK(failures == 1);
  CHECK(skipped == 1);
  CHECK(root.attributes.at("tests") == "3");
  CHECK(suite.attributes.at("time") == "0.018");

  CHECK(cases[0]->attributes.at("classname") == "tcp6");
  CHECK(cases[0]->attributes.at("name") == "close.unread-data-rst[tcp6]");
  CHECK(cases[0]->attributes.at("time") == "0.003");
  CHECK(cases[0]->attributes.at("file") == "close/unread.scn");
  CHECK(cases[2]->attributes.count("file") == 0);

  const XmlElement& failure = *cases[1]->childrenNamed("failure").at(0);
  // Quotes, < and & come back as they were and the newline as a newline (not normalised to a space); the
  // NUL and the bytes that are not UTF-8 as visible escapes.
  CHECK(failure.attributes.at("message") ==
        "close/shutdown.scn:16: recv client 16: expected \"ECONNRESET\" & <eof>, got 'a\\x00b' \\xff\\xc3(\n"
        "  then 2 bytes");
  CHECK(failure.text.rfind("close/shutdown.scn:16: recv client 16:", 0) == 0);
  CHECK(failure.text.find("\nsource: shutdown(2)") != std::string::npos);
  CHECK(cases[2]->childrenNamed("skipped").at(0)->attributes.at("message") == "needs IPv6 loopback");

  auto properties = suite.childrenNamed("properties");
  REQUIRE(properties.size() == 1);
  std::map<std::string, std::string> byName;
  for (const auto& property : properties[0]->children)
    byName[property.attributes.at("name")] = property.attributes.at("value");
  CHECK(byName.at("claim.1.verdict") == "refuted");
  CHECK(byName.at("claim.2.verdict") == "partly true");
  CHECK(byName.at("claim.2.evidence") == "close.shutdown-then-recv[tcp4], close.unread-data-rst[tcp6]");
  CHECK(byName.at("claim.2.text") ==
        "recv() returns 0 once the peer has shut down \xe2\x80\x9csending\xe2\x80\x9d");
  CHECK(byName.at("claim.3.evidence").empty());
  auto systemOut = suite.childrenNamed("system-out");
  REQUIRE(systemOut.size() == 1);
  CHECK(systemOut[0]->text.find("1. close() always ends a connection with an orderly FIN") !=
        std::string::npos);
}

TEST_CASE("XML escaping leaves no character XML 1.0 forbids, for every single byte", "[report][junit]") {
  for (int value = 0; value < 256; ++value) {
    std::string byte(1, static_cast<char>(value));
    INFO("byte " << value << ": text '" << escapeXmlText(byte) << "', attribute '" << escapeXmlAttribute(byte)
                  << "'");
    // Wrapped into a document it must parse, and read back as the byte itself or its visible \xNN escape.
    XmlElement element = parseXmlOrFail("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a b=\"" +
                                        escapeXmlAttribute(byte) + "\">" + escapeXmlText(byte) + "</a>");
    bool carried = value == '\t' || value == '\n' || value == '\r' || (value >= 0x20 && value < 0x7F);
    std::string expected = carried ? byte : fmt::format("\\x{:02x}", value);
    CHECK(element.attributes.at("b") == expected);
    CHECK(element.text == expected);
  }
  CHECK(escapeXmlText("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  CHECK(escapeXmlText("]]>") == "]]&gt;");
  CHECK(escapeXmlText("one\ntwo\tthree\rfour") == "one\ntwo\tthree&#13;four");
  CHECK(escapeXmlAttribute("one\ntwo\tthree\rfour") == "one&#10;two&#9;three&#13;four");
  CHECK(escapeXmlText("nul\0bell\x07" "del\x7f"s) == "nul\\x00bell\\x07del\\x7f");
  CHECK(escapeXmlText("caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xf0\x9f\x90\x9b") ==
        "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d \xf0\x9f\x90\x9b");  // well-formed UTF-8 stays
  CHECK(escapeXmlText("\xef\xbf\xbe\xef\xbf\xbf\xc2\x85") == "\\ufffe\\uffff\\u0085");
  CHECK(escapeXmlText("\xc0\xaf\xed\xa0\x80") == "\\xc0\\xaf\\xed\\xa0\\x80");  // overlong, surrogate
  CHECK(escapeXmlText("cut \xe2\x80") == "cut \\xe2\\x80");
}

TEST_CASE("a JUnit test case without a family is grouped by its folder", "[report][junit]") {
  RunResult run;
  run.suite = "paths";
  CheckResult inFolder;
  inFolder.id = "backlog.zero";
  inFolder.file = "backlog/listen-zero.scn";
  CheckResult bare;
  bare.id = "echo.one-byte";
  run.checks = {inFolder, bare};
  XmlElement root = parseXmlOrFail(renderJunitReport(run));
  auto cases = root.children.at(0).childrenNamed("testcase");
  REQUIRE(cases.size() == 2);
  CHECK(cases[0]->attributes.at("classname") == "backlog");
  CHECK(cases[1]->attributes.at("classname") == "paths");
  CHECK(root.children.at(0).childrenNamed("properties").empty());
}

// ---- TAP

TEST_CASE("every TAP line is in the grammar and the plan counts the tests", "[report][tap]") {
  auto lines = linesOf(renderTapReport(fixtureRun()));
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0] == "TAP version 13");
  std::smatch match;
  REQUIRE(std::regex_match(lines[1], match, std::regex(R"(1\.\.(\d+))")));
  std::size_t planned = std::stoul(match[1]);

  const std::regex testLine(R"((not )?ok (\d+) - ((?:[^\\#]|\\.)*)( # SKIP( .*)?)?)");
  const std::regex yamlLine(R"(  [a-z_]+: ("(?:[^"\\]|\\.)*"|-?[0-9.]+|fail))");
  std::size_t tests = 0;
  bool inYaml = false;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    INFO("line " << i + 1 << ": " << line);
    if (inYaml) {
      if (line == "  ...") {
        inYaml = false;
      } else {
        CHECK(std::regex_match(line, yamlLine));
      }
    } else if (std::regex_match(line, match, testLine)) {
      ++tests;
      CHECK(std::stoul(match[2]) == tests);
      if (match[1].matched) {
        REQUIRE(i + 1 < lines.size());
        CHECK(lines[i + 1] == "  ---");
        inYaml = true;
        ++i;
      }
    } else {
      CHECK(line.rfind("# ", 0) == 0);
    }
  }
  CHECK_FALSE(inYaml);
  CHECK(tests == planned);
  CHECK(planned == 3);
}

TEST_CASE("a TAP description escapes hash and backslash so that no directive is read into an id",
          "[report][tap]") {
  RunResult run;
  CheckResult check;
  check.id = "odd#id\\x";
  check.status = Status::Skipped;
  check.message = "reason with # inside";
  run.checks.push_back(check);
  auto lines = linesOf(renderTapReport(run));
  REQUIRE(lines.size() >= 3);
  CHECK(lines[1] == "1..1");
  CHECK(lines[2] == R"(ok 1 - odd\#id\\x # SKIP reason with # inside)");
  CHECK(escapeTapDescription("two\nlines") == R"(two\\nlines)");
}

TEST_CASE("YAML scalars in TAP diagnostics are quoted and escaped", "[report][tap]") {
  CHECK(yamlQuoted("plain") == R"("plain")");
  CHECK(yamlQuoted("a\"b\\c\0d\ne\x1b\x7f"s) == R"("a\"b\\c\x00d\ne\x1b\x7f")");
  CHECK(yamlQuoted("\xff \xc3\xa9 \xc2\x9b \xef\xbf\xbe") == R"("\\xff )" "\xc3\xa9" R"( \x9b \ufffe")");
  std::string block = renderTapReport(fixtureRun());
  CHECK(block.find("  message: " + yamlQuoted(kAwkwardMessage) + "\n") != std::string::npos);
  CHECK(block.find("  line: 16\n") != std::string::npos);
}

// ---- shared text handling

TEST_CASE("oneLine keeps well-formed UTF-8 and shows everything else as escapes", "[report]") {
  CHECK(report::detail::oneLine("caf\xc3\xa9 \xf0\x9f\x90\x9b") == "caf\xc3\xa9 \xf0\x9f\x90\x9b");
  CHECK(report::detail::oneLine("a\nb\tc\rd") == R"(a\nb\tc\rd)");
  CHECK(report::detail::oneLine("\x1b[31m\x7f\0"s) == R"(\x1b[31m\x7f\x00)");
  CHECK(report::detail::oneLine("\xc2\x9b" "31m") == R"(\u009b31m)");
  CHECK(report::detail::oneLine("\xc0\xaf") == R"(\xc0\xaf)");                   // overlong '/'
  CHECK(report::detail::oneLine("\xed\xa0\x80") == R"(\xed\xa0\x80)");           // a surrogate
  CHECK(report::detail::oneLine("\xf4\x90\x80\x80") == R"(\xf4\x90\x80\x80)");   // above U+10FFFF
  CHECK(report::detail::oneLine("\xe2\x80") == R"(\xe2\x80)");                   // cut off
  CHECK(report::detail::oneLine(R"(already \x00 escaped)") == R"(already \x00 escaped)");
}

TEST_CASE("the summary counts each status and prefers the run's wall-clock time", "[report]") {
  RunResult run = fixtureRun();
  RunSummary totals = run.summary();
  CHECK(totals.passed == 1);
  CHECK(totals.failed == 1);
  CHECK(totals.skipped == 1);
  CHECK(totals.durationMs == 18.4);
  run.elapsedMs.reset();
  CHECK(run.summary().durationMs == 15.75);
}

// ---- format selection and writing

TEST_CASE("report formats parse from json, junit and tap only", "[report][format]") {
  CHECK(*parseReportFormat("json") == ReportFormat::Json);
  CHECK(*parseReportFormat("junit") == ReportFormat::Junit);
  CHECK(*parseReportFormat("tap") == ReportFormat::Tap);
  for (std::string_view name : {"xml", "JSON", "", "junit "}) {
    auto parsed = parseReportFormat(name);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() ==
          "unknown report format '" + std::string(name) + "' (expected json, junit or tap)");
  }
  CHECK(reportFormatName(ReportFormat::Junit) == "junit");
  CHECK(renderReport(ReportFormat::Tap, fixtureRun()) == renderTapReport(fixtureRun()));
}

TEST_CASE("a report written to a path replaces the file whole and leaves no temporary file",
          "[report][format]") {
  auto directory = freshDirectory("report-dir");
  std::string path = (directory / "run.xml").string();
  testing::writeFileOrFail(path, "an older report that is longer than nothing");
  RunResult run = fixtureRun();

  auto written = writeReport(ReportFormat::Junit, run, path);
  REQUIRE(written.ok());
  CHECK(testing::readFileOrFail(path) == renderJunitReport(run));
  CHECK(entriesOf(directory) == std::vector<std::string>{"run.xml"});
  struct stat status {};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0644);
}

TEST_CASE("a report that cannot be written names the path and the errno", "[report][format]") {
  auto directory = freshDirectory("report-fail");
  RunResult run = fixtureRun();

  SECTION("a missing directory") {
    std::string path = (directory / "missing" / "run.json").string();
    auto written = writeReport(ReportFormat::Json, run, path);
    REQUIRE_FALSE(written);
    CHECK(written.error() == path + ": mkostemp: ENOENT (No such file or directory)");
  }
  SECTION("a path that is a directory: refused before anything is made") {
    std::filesystem::create_directory(directory / "taken");
    std::string path = (directory / "taken").string();
    auto written = writeReport(ReportFormat::Tap, run, path);
    REQUIRE_FALSE(written);
    CHECK(written.error() == path + ": is a directory");
    CHECK(entriesOf(directory) == std::vector<std::string>{"taken"});
  }
  SECTION("a stream that is full") {
    OwnedStream full(std::fopen("/dev/full", "w"));
    REQUIRE(full.file != nullptr);
    auto written = writeReport(ReportFormat::Json, run, full.file, "stdout");
    REQUIRE_FALSE(written);
    CHECK(written.error() == "stdout: write: ENOSPC (No space left on device)");
  }
}

TEST_CASE("a report written to a stream is the rendered report", "[report][format]") {
  OwnedStream out;
  REQUIRE(out.file != nullptr);
  REQUIRE(writeReport(ReportFormat::Json, fixtureRun(), out.file).ok());
  CHECK(contentsOf(out.file) == renderJsonReport(fixtureRun()));
}

}  // namespace
}  // namespace sockspec
