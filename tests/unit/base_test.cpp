// The base layer: Deadline arithmetic, terminal-safe escaping, errno names both ways, and Expected.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/append_bytes.h"
#include "base/deadline.h"
#include "base/display_escape.h"
#include "base/errno_names.h"
#include "base/file_bytes.h"
#include "base/expected.h"
#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using Clock = Deadline::Clock;

TEST_CASE("a Deadline in the past is expired and waits zero, never 'forever'", "[base][deadline]") {
  auto deadline = GENERATE(Deadline::after(0ms), Deadline::after(-5s), Deadline::at(Clock::now() - 1h));
  CHECK(deadline.expired());
  CHECK(deadline.remaining() == 0ms);
  CHECK(deadline.pollTimeoutMs() == 0);  // -1 would make poll(2) wait forever
}

TEST_CASE("a Deadline in the future counts down", "[base][deadline]") {
  auto deadline = Deadline::after(1h);
  CHECK_FALSE(deadline.expired());
  CHECK(deadline.remaining() <= 1h);
  CHECK(deadline.remaining() > 59min);
  CHECK(deadline.pollTimeoutMs() > 59 * 60 * 1000);
  CHECK(deadline.pollTimeoutMs() <= 60 * 60 * 1000);

  auto soon = Deadline::after(30ms);
  std::this_thread::sleep_for(40ms);
  CHECK(soon.expired());
  CHECK(soon.pollTimeoutMs() == 0);
}

TEST_CASE("a Deadline's poll timeout is rounded up, never waking before the deadline", "[base][deadline]") {
  // Rounding down would make poll(2) return just before the deadline (and with under 1 ms left, spin with
  // a 0 timeout). Rounded up, the timeout covers what is left even measured after it was computed.
  for (auto fraction : {100us, 300us, 500us, 700us, 900us}) {
    auto deadline = Deadline::at(Clock::now() + 1s + fraction);
    auto waits = std::chrono::milliseconds(deadline.pollTimeoutMs());
    CAPTURE(fraction.count(), waits.count());
    CHECK(waits >= deadline.when() - Clock::now());
  }
}

TEST_CASE("a Deadline longer than INT_MAX ms is clamped for poll(2)", "[base][deadline]") {
  auto deadline = Deadline::after(std::chrono::hours(24 * 30));  // 2.6e9 ms
  CHECK(deadline.pollTimeoutMs() == INT_MAX);
}

TEST_CASE("Deadline::orEarlier picks the earlier of two deadlines", "[base][deadline]") {
  auto early = Deadline::after(1s);
  auto late = Deadline::after(1h);
  CHECK(early.orEarlier(late).when() == early.when());
  CHECK(late.orEarlier(early).when() == early.when());
}

TEST_CASE("escapeForDisplay keeps printable ASCII and escapes everything else", "[base][escape]") {
  CHECK(escapeForDisplay("tcp://127.0.0.1:7") == "tcp://127.0.0.1:7");
  CHECK(escapeForDisplay("a\nb\rc\td\\e") == "a\\nb\\rc\\td\\\\e");
  CHECK(escapeForDisplay(std::string("\0\x01\x1f\x7f\x80\xff", 6)) == "\\x00\\x01\\x1f\\x7f\\x80\\xff");
  CHECK(escapeForDisplay("caf\xc3\xa9") == "caf\\xc3\\xa9");
  CHECK(escapeForDisplay("") == "");
}

TEST_CASE("escapeForDisplay output is one line of printable ASCII for every byte", "[base][escape]") {
  std::string every;
  for (int byte = 0; byte < 256; ++byte) every += static_cast<char>(byte);
  auto shown = escapeForDisplay(every, every.size());
  for (char c : shown) {
    auto byte = static_cast<unsigned char>(c);
    INFO("byte " << int(byte) << " in " << shown);
    REQUIRE((byte >= 0x20 && byte < 0x7f));
  }
  CHECK(shown.find("...") == std::string::npos);
}

