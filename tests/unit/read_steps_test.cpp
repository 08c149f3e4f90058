// The read verbs' runner (runner/reply_reader.h) over real AF_UNIX stream socketpairs: each read returns its
// reply and leaves the next byte unread, waits for a reply split across sends, and stops at the limit, at EOF
// and at the deadline, saying which. Then the same verbs, patterns, send-file and repeat through
// executeScenario, pinning the messages people read. A writer thread that must interleave with a read waits
// (bounded) until the reader has consumed what came before: the split is provoked every time, not hoped for.
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "base/deadline.h"
#include "net/unique_fd.h"
#include "runner/reply_reader.h"
#include "runner/scenario_execution.h"
#include "scenario/parser.h"
#include "support/built_programs.h"

using namespace sockspec;
using namespace std::chrono_literals;
using runner::StreamRead;

namespace {

struct StreamPair {
  net::UniqueFd reader;
  net::UniqueFd writer;
};

StreamPair streamPair() {
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {net::UniqueFd(fds[0]), net::UniqueFd(fds[1])};
}

void write(const net::UniqueFd& fd, std::string_view bytes) {
  REQUIRE(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

// What is left to read on `fd`, without waiting.
std::string unread(const net::UniqueFd& fd) {
  char buffer[256];
  ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

// Sends each piece once the reader has consumed everything sent before it (SIOCINQ on the reader is 0), each
// wait bounded by 5 s. Called from a writer thread while the reader waits for the rest of its reply.
void sendEachOnceConsumed(int readerFd, int writerFd, std::vector<std::string> pieces, bool& consumedInTime) {
  consumedInTime = true;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) {
      Deadline deadline = Deadline::after(5s);
      int queued = 1;
      // Bounded by the deadline: polls the reader's queue every millisecond.
      while (::ioctl(readerFd, SIOCINQ, &queued) == 0 && queued > 0 && !deadline.expired()) {
        std::this_thread::sleep_for(1ms);
      }
      if (queued > 0) consumedInTime = false;
    }
    (void)::send(writerFd, pieces[i].data(), pieces[i].size(), MSG_NOSIGNAL);
  }
}

scenario::Scenario parsed(const std::string& text, const std::string& file = "t.scn") {
  auto result = scenario::parseScenario(text, file);
  if (!result) FAIL(result.error().front().describe());
  return std::move(*result);
}

// A unix scenario with a connected pair (client, conn; lines 5-10), then `steps` from line 11.
std::string pairScenario(const std::string& steps) {
  return "scenario t.reads\nfamilies unix\nsource \"docs/scenario-language.md\"\n\n"
         "server = socket\nbind server\nlisten server 1\nclient = socket\nconnect client server\n"
         "conn = accept server\n" +
         steps;
}

report::CheckResult run(const std::string& steps, const std::string& file = "t.scn") {
  std::string work = testing::tempFilePath("reads-work");
  std::filesystem::create_directories(work);
  return runner::executeScenario(parsed(pairScenario(steps), file), scenario::Family::Unix, work);
}

}  // namespace

TEST_CASE("read-line returns one line and leaves the next one unread") {
  auto pair = streamPair();
  write(pair.writer, "one\r\ntwo\nthree");
  auto first = runner::readUntilDelimiter(pair.reader.get(), "\n", 1024, Deadline::after(2s));
  CHECK(first.end == StreamRead::End::Complete);
  CHECK(first.bytes == "one\r\n");
  auto second = runner::readUntilDelimiter(pair.reader.get(), "\n", 1024, Deadline::after(2s));
  CHECK(second.bytes == "two\n");
  CHECK(unread(pair.reader) == "three");
}

TEST_CASE("a line split across several sends is waited for and read whole") {
  auto pair = streamPair();
  write(pair.writer, "he");
  bool consumedInTime = false;
  std::thread writer(sendEachOnceConsumed, pair.reader.get(), pair.writer.get(),
                     std::vector<std::string>{"", "llo", "\nnext"}, std::ref(consumedInTime));
  auto line = runner::readUntilDelimiter(pair.reader.get(), "\n", 1024, Deadline::after(10s));
  writer.join();
  CHECK(consumedInTime);
  CHECK(line.end == StreamRead::End::Complete);
  CHECK(line.bytes == "hello\n");
  CHECK(unread(pair.reader) == "next");
}

TEST_CASE("a delimiter split across two sends is found, and what follows it stays unread") {
  auto pair = streamPair();
  write(pair.writer, "HTTP/1.0 200 OK\r\n\r");
  bool consumedInTime = false;
  std::thread writer(sendEachOnceConsumed, pair.reader.get(), pair.writer.get(),
                     std::vector<std::string>{"", "\nbody"}, std::ref(consumedInTime));
  auto head = runner::readUntilDelimiter(pair.reader.get(), "\r\n\r\n", 1024, Deadline::after(10s));
  writer.join();
  CHECK(consumedInTime);
  CHECK(head.end == StreamRead::End::Complete);
  CHECK(head.bytes == "HTTP/1.0 200 OK\r\n\r\n");
  CHECK(unread(pair.reader) == "body");
}

TEST_CASE("a read stops at its limit, at EOF and at the deadline, and says which") {
  auto pair = streamPair();
  SECTION("the limit: exactly `limit` bytes are consumed, the rest stays") {
    write(pair.writer, "abcdef\n");
    auto read = runner::readUntilDelimiter(pair.reader.get(), "\n", 4, Deadline::after(2s));
    CHECK(read.end == StreamRead::End::Limit);
    CHECK(read.bytes == "abcd");
    CHECK(unread(pair.reader) == "ef\n");
  }
  SECTION("a line that fills the limit exactly is complete") {
    write(pair.writer, "abc\nd");
    auto read = runner::readUntilDelimiter(pair.reader.get(), "\n", 4, Deadline::after(2s));
    CHECK(read.end == StreamRead::End::Complete);
    CHECK(read.bytes == "abc\n");
  }
  SECTION("EOF before the end of the line") {
    write(pair.writer, "abc");
    REQUIRE(::shutdown(pair.writer.get(), SHUT_WR) == 0);
    auto read = runner::readUntilDelimiter(pair.reader.get(), "\n", 1024, Deadline::after(2s));
    CHECK(read.end == StreamRead::End::Eof);
    CHECK(read.bytes == "abc");
  }
  SECTION("the deadline: nothing more came") {
    write(pair.writer, "ab");
    auto started = std::chrono::steady_clock::now();
    auto read = runner::readUntilDelimiter(pair.reader.get(), "\n", 1024, Deadline::after(50ms));
    CHECK(read.end == StreamRead::End::Deadline);
    CHECK(read.bytes == "ab");
    CHECK(std::chrono::steady_clock::now() - started >= 50ms);
  }
  SECTION("a closed descriptor is an error with its errno") {
    auto read = runner::readUntilDelimiter(-1, "\n", 16, Deadline::after(1s));
    CHECK(read.end == StreamRead::End::Error);
    CHECK(read.error == EBADF);
  }
}

TEST_CASE("read, read-eof and read-prefixed take exactly their reply") {
  auto pair = streamPair();
  SECTION("read N over several sends") {
    write(pair.writer, "12");
    bool consumedInTime = false;
    std::thread writer(sendEachOnceConsumed, pair.reader.get(), pair.writer.get(),
                       std::vector<std::string>{"", "345", "67"}, std::ref(consumedInTime));
    auto read = runner::readExactly(pair.reader.get(), 5, Deadline::after(10s));
    writer.join();
    CHECK(consumedInTime);
    CHECK(read.end == StreamRead::End::Complete);
    CHECK(read.bytes == "12345");
    CHECK(unread(pair.reader) == "67");
  }
  SECTION("read-eof within the limit, and one byte over it left unread") {
    write(pair.writer, "abcd");
    REQUIRE(::shutdown(pair.writer.get(), SHUT_WR) == 0);
    auto over = runner::readToEof(pair.reader.get(), 3, Deadline::after(2s));
    CHECK(over.end == StreamRead::End::Limit);
    CHECK(over.bytes == "abc");
    auto rest = runner::readToEof(pair.reader.get(), 1, Deadline::after(2s));
    CHECK(rest.end == StreamRead::End::Complete);
    CHECK(rest.bytes == "d");
  }
  SECTION("a u16le frame at offset 1, and a frame over the limit left with its payload unread") {
    write(pair.writer, std::string("T\x03\x00xyzT\xff\x00", 10));
    auto frame = runner::readFrame(pair.reader.get(), {2, false}, 1, 64, Deadline::after(2s));
    CHECK(frame.end == StreamRead::End::Complete);
    CHECK(frame.bytes == std::string("T\x03\x00xyz", 6));
    auto big = runner::readFrame(pair.reader.get(), {2, false}, 1, 64, Deadline::after(2s));
    CHECK(big.end == StreamRead::End::Limit);
    CHECK(big.frameBytes == 3 + 255);
  }
}

TEST_CASE("read steps, patterns, send-file and repeat through executeScenario, with their messages") {
  SECTION("replies read one by one, matched by pattern") {
    auto result =
        run("send client \"+PONG\\r\\n$5\\r\\nhello\\r\\n\" -> 18\n"
            "read-line conn -> 7 \"+PONG\\r\\n\"\n"
            "read-until conn \"\\r\\n\" -> prefix \"$\"\n"
            "read conn 7 -> matches \"^h.*o\\r\\n$\"\n"
            "close client\n"
            "read-eof conn -> eof\n");
    CHECK(result.message == "");
    CHECK(result.status == report::Status::Passed);
  }
  SECTION("a pattern that does not match names the pattern and the bytes") {
    auto result = run("send client \"-ERR unknown\\r\\n\"\nread-line conn -> prefix \"+OK\"\n");
    CHECK(result.status == report::Status::Failed);
    CHECK(result.line == 12);
    CHECK(result.message ==
          R"(read-line conn -> prefix "+OK": expected prefix "+OK", got 14 bytes "-ERR unknown\r\n")");
  }
  SECTION("eof in the middle of a line") {
    auto result = run("send client \"+PON\"\nclose client\nread-line conn -> \"+PONG\\r\\n\"\n");
    CHECK(result.message ==
          R"(read-line conn -> "+PONG\r\n": expected 7 bytes "+PONG\r\n", got eof after 4 bytes: "+PON")");
  }
  SECTION("no end of line within the limit") {
    auto result = run("send client \"x\" * 40\nread-line conn max 16 -> any\nread-line conn max 16\n");
    CHECK(result.line == 13);
    CHECK(
        result.message ==
        R"(read-line conn max 16: expected success, got no end of line within 16 bytes: "xxxxxxxxxxxxxxxx")");
  }
  SECTION("the deadline, with the bytes read so far") {
    auto result = run("send client \"ab\"\nread-line conn within 50ms\n");
    CHECK(result.message ==
          "read-line conn within 50ms: expected success, got EAGAIN (Resource temporarily "
          "unavailable); after 2 bytes: \"ab\"; no more within the step's deadline of 50 ms");
  }
  SECTION("read-eof expecting last bytes gets EOF at once: 0 (eof)") {
    auto result = run("close client\nread-eof conn -> \"bye\\n\"\n");
    CHECK(result.message == R"(read-eof conn -> "bye\n": expected 4 bytes "bye\n", got 0 (eof))");
  }
  SECTION("a deadline expected, and then the rest of the line") {
    auto result =
        run("send client \"ab\"\nread-line conn within 20ms -> EAGAIN\n"
            "send client \"c\\n\"\nread-line conn -> \"c\\n\"\n");
    CHECK(result.message == "");
  }
  SECTION("blocks: nothing at all to read yet") {
    auto result = run("read-line conn -> blocks\nsend client \"a\"\nread-line conn within 50ms -> blocks\n");
    CHECK(result.line == 13);
    CHECK(result.message ==
          "read-line conn within 50ms -> blocks: expected nothing ready (it would block), got "
          "EAGAIN (Resource temporarily unavailable); after 1 byte: \"a\"; no more within the "
          "step's deadline of 50 ms");
  }
  SECTION("send-file sends the file's bytes") {
    std::string folder = testing::tempFilePath("send-file");
    std::filesystem::create_directories(folder);
    std::ofstream(folder + "/request.txt", std::ios::binary) << "GET / HTTP/1.1\r\n\r\n";
    auto result =
        run("send-file client \"request.txt\" -> 18\nread-until conn \"\\r\\n\\r\\n\" -> prefix \"GET /\"\n",
            folder + "/t.scn");
    CHECK(result.message == "");
  }
  SECTION("send-file that the peer does not read fails at the deadline, saying how much was sent") {
    std::string folder = testing::tempFilePath("send-file-big");
    std::filesystem::create_directories(folder);
    std::ofstream(folder + "/big.bin", std::ios::binary) << std::string(4 << 20, 'b');
    auto result = run("send-file client \"big.bin\" within 100ms\n", folder + "/t.scn");
    CHECK(result.status == report::Status::Failed);
    CHECK_THAT(result.message,
               Catch::StartsWith("send-file client \"big.bin\" within 100ms: expected success, got "
                                 "EAGAIN (Resource temporarily unavailable); after "));
    CHECK_THAT(result.message, Catch::EndsWith(" of the file's 4194304 bytes; the step's deadline passed"));
  }
  SECTION("repeat: every repetition meets the expectation, and a failure names which") {
    auto passed = run("repeat 5 send client \"ping\\n\" -> 5\nrepeat 5 read-line conn -> \"ping\\n\"\n");
    CHECK(passed.message == "");
    auto failed = run("send client \"a\\na\\nb\\na\\n\"\nrepeat 4 read-line conn -> \"a\\n\"\n");
    CHECK(
        failed.message ==
        R"(repeat 4 read-line conn -> "a\n": repetition 3 of 4: expected 2 bytes "a\n", got 2 bytes "b\n")");
  }
}
