// The console report of `sockspec run`, for people: a line per check as it finishes, then the summary line
// and the verdict on each of the tutorial's claims.
//
//   PASS  close.unread-data-rst[tcp6]  (3 ms)
//   FAIL  close.shutdown-then-recv[tcp4]  (12 ms)
//         close/shutdown.scn:16: recv client 16: expected ECONNRESET, got 0 (eof)
//   SKIP  echo.udp-large[udp6]  (needs IPv6 loopback)
//
//   1 passed, 1 failed, 1 skipped in 18 ms
//
//   Claims:
//     1. close() with unread data ends the connection with a FIN
//        refuted: this OS sends RST when unread data is discarded
//        evidence: close.unread-data-rst[tcp6]
//
// Colour (green PASS, red FAIL, yellow SKIP and verdict words) only where ColorMode says. The summary line is
// never coloured, so that CI tooling can match "N passed, N failed" in any mode.
#pragma once

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "base/sys_error.h"
#include "report/run_result.h"

namespace sockspec::report {

// --color auto|always|never. Auto: colour when the output is a terminal and NO_COLOR is unset or empty
// (no-color.org); always and never ignore both, an explicit flag outranking the environment.
enum class ColorMode { Auto, Always, Never };

// "auto", "always" or "never". Fails with "unknown colour mode 'yes' (expected auto, always or never)".
Expected<ColorMode, std::string> parseColorMode(std::string_view name);
std::string_view colorModeName(ColorMode mode);

// Whether to colour output written to `fd`; `noColor` is the value of NO_COLOR (nullptr when unset).
bool shouldUseColor(ColorMode mode, int fd, const char* noColor);

struct ConsoleOptions {
  ColorMode color = ColorMode::Auto;
};

// The check's line(s): "PASS  id  (3 ms)", "FAIL  id  (12 ms)" plus the indented "file:line: message",
// "SKIP  id  (reason)". Every byte of id and message is shown safely (report_text.h: detail::oneLine).
std::string renderConsoleCheck(const CheckResult& check, bool color);

// After the last check: a blank line, "N passed, N failed, N skipped in X ms", then the claims section.
std::string renderConsoleEnd(const RunResult& result, bool color);

// The claims section alone ("" when there are no claims); also the JUnit report's <system-out>.
std::string renderConsoleClaims(const RunResult& result, bool color);

// The whole report at once: every check's lines, then the end.
std::string renderConsoleReport(const RunResult& result, bool color);

// Writes the console report to a stream as the run goes. Thread-safe: checkFinished() and runFinished() may
// be called from any threads, each call's lines are written and flushed whole under a mutex, so lines of two
// checks never interleave (lines appear in the order the calls take the lock). The stream is not owned and
// must outlive the reporter; nothing else should write to it meanwhile.
class ConsoleReporter {
 public:
  // Decides on colour once, here, from `options`, whether `out` is a terminal and NO_COLOR.
  ConsoleReporter(std::FILE* out, ConsoleOptions options);

  void checkFinished(const CheckResult& check);
  void runFinished(const RunResult& result);

  bool usesColor() const { return m_color; }

  // The first failed write (e.g. "write: EPIPE"), if any. Writing goes on after a failure, so that a
  // transient error loses only what it hit; the caller decides whether a lost console is fatal.
  std::optional<SysError> firstWriteError() const;

 private:
  void emit(const std::string& text);

  std::FILE* m_out;
  bool m_color;
  mutable std::mutex m_mutex;
  std::optional<SysError> m_writeError;
};

}  // namespace sockspec::report