TEST_CASE("escapeForDisplay cuts long input at maxBytes and says so", "[base][escape]") {
  CHECK(escapeForDisplay(std::string(120, 'a')) == std::string(120, 'a'));
  CHECK(escapeForDisplay(std::string(121, 'a')) == std::string(120, 'a') + "...");
  CHECK(escapeForDisplay("abcdef", 3) == "abc...");
  CHECK(escapeForDisplay("abcdef", 0) == "...");
  // 1 MB of bytes that each become four characters still makes a short message.
  auto shown = escapeForDisplay(std::string(1 << 20, '\xff'));
  CHECK(shown.size() == 120 * 4 + 3);
}

TEST_CASE("errnoName gives the symbolic name, and E#n for values glibc does not know", "[base][errno]") {
  CHECK(errnoName(ECONNREFUSED) == "ECONNREFUSED");
  CHECK(errnoName(ECONNRESET) == "ECONNRESET");
  CHECK(errnoName(EAGAIN) == "EAGAIN");
  CHECK(errnoName(EWOULDBLOCK) == "EAGAIN");  // the same value; the name glibc prints
  CHECK(errnoName(ETIMEDOUT) == "ETIMEDOUT");
  CHECK(errnoName(9999) == "E#9999");
  CHECK(errnoName(-1) == "E#-1");
}

TEST_CASE("errnoDescription gives glibc's text", "[base][errno]") {
  CHECK(errnoDescription(ECONNREFUSED) == "Connection refused");
  CHECK(errnoDescription(EPIPE) == "Broken pipe");
  CHECK(errnoDescription(9999) == "Unknown error 9999");
}

TEST_CASE("errnoFromName reads back every name errnoName prints", "[base][errno]") {
  int named = 0;
  for (int code = 1; code < 200; ++code) {
    std::string name = errnoName(code);
    if (name.rfind("E#", 0) == 0) continue;
    ++named;
    CAPTURE(code, name);
    CHECK(errnoFromName(name) == code);
  }
  CHECK(named > 100);  // glibc names about 133
}

TEST_CASE("errnoFromName accepts the alias names of an errno", "[base][errno]") {
  // EWOULDBLOCK, ENOTSUP and EDEADLOCK are errno names on Linux (errno(3)) with the value of another name.
  CHECK(errnoFromName("EWOULDBLOCK") == EAGAIN);
  CHECK(errnoFromName("ENOTSUP") == EOPNOTSUPP);
  CHECK(errnoFromName("EDEADLOCK") == EDEADLK);
}

TEST_CASE("errnoFromName refuses what is not an errno name", "[base][errno]") {
  auto name = GENERATE(as<std::string>{}, "", "E", "ECONNREFUSEDX", "econnrefused", "E#111", "111", "ECONN",
                       std::string("ECONNREFUSED\0", 13));
  CAPTURE(name);
  CHECK_FALSE(errnoFromName(name).has_value());
}

TEST_CASE("SysError::describe reads 'call: ENAME (text)'", "[base][errors]") {
  CHECK(SysError{ECONNREFUSED, "connect"}.describe() == "connect: ECONNREFUSED (Connection refused)");
  CHECK(SysError{9999, "bind"}.describe() == "bind: E#9999 (Unknown error 9999)");
  errno = ENOTCONN;
  auto failure = lastError("recv");
  CHECK(failure.error == SysError{ENOTCONN, "recv"});
  CHECK(failWith(EPIPE, "send").error == SysError{EPIPE, "send"});
}

TEST_CASE("Expected holds a value or an error", "[base][expected]") {
  SECTION("a value") {
    Expected<int, std::string> result = 7;
    REQUIRE(result.ok());
    CHECK(bool(result));
    CHECK(*result == 7);
    CHECK(result.value() == 7);
  }
  SECTION("an error") {
    Expected<int, std::string> result = Unexpected{std::string("refused")};
    REQUIRE_FALSE(result.ok());
    CHECK_FALSE(bool(result));
    CHECK(result.error() == "refused");
  }
  SECTION("a value and an error of the same type stay apart") {
    Expected<std::string, std::string> value = std::string("value");
    Expected<std::string, std::string> error = Unexpected{std::string("error")};
    CHECK(value.ok());
    CHECK(*value == "value");
    CHECK_FALSE(error.ok());
    CHECK(error.error() == "error");
  }
  SECTION("a move-only value moves out") {
    Result<net::UniqueFd> result = net::UniqueFd(::dup(STDERR_FILENO));
    REQUIRE(result);
    net::UniqueFd fd = std::move(result).value();
    CHECK(fd);
    CHECK(result->get() == -1);  // the moved-from UniqueFd holds -1
  }
  SECTION("void: success carries nothing") {
    Expected<void, SysError> ok;
    CHECK(ok.ok());
    Expected<void, SysError> failed = failWith(EBADF, "close");
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().describe() == "close: EBADF (Bad file descriptor)");
  }
}

