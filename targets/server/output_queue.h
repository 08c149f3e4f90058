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

  void append(std::string_view data);
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
