// ExpectedReplies: what a stream service owes a client for the bytes the client has sent so far. Echo owes
// the bytes themselves (RFC 862). Framed owes what a FramedSession fed the same bytes in one piece answers:
// the protocol promises the replies depend only on the bytes, never on how the kernel split them
// (docs/framed-protocol.md), so the server, which sees them in whatever reads the kernel gives, must
// produce exactly these bytes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "client_actions.h"
#include "proto/framed_session.h"

namespace sockspec::fuzz {

class ExpectedReplies {
 public:
  ExpectedReplies(StreamService service, std::uint32_t maxPayload);

  // Starts over for a new connection, keeping the buffer's capacity: the fuzzer reuses one object so
  // that replies of MiBs are not allocated and freed (and page-faulted in) on every input.
  void restart(StreamService service);
  // Frees what the session model holds (a partial frame) at the end of an input, so that the input frees
  // what it allocated: libFuzzer runs an input again, and then a full leak check, whenever it leaves more
  // mallocs than frees (-detect_leaks), and a partial frame kept until the next input did so for 1 input
  // in 14. The reply buffer keeps its capacity (restart()).
  void end();
  void onSent(std::span<const std::uint8_t> bytes);
  const std::vector<std::uint8_t>& bytes() const { return m_bytes; }
  // Framed after BYE or an ERROR: the server owes nothing more and must close in order (FIN).
  bool serverCloses() const;

 private:
  StreamService m_service;
  std::uint32_t m_maxPayload;
  proto::FramedSession m_session;
  std::vector<std::uint8_t> m_bytes;
};

}  // namespace sockspec::fuzz
