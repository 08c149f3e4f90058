#include "client_actions.h"

#include <algorithm>

namespace sockspec::fuzz {

namespace {

// Reads the input front to back; past the end every read gives nothing.
class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::uint8_t> input) : m_rest(input) {}
  bool empty() const { return m_rest.empty(); }
  std::uint8_t byte() {
    if (m_rest.empty()) return 0;
    std::uint8_t value = m_rest.front();
    m_rest = m_rest.subspan(1);
    return value;
  }
  std::size_t u16() {
    std::size_t high = byte();
    return (high << 8) | byte();
  }
  std::span<const std::uint8_t> take(std::size_t count) {
    count = std::min(count, m_rest.size());
    auto taken = m_rest.first(count);
    m_rest = m_rest.subspan(count);
    return taken;
  }

 private:
  std::span<const std::uint8_t> m_rest;
};

}  // namespace

StreamInput decodeStreamInput(std::span<const std::uint8_t> input) {
  ByteCursor cursor(input);
  StreamInput decoded;
  std::uint8_t setup = cursor.byte();
  decoded.family = (setup & 1u) != 0 ? StreamFamily::Unix : StreamFamily::Tcp;
  decoded.service = ((setup >> 1) & 3u) == 3 ? StreamService::Echo : StreamService::Framed;
  decoded.smallServerSendBuffer = (setup & 8u) != 0;
  std::size_t repeatBudget = kMaxRepeatedBytes;
  while (!cursor.empty() && decoded.actions.size() < kMaxActions) {
    auto opcode = static_cast<std::uint8_t>(cursor.byte() % 8);
    StreamAction action;
    if (opcode < 3) {
      action.kind = StreamActionKind::Write;
      action.bytes = cursor.take(cursor.u16());
    } else if (opcode == 3) {
      action.kind = StreamActionKind::WriteRepeated;
      std::size_t length = cursor.u16();
      std::size_t times = std::size_t{cursor.byte()} + 1;
      action.bytes = cursor.take(length);
      // The first copy is an ordinary write; the budget pays for the copies after it.
      std::size_t affordable = action.bytes.empty() ? 0 : repeatBudget / action.bytes.size();
      action.times = 1 + std::min(times - 1, affordable);
      repeatBudget -= action.bytes.size() * (action.times - 1);
    } else {
      action.kind = static_cast<StreamActionKind>(opcode);
    }
    decoded.actions.push_back(action);
  }
  return decoded;
}

DatagramInput decodeDatagramInput(std::span<const std::uint8_t> input) {
  ByteCursor cursor(input);
  DatagramInput decoded;
  decoded.service = static_cast<DatagramService>(cursor.byte() % kDatagramServiceCount);
  while (!cursor.empty() && decoded.actions.size() < kMaxActions) {
    auto opcode = static_cast<std::uint8_t>(cursor.byte() % 4);
    DatagramAction action;
    if (opcode < 2) {
      action.kind = DatagramActionKind::Send;
      action.size = std::min(cursor.u16(), kMaxDatagramSize);
      action.content = cursor.take(cursor.byte());
    } else {
      action.kind = static_cast<DatagramActionKind>(opcode);
    }
    decoded.actions.push_back(action);
  }
  return decoded;
}

void expandDatagram(const DatagramAction& action, std::vector<std::uint8_t>& out) {
  out.assign(action.size, 0);
  if (action.content.empty() || action.size == 0) return;
  // Copy the content once, then double what is there: a few memcpy calls instead of a loop per byte.
  std::size_t filled = std::min(action.content.size(), action.size);
  std::copy_n(action.content.begin(), filled, out.begin());
  while (filled < action.size) {
    std::size_t more = std::min(filled, action.size - filled);
    std::copy_n(out.begin(), more, out.begin() + static_cast<std::ptrdiff_t>(filled));
    filled += more;
  }
}

ActionWriter& ActionWriter::streamSetup(StreamFamily family, StreamService service, bool smallServerSendBuffer) {
  std::uint8_t setup = (family == StreamFamily::Unix ? 1u : 0u) | (service == StreamService::Echo ? 6u : 0u) |
                       (smallServerSendBuffer ? 8u : 0u);
  m_bytes.push_back(setup);
  return *this;
}

ActionWriter& ActionWriter::datagramSetup(DatagramService service) {
  m_bytes.push_back(static_cast<std::uint8_t>(service));
  return *this;
}

ActionWriter& ActionWriter::write(std::span<const std::uint8_t> bytes) {
  m_bytes.push_back(static_cast<std::uint8_t>(StreamActionKind::Write));
  appendLength(bytes.size());
  m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
  return *this;
}

ActionWriter& ActionWriter::writeRepeated(std::span<const std::uint8_t> bytes, std::size_t times) {
  m_bytes.push_back(static_cast<std::uint8_t>(StreamActionKind::WriteRepeated));
  appendLength(bytes.size());
  m_bytes.push_back(static_cast<std::uint8_t>(times - 1));
  m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
  return *this;
}

ActionWriter& ActionWriter::send(std::size_t size, std::span<const std::uint8_t> content) {
  m_bytes.push_back(static_cast<std::uint8_t>(DatagramActionKind::Send));
  appendLength(size);
  content = content.first(std::min<std::size_t>(content.size(), 255));
  m_bytes.push_back(static_cast<std::uint8_t>(content.size()));
  m_bytes.insert(m_bytes.end(), content.begin(), content.end());
  return *this;
}

ActionWriter& ActionWriter::op(std::uint8_t opcode) {
  m_bytes.push_back(opcode);
  return *this;
}

void ActionWriter::appendLength(std::size_t length) {
  m_bytes.push_back(static_cast<std::uint8_t>((length >> 8) & 0xffu));
  m_bytes.push_back(static_cast<std::uint8_t>(length & 0xffu));
}

}  // namespace sockspec::fuzz
