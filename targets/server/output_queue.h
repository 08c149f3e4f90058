// OutputQueue: the bytes a connection owes its peer that the kernel has not taken yet. Each chunk is sent
// by one send(2): on a stream a chunk may go out in parts; on SOCK_SEQPACKET a chunk is one record and goes
// whole or not at all. Empty queues hold no heap memory, so idle connections stay small.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec::server {

class OutputQueue {
 public:
  bool empty() const { return m_bytes == 0; }
  std::size_t bytes() const { return m_bytes; }

  // A stream's bytes: kept in chunks of at most kChunkBytes, so that every allocation is one the allocator
  // serves from its pools. glibc's malloc (and the sanitizers' allocators, whose large chunks are never
  // reused) maps anything above 128 KiB with mmap(2) of its own, page faults and all; a 256 KiB echo that
  // the client is slow to read would cost that on every connection.
  void appendStream(std::string_view data);
  // A SOCK_SEQPACKET record: one chunk, sent whole or not at all (it must not be divided).
  void appendRecord(std::string_view data);
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  // The unsent part of the first chunk.
  std::string_view front() const { return std::string_view(m_chunks[m_head]).substr(m_offset); }
  // Marks `count` bytes of front() as sent.
  void consume(std::size_t count);
  void clear();

 private:
  std::vector<std::string> m_chunks;
  std::size_t m_head = 0;    // index of the first unsent chunk
  std::size_t m_offset = 0;  // bytes of m_chunks[m_head] already sent
  std::size_t m_bytes = 0;
};

}  // namespace sockspec::server
