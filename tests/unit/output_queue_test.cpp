// The reference server's OutputQueue: replies owed to a client leave in the order they were queued, a
// stream's bytes in chunks the allocator can pool, a seqpacket record whole.
#include <string>

#include <catch2/catch.hpp>

#include "output_queue.h"

namespace sockspec::server {
namespace {

std::string patternOf(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + i % 26);
  return bytes;
}

// Everything in the queue, taken `sendSize` bytes at a time as a send(2) that takes part of a chunk would.
std::string drain(OutputQueue& queue, std::size_t sendSize) {
  std::string sent;
  for (int guard = 0; !queue.empty() && guard < 100000; ++guard) {
    std::string_view front = queue.front();
    REQUIRE(!front.empty());
    std::size_t taken = std::min(front.size(), sendSize);
    sent.append(front.substr(0, taken));
    queue.consume(taken);
  }
  return sent;
}

TEST_CASE("a stream's queued bytes come out in order, in chunks of at most kChunkBytes", "[server][queue]") {
  OutputQueue queue;
  const std::string big = patternOf(3 * OutputQueue::kChunkBytes + 100);
  queue.appendStream("first ");
  queue.appendStream(big);
  queue.appendStream("");
  queue.appendStream(" last");
  CHECK(queue.bytes() == 6 + big.size() + 5);
  CHECK(queue.front() == "first ");
  queue.consume(6);
  CHECK(queue.front().size() == OutputQueue::kChunkBytes);  // the 196 KiB append was divided
  auto sendSize = GENERATE(std::size_t{1000}, std::size_t{OutputQueue::kChunkBytes}, std::size_t{1} << 20);
  CAPTURE(sendSize);
  CHECK(drain(queue, sendSize) == big + " last");
  CHECK(queue.bytes() == 0);
}

TEST_CASE("a seqpacket record is queued whole, however large", "[server][queue]") {
  OutputQueue queue;
  const std::string record = patternOf(200 * 1024);
  queue.appendRecord(record);
  queue.appendRecord("next");
  CHECK(queue.front() == record);
  queue.consume(record.size());
  CHECK(queue.front() == "next");
  queue.consume(4);
  CHECK(queue.empty());
}

}  // namespace
}  // namespace sockspec::server
