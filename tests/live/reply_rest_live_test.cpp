// `--service any`'s rest ends (blackbox/reply_timing.h, process/process_activity.h) against servers in their
// own processes (python3, started as --target-cmd would be): a message the server reads and leaves
// unanswered ends once the server is at rest, long before the first-byte wait; a reply the server delays
// with a sleep of its own is waited for whole; and a reply the server finishes from its event loop's timer,
// after it was at rest, is what an audit finds (bytes after the rest), which is how a server that cannot be
// trusted at rest is learnt.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "blackbox/conversation_exchange.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/reply_timing.h"
#include "process/process_activity.h"
#include "process/target_session.h"

using namespace sockspec;
using namespace sockspec::blackbox;
using namespace std::chrono_literals;

namespace {

// A line server on {port}: "wait" -> nothing; "slow" -> "+SLOW\n" after sleeping 200 ms; "later" -> "+LA"
// at once and "TER\n" 200 ms later from its poll timeout; anything else -> "+" LINE "\n" at once. One
// connection at a time, as many as come.
const char* const kServer = R"PY(
import select, socket, sys, time
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(8)
while True:
    conn, _ = listener.accept()
    pending, due = b"", None
    while True:
        ready, _, _ = select.select([conn], [], [], None if due is None else max(0, due - time.monotonic()))
        if not ready:
            conn.sendall(b"TER\n")
            due = None
            continue
        data = conn.recv(4096)
        if not data:
            break
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line == b"wait":
                continue
            if line == b"slow":
                time.sleep(0.2)
                conn.sendall(b"+SLOW\n")
            elif line == b"later":
                conn.sendall(b"+LA")
                due = time.monotonic() + 0.2
            else:
                conn.sendall(b"+" + line + b"\n")
    conn.close()
)PY";

process::TargetSession startServer() {
  process::TargetSpec spec;
  spec.command = "exec python3 -c '" + std::string(kServer) + "' {port}";
  spec.stopGrace = 500ms;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  return std::move(*session);
}

ExchangeResult converse(process::TargetSession& server, process::ActivityWatch& watch, std::string_view input,
                        bool audit) {
  auto protocol = makeFuzzProtocol("any", "", "", "");
  REQUIRE(protocol);
  ReplyWaits waits;
  waits.firstByte = 5s;  // far longer than any rest: an end before it is the rest's
  waits.quietGap = 1s;
  waits.awaitClose = false;
  waits.rest = &watch;
  waits.auditRest = audit;
  ExchangeLimits limits;
  limits.hangTimeout = 10s;
  return exchangeConversation(server.endpoint(), *protocol, net::asBytes(input), waits, limits);
}

}  // namespace

TEST_CASE("rest ends: a message left unanswered ends once the server is at rest, not after the wait",
          "[live][conversation]") {
  auto server = startServer();
  process::ActivityWatch watch(server.pid());
  // Each first-byte wait is 5 s: an end marked atRest came before it, by the rest.
  // (The last message is followed by the client's FIN, which closes this server: its reply ends by the close.)
  auto result = converse(server, watch, "one\n\x1e\x1ewait\n\x1e\x1etwo\n\x1e\x1ewait\n", false);
  REQUIRE(result.messages.size() == 4);
  CHECK(result.reply == "+one\n+two\n");
  CHECK(result.messages[0].end == ReplyEnd::Quiet);
  CHECK(result.messages[0].atRest);
  CHECK(result.messages[0].replyBytes == 5);
  CHECK(result.messages[1].end == ReplyEnd::None);
  CHECK(result.messages[1].atRest);
  CHECK(result.messages[1].replyBytes == 0);
  CHECK(result.messages[2].atRest);
  CHECK(result.messages[2].replyBytes == 5);
}

TEST_CASE("rest ends: a server in a sleep of its own is not at rest, and its reply comes whole",
          "[live][conversation]") {
  auto server = startServer();
  process::ActivityWatch watch(server.pid());
  auto result = converse(server, watch, "slow\n\x1e\x1eone\n\x1e\x1ewait\n", false);
  REQUIRE(result.messages.size() == 3);
  CHECK(result.reply == "+SLOW\n+one\n");
  CHECK(result.messages[0].replyBytes == 6);
  CHECK(result.messages[0].atRest);
  CHECK(result.messages[1].replyOffset == 6);
}

TEST_CASE("rest ends: an audit finds the bytes a server sent after it was at rest", "[live][conversation]") {
  auto server = startServer();
  process::ActivityWatch watch(server.pid());
  SECTION("audited: the quiet gap is waited, and the rest of the reply is found in it") {
    auto result = converse(server, watch, "later\n\x1e\x1ewait\n", true);
    REQUIRE(result.messages.size() == 2);
    CHECK(result.reply == "+LATER\n");
    CHECK(result.messages[0].audited);
    CHECK(result.messages[0].lateAfterRest);
    CHECK_FALSE(result.messages[0].atRest);
  }
  SECTION("not audited: the reply ends at the rest, before the timer's bytes") {
    auto result = converse(server, watch, "later\n\x1e\x1ewait\n", false);
    REQUIRE(result.messages.size() == 2);
    CHECK(result.reply.starts_with("+LA"));
    CHECK(result.messages[0].replyBytes == 3);
    CHECK(result.messages[0].atRest);
  }
  SECTION("learnt: replies stop ending at rests once audits found bytes after them twice") {
    ReplyTiming timing(1000ms);
    CHECK(timing.waits(&watch).rest == &watch);
    // Nothing is audited while the waits are learned (an audit would wait the hang timeout).
    for (std::size_t i = 0; i < ReplyTiming::kLearnAfter; ++i) {
      REQUIRE_FALSE(timing.waits(&watch).auditRest);
      timing.learn(converse(server, watch, "ping\n", false));
    }
    for (int i = 0; i < 2; ++i) {
      auto waits = timing.waits(&watch);
      REQUIRE(waits.auditRest);  // the first exchanges after that are all audited
      timing.learn(converse(server, watch, "later\n\x1e\x1ewait\n", true));
    }
    CHECK(timing.waits(&watch).rest == nullptr);
    auto note = timing.takeRestNote();
    REQUIRE(note);
    CHECK(note->find("the server sent more after it was at rest (2 of 2 checked replies)") != std::string::npos);
    CHECK_FALSE(timing.takeRestNote());  // said once
  }
}