// Runs `misuse` in a child process and returns how it ended and what it wrote to stderr, within 10 s.
template <typename F>
std::pair<int, std::string> runInChild(F misuse) {
  int pipeFds[2];
  REQUIRE(::pipe(pipeFds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipeFds[1], STDERR_FILENO);
    ::signal(SIGABRT, SIG_DFL);
    misuse();
    ::_exit(0);
  }
  ::close(pipeFds[1]);
  auto deadline = Deadline::after(10s);
  std::string text;
  for (;;) {
    pollfd entry{pipeFds[0], POLLIN, 0};
    if (::poll(&entry, 1, deadline.pollTimeoutMs()) <= 0) break;
    char chunk[256];
    ssize_t n = ::read(pipeFds[0], chunk, sizeof(chunk));
    if (n <= 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(pipeFds[0]);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (deadline.expired()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("the child did not end within 10 s");
    }
    std::this_thread::sleep_for(5ms);
  }
  return {status, text};
}

TEST_CASE("reading the wrong side of an Expected aborts with a message", "[base][expected]") {
  SECTION("value() of a failed result") {
    auto [status, text] = runInChild([] {
      Expected<int, std::string> failed = Unexpected{std::string("no")};
      (void)failed.value();
    });
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK_THAT(text, Catch::Contains("sockspec: internal error: value() of a failed result"));
  }
  SECTION("error() of a successful result") {
    auto [status, text] = runInChild([] {
      Expected<void, SysError> ok;
      (void)ok.error();
    });
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK_THAT(text, Catch::Contains("sockspec: internal error: error() of a successful result"));
  }
}

TEST_CASE("appendBytes appends in order and grows geometrically, as vector::insert does", "[base][bytes]") {
  std::vector<std::uint8_t> out{1, 2};
  const std::vector<std::uint8_t> more{3, 4, 5};
  appendBytes(out, more);
  appendBytes(out, {});
  CHECK(out == std::vector<std::uint8_t>{1, 2, 3, 4, 5});
  // One byte at a time to 100,000 bytes: doubling needs about 17 allocations; growing to the exact size
  // each time would need 100,000.
  std::vector<std::uint8_t> grown;
  std::size_t allocations = 0;
  const std::uint8_t* storage = nullptr;
  for (std::size_t i = 0; i < 100000; ++i) {
    const std::uint8_t byte = static_cast<std::uint8_t>(i);
    appendBytes(grown, std::span<const std::uint8_t>(&byte, 1));
    if (grown.data() != storage) {
      ++allocations;
      storage = grown.data();
    }
  }
  CHECK(allocations <= 20);
  CHECK(grown.size() == 100000);
  CHECK(grown[99999] == static_cast<std::uint8_t>(99999));
}

TEST_CASE("readFileBytes reads a whole file, stops one byte past a limit, and names the failing call",
          "[base][files]") {
  char path[] = "/tmp/sockspec-file-bytes-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string content("line\0with a NUL\n", 16);
  REQUIRE(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(fd);
  auto whole = readFileBytes(path);
  REQUIRE(whole);
  CHECK(*whole == content);
  auto capped = readFileBytes(path, 4);
  REQUIRE(capped);
  CHECK(*capped == std::string("line\0", 5));  // 5 bytes: one past the limit says "over it"
  ::unlink(path);

  auto missing = readFileBytes(path);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().describe().rfind("open: ENOENT", 0) == 0);
  auto directory = readFileBytes("/tmp");
  REQUIRE_FALSE(directory);
  CHECK(directory.error().describe().rfind("read: EISDIR", 0) == 0);
}

}  // namespace
}  // namespace sockspec
