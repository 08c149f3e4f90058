#include "blackbox/reply_feedback.h"

#include <algorithm>
#include <bit>
#include <string_view>

#include "blackbox/conversation.h"
#include "proto/framed_codec.h"

namespace sockspec::blackbox {

namespace {

// FNV-1a, 64-bit: feature values to counter indices. Each feature kind has its own tag so that equal
// values of different kinds land apart.
std::uint64_t mix(std::uint64_t hash, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (value >> (8 * i)) & 0xffu;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

class FeatureSink {
 public:
  explicit FeatureSink(std::span<std::uint8_t> counters) : m_counters(counters) {}
  void add(std::uint64_t kind, std::uint64_t value) {
    if (m_counters.empty()) return;
    auto index = mix(mix(0xcbf29ce484222325ull, kind), value) % m_counters.size();
    auto& counter = m_counters[static_cast<std::size_t>(index)];
    if (counter != 0xff) ++counter;  // libFuzzer buckets hit counts too: 1, 2, 3, 4-7, 8-15, ...
  }

 private:
  std::span<std::uint8_t> m_counters;
};

enum FeatureKind : std::uint64_t {
  kEnd = 1,
  kReplyLength,
  kReplyStart,
  kEchoMatch,
  kFrameType,
  kFrameSequence,
  kSentAll,
  kMessageReply,
  kMessageSequence,
  kMessageCount,
  kMessageLatency,
};

// The first up to 4 bytes of `reply` as a number, with their count: what distinguishes "+OK", "-ERR", "$5".
std::uint64_t replyStart(std::string_view reply) {
  std::uint64_t start = 0;
  for (std::size_t i = 0; i < 4 && i < reply.size(); ++i) start = (start << 8) | static_cast<std::uint8_t>(reply[i]);
  return mix(start, std::min<std::size_t>(reply.size(), 4));
}

// A 6-bit class of a reply's first bytes, or kReflects when they are the first bytes of the message it
// answers: an echo, or an error quoting the request back, says nothing new however the message was mutated
// (against an echo server, classing the echoed bytes made every mutation of a message's start a "new"
// reply: 1,355 corpus entries in 12,700 inputs).
constexpr std::uint64_t kReflects = 64;
std::uint64_t replyClass(std::string_view message, std::string_view reply) {
  std::size_t compared = std::min<std::size_t>({message.size(), reply.size(), 4});
  if (compared != 0 && message.substr(0, compared) == reply.substr(0, compared)) return kReflects;
  return replyStart(reply) % 64;
}

// Kept few, so that the corpus grows with what the server does differently, not with every count of
// "-ERR unknown command" lines or every echoed byte: per message (the first 4), how its reply ended and the
// class of its first bytes; the sequence of those; and the slowest first byte's latency class (log2 of ms),
// alone.
void recordConversationFeatures(net::Bytes input, const ExchangeResult& result, FeatureSink& sink) {
  sink.add(kMessageCount, std::min<std::size_t>(result.messages.size(), 4));
  auto sent = splitConversation(input);
  std::uint64_t sequence = 0xcbf29ce484222325ull;
  std::uint64_t slowest = 0;
  for (std::size_t i = 0; i < result.messages.size(); ++i) {
    const MessageReply& message = result.messages[i];
    if (message.firstByte) {
      slowest = std::max<std::uint64_t>(
          slowest, static_cast<std::uint64_t>(std::bit_width(static_cast<std::uint64_t>(message.firstByte->count() / 1024))));
    }
    if (i >= 4) continue;
    std::string_view reply = std::string_view(result.reply).substr(std::min(message.replyOffset, result.reply.size()));
    reply = reply.substr(0, message.replyBytes);
    std::string_view request = i < sent.size() ? net::asText(sent[i]) : std::string_view();
    std::uint64_t shape = mix(static_cast<std::uint64_t>(message.end), replyClass(request, reply));
    sink.add(kMessageReply, mix(shape, i));
    sequence = mix(sequence, shape);
    sink.add(kMessageSequence, sequence);
  }
  sink.add(kMessageLatency, slowest);
}

void recordFramedFeatures(std::string_view reply, FeatureSink& sink) {
  auto bytes = net::asBytes(reply);
  std::uint64_t sequence = 0xcbf29ce484222325ull;
  for (int frames = 0; !bytes.empty() && frames < 64; ++frames) {
    // The view, not a copy: this runs on every reply of every input, and echo payloads run to MiBs.
    auto decoded = proto::decodeFrameView(bytes, 16u << 20);
    if (decoded.status != proto::DecodeStatus::Complete) {
      sink.add(kFrameType, 0x100u + static_cast<unsigned>(decoded.status));  // a torn or malformed reply
      break;
    }
    const proto::FrameView& frame = decoded.view;
    std::uint64_t type = static_cast<std::uint8_t>(frame.type);
    proto::ErrorInfo error;
    if (frame.type == proto::FrameType::Error &&
        proto::readError(proto::Frame{frame.type, {frame.payload.begin(), frame.payload.end()}}, error)) {
      type |= static_cast<std::uint64_t>(error.code) << 8;
    }
    sink.add(kFrameType, type);
    if (frames < 8) {
      sequence = mix(sequence, type);
      sink.add(kFrameSequence, sequence);
    }
    bytes = bytes.subspan(decoded.consumed);
  }
}

}  // namespace

void recordReplyFeatures(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result,
                         std::span<std::uint8_t> counters) {
  FeatureSink sink(counters);
  sink.add(kEnd, static_cast<std::uint64_t>(result.end));
  sink.add(kSentAll, result.bytesSent == input.size() ? 1 : 0);
  sink.add(kReplyLength, static_cast<std::uint64_t>(std::bit_width(result.replyBytes)));
  if (protocol.any()) {
    // The class of each message's reply instead of the whole reply's first bytes (above).
    recordConversationFeatures(input, result, sink);
    return;
  }
  // A small hash (64 classes): enough to tell replies apart, too few to fill the corpus with inputs that
  // differ only in their first bytes.
  sink.add(kReplyStart, replyStart(result.reply) % 64);
  if (protocol.kind == FuzzProtocolKind::Echo) {
    std::string_view sent = net::asText(input);
    std::string_view reply = result.reply;
    std::uint64_t match = reply == sent ? 0 : (sent.substr(0, reply.size()) == reply ? 1 : 2);
    sink.add(kEchoMatch, match);
  } else {
    recordFramedFeatures(result.reply, sink);
  }
}

}  // namespace sockspec::blackbox
