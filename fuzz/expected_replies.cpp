#include "expected_replies.h"

#include "base/append_bytes.h"

namespace sockspec::fuzz {

ExpectedReplies::ExpectedReplies(StreamService service, std::uint32_t maxPayload)
    : m_service(service), m_maxPayload(maxPayload), m_session(maxPayload) {}

void ExpectedReplies::restart(StreamService service) {
  m_service = service;
  m_session = proto::FramedSession(m_maxPayload);
  m_bytes.clear();
}

void ExpectedReplies::end() { m_session = proto::FramedSession(m_maxPayload); }

void ExpectedReplies::onSent(std::span<const std::uint8_t> bytes) {
  if (m_service == StreamService::Echo) {
    appendBytes(m_bytes, bytes);
    return;
  }
  (void)m_session.onBytes(bytes, m_bytes);
}

bool ExpectedReplies::serverCloses() const {
  return m_service == StreamService::Framed && m_session.state() == proto::SessionState::Closing;
}

}  // namespace sockspec::fuzz
