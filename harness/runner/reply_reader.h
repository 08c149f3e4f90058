// Reads a reply off a byte stream the way protocols delimit them: a line, up to a delimiter, exactly N bytes,
// to EOF, or one length-prefixed frame (the read verbs, docs/scenario-language.md). Each read takes no byte
// beyond what it returns, so a later step reads the rest: it peeks (MSG_PEEK), consumes only what belongs
// to the reply, and waits with poll(2) for more, bounded by a byte limit and the step's deadline. Every
// call is MSG_DONTWAIT, so a blocking socket behaves alike and nothing spins or blocks past the deadline.
#pragma once

#include <cstddef>
#include <string>

#include "base/deadline.h"
#include "scenario/symbols.h"

namespace sockspec::runner {

struct StreamRead {
  enum class End {
    Complete,  // the reply as asked (read-eof: EOF came within the limit)
    Eof,       // the peer ended the stream first (with `bytes` read so far, possibly none)
    Limit,     // the limit was reached without the end (`bytes` holds the limit's worth)
    Deadline,  // nothing more arrived before the deadline
    Error,     // recv(2) or poll(2) failed with `error`
  };
  End end = End::Complete;
  std::string bytes;           // what was read, and consumed: the reply, or what came of it
  int error = 0;               // End::Error: the errno
  std::size_t frameBytes = 0;  // readFrame, End::Limit: the frame's size by its length field
};

// Up to and including the first `delimiter` (not empty), at most `limit` bytes in all.
StreamRead readUntilDelimiter(int fd, std::string_view delimiter, std::size_t limit, Deadline deadline);
// Exactly `count` bytes.
StreamRead readExactly(int fd, std::size_t count, Deadline deadline);
// Everything until EOF, at most `limit` bytes; one byte more before EOF is End::Limit (and is not consumed).
StreamRead readToEof(int fd, std::size_t limit, Deadline deadline);
// `offset` bytes, a `field` length, then that many bytes: End::Limit, without reading the payload, when the
// whole frame would be more than `limit` bytes.
StreamRead readFrame(int fd, scenario::LengthField field, std::size_t offset, std::size_t limit,
                     Deadline deadline);

}  // namespace sockspec::runner
