#include "runner/reply_reader.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace sockspec::runner {

namespace {

// One recv(2) asks for at most this much: a reply of megabytes takes several calls, each bounded.
constexpr std::size_t kChunk = std::size_t{64} * 1024;

// What waiting for more data gave.
enum class Wait { Ready, Deadline, Error };

// Waits until `fd` has something to read (data, EOF or an error) or the deadline passes. EINTR waits again
// for the time left.
Wait waitReadable(int fd, Deadline deadline, int& error) {
  // Bounded by the deadline: each pass waits at most the time left.
  for (;;) {
    pollfd entry{fd, POLLIN, 0};
    int rc = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (rc > 0) return Wait::Ready;
    if (rc == 0) return Wait::Deadline;
    if (errno != EINTR) {
      error = errno;
      return Wait::Error;
    }
    if (deadline.expired()) return Wait::Deadline;
  }
}

// One recv(2) of at most `length` bytes with MSG_DONTWAIT and `flags`, repeated on EINTR. >0: bytes, 0: EOF,
// -1: errno in `error` (EAGAIN: nothing there yet).
ssize_t receiveNow(int fd, char* buffer, std::size_t length, int flags, int& error) {
  // Bounded: EINTR is rare and each repeat is one non-blocking call.
  for (;;) {
    ssize_t n = ::recv(fd, buffer, length, flags | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno != EINTR) {
      error = errno;
      return -1;
    }
  }
}

// The outcome of a failed recv(2) (`error`): wait for more unless the deadline passed or it was no EAGAIN.
// Returns true to try again; else fills `read`'s end.
bool waitForMore(int fd, int error, Deadline deadline, StreamRead& read) {
  if (error != EAGAIN && error != EWOULDBLOCK) {
    read.end = StreamRead::End::Error;
    read.error = error;
    return false;
  }
  switch (waitReadable(fd, deadline, read.error)) {
    case Wait::Ready:
      return true;
    case Wait::Deadline:
      read.end = StreamRead::End::Deadline;
      return false;
    case Wait::Error:
      read.end = StreamRead::End::Error;
      return false;
  }
  return false;
}

// Appends exactly `count` more bytes to `read.bytes`, unless the stream ends, fails or the deadline passes
// first (then `read.end` says which). True when all `count` arrived.
bool appendExactly(int fd, std::size_t count, Deadline deadline, StreamRead& read) {
  std::vector<char> buffer(std::min(count, kChunk));
  std::size_t left = count;
  // Bounded by `count` and the deadline: every pass reads at least one byte or waits for the time left.
  while (left > 0) {
    int error = 0;
    ssize_t n = receiveNow(fd, buffer.data(), std::min(left, buffer.size()), 0, error);
    if (n > 0) {
      read.bytes.append(buffer.data(), static_cast<std::size_t>(n));
      left -= static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      read.end = StreamRead::End::Eof;
      return false;
    }
    if (!waitForMore(fd, error, deadline, read)) return false;
  }
  read.end = StreamRead::End::Complete;
  return true;
}

}  // namespace

StreamRead readUntilDelimiter(int fd, std::string_view delimiter, std::size_t limit, Deadline deadline) {
  StreamRead read;
  std::vector<char> buffer(std::min(limit, kChunk));
  // Bounded by `limit` and the deadline: every pass consumes at least one byte or waits for the time left.
  while (read.bytes.size() < limit) {
    int error = 0;
    const std::size_t room = std::min(limit - read.bytes.size(), buffer.size());
    ssize_t n = receiveNow(fd, buffer.data(), room, MSG_PEEK, error);
    if (n == 0) {
      read.end = StreamRead::End::Eof;
      return read;
    }
    if (n < 0) {
      if (!waitForMore(fd, error, deadline, read)) return read;
      continue;
    }
    // The delimiter may straddle what was read before and what is peeked now: search both together.
    const std::size_t carried = std::min(read.bytes.size(), delimiter.size() - 1);
    std::string window = read.bytes.substr(read.bytes.size() - carried);
    window.append(buffer.data(), static_cast<std::size_t>(n));
    const std::size_t found = window.find(delimiter);
    // Consume what belongs to the reply: up to the delimiter's end, or all that was peeked.
    const std::size_t take =
        found == std::string::npos ? static_cast<std::size_t>(n) : found + delimiter.size() - carried;
    // The peeked bytes are there, so this returns at once (`take` >= 1: a delimiter wholly in what was read
    // before would have been found then).
    if (!appendExactly(fd, take, deadline, read)) return read;
    if (found != std::string::npos) return read;
  }
  read.end = StreamRead::End::Limit;
  return read;
}

StreamRead readExactly(int fd, std::size_t count, Deadline deadline) {
  StreamRead read;
  appendExactly(fd, count, deadline, read);
  return read;
}

StreamRead readToEof(int fd, std::size_t limit, Deadline deadline) {
  StreamRead read;
  std::vector<char> buffer(std::min(limit, kChunk) + 1);
  // Bounded by `limit` and the deadline: every pass reads at least one byte or waits for the time left.
  for (;;) {
    int error = 0;
    const bool full = read.bytes.size() == limit;
    // At the limit, only look: one more byte before EOF is over the limit, and stays unread.
    const std::size_t room = full ? 1 : std::min(limit - read.bytes.size(), buffer.size());
    ssize_t n = receiveNow(fd, buffer.data(), room, full ? MSG_PEEK : 0, error);
    if (n == 0) {
      read.end = StreamRead::End::Complete;
      return read;
    }
    if (n > 0 && full) {
      read.end = StreamRead::End::Limit;
      return read;
    }
    if (n > 0) {
      read.bytes.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (!waitForMore(fd, error, deadline, read)) return read;
  }
}

StreamRead readFrame(int fd, scenario::LengthField field, std::size_t offset, std::size_t limit,
                     Deadline deadline) {
  StreamRead read;
  const std::size_t header = offset + static_cast<std::size_t>(field.width);
  if (header > limit) {
    read.end = StreamRead::End::Limit;
    read.frameBytes = header;
    return read;
  }
  if (!appendExactly(fd, header, deadline, read)) return read;
  std::uint64_t length = 0;
  for (int i = 0; i < field.width; ++i) {
    const int index = field.bigEndian ? i : field.width - 1 - i;
    length = (length << 8) | static_cast<unsigned char>(read.bytes[offset + static_cast<std::size_t>(index)]);
  }
  if (length > limit - header) {
    read.end = StreamRead::End::Limit;
    read.frameBytes = header + length;
    return read;
  }
  appendExactly(fd, static_cast<std::size_t>(length), deadline, read);
  return read;
}

}  // namespace sockspec::runner
