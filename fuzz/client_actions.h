// Client actions: how the reference-server fuzzers read one input as a bounded list of things a client does
// on a fresh connection (or a fresh datagram socket), and how the seed generator writes such inputs.
//
// A fixed byte layout rather than FuzzedDataProvider: seeds must be written by hand from real frames
// (fuzz/make_server_seeds.cpp), and with FuzzedDataProvider's integers taken from the end of the input a
// frame could not be laid out as it goes on the wire. Every byte string decodes to something: an opcode
// byte is read modulo the number of actions, a length larger than what is left takes what is left.
//
// Stream input (server_stream):
//   setup byte   bit 0: 0 tcp (127.0.0.1), 1 unix stream; bits 1-2: 0-2 framed, 3 echo; bit 3: the server's
//                side of the connection has a small send buffer (SO_SNDBUF 4 KiB, ServerConfig::sendBuffer),
//                so that a few KiB of replies fill it and the server has to queue them and wait for EPOLLOUT
//   actions      opcode byte % 8:
//                  0-2 write:    u16 big-endian length N, then N bytes sent as they are
//                  3   write repeated: u16 length N, u8 R, then N bytes sent R+1 times in a row (the
//                                  copies after the first, over all repeated writes of one input, at most
//                                  kMaxRepeatedBytes): enough to fill socket buffers, so that flow control
//                                  and replies queued in the server are reached from small inputs
//                  4   wait:     read until every reply owed so far has arrived
//                  5   shutdown: shutdown(SHUT_WR)
//                  6   abort:    SO_LINGER {1, 0} then close(): RST
//                  7   close:    plain close() (RST if replies are unread, FIN otherwise)
// Datagram input (server_datagram):
//   setup byte   % 5: 0 echo over udp, 1 echo over unix-dgram, 2 chargen over udp, 3 daytime over udp,
//                4 discard over udp
//   actions      opcode byte % 4:
//                  0-1 send:  u16 big-endian size S (at most 65507), u8 content length C, then C bytes; the
//                             datagram is the content repeated (or cut) to S bytes, zeros when C is 0
//                  2   wait:  read every reply owed so far
//                  3   close: close the socket with replies possibly unread
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sockspec::fuzz {

// At most this many actions per input: a long input is cut, never run without bound.
inline constexpr std::size_t kMaxActions = 64;
// The repeated writes of one input send at most this much beyond their first copies: more than a unix stream connection's
// buffers hold both ways (the default wmem of 208 KiB each way, unix(7)), yet little enough that an input
// costs well under a millisecond.
inline constexpr std::size_t kMaxRepeatedBytes = 256 * 1024;
// The largest UDP payload over IPv4 (65535 - 8 - 20), the bound on a datagram's size.
inline constexpr std::size_t kMaxDatagramSize = 65507;

enum class StreamFamily { Tcp, Unix };
enum class StreamService { Framed, Echo };

enum class StreamActionKind : std::uint8_t { Write = 0, WriteRepeated = 3, Wait = 4, ShutdownWrite = 5, Abort = 6, Close = 7 };

struct StreamAction {
  StreamActionKind kind = StreamActionKind::Wait;
  std::span<const std::uint8_t> bytes;  // Write, WriteRepeated: a view into the input
  std::size_t times = 1;                 // WriteRepeated: how often `bytes` is sent
};

struct StreamInput {
  StreamFamily family = StreamFamily::Tcp;
  StreamService service = StreamService::Framed;
  bool smallServerSendBuffer = false;
  std::vector<StreamAction> actions;  // at most kMaxActions
};

// Never fails: an empty input is a framed tcp connection with no actions.
StreamInput decodeStreamInput(std::span<const std::uint8_t> input);

enum class DatagramService { EchoUdp, EchoUnix, ChargenUdp, DaytimeUdp, DiscardUdp };
inline constexpr std::size_t kDatagramServiceCount = 5;

enum class DatagramActionKind : std::uint8_t { Send = 0, Wait = 2, Close = 3 };

struct DatagramAction {
  DatagramActionKind kind = DatagramActionKind::Wait;
  std::size_t size = 0;                   // Send: the datagram's size, <= kMaxDatagramSize
  std::span<const std::uint8_t> content;  // Send: repeated to `size` bytes
};

struct DatagramInput {
  DatagramService service = DatagramService::EchoUdp;
  std::vector<DatagramAction> actions;  // at most kMaxActions
};

DatagramInput decodeDatagramInput(std::span<const std::uint8_t> input);

// The datagram a Send action stands for: `content` repeated (and cut) to `size` bytes, zeros if empty.
void expandDatagram(const DatagramAction& action, std::vector<std::uint8_t>& out);

// Writing inputs in the layout above (the seed generator; tests of the decoder).
class ActionWriter {
 public:
  ActionWriter& streamSetup(StreamFamily family, StreamService service, bool smallServerSendBuffer = false);
  ActionWriter& datagramSetup(DatagramService service);
  ActionWriter& write(std::span<const std::uint8_t> bytes);  // stream; at most 65535 bytes
  ActionWriter& writeRepeated(std::span<const std::uint8_t> bytes, std::size_t times);  // times 1-256
  ActionWriter& send(std::size_t size, std::span<const std::uint8_t> content);  // datagram; content <= 255
  ActionWriter& op(std::uint8_t opcode);  // a bare opcode: wait, shutdown, abort, close
  const std::vector<std::uint8_t>& bytes() const { return m_bytes; }

 private:
  void appendLength(std::size_t length);
  std::vector<std::uint8_t> m_bytes;
};

}  // namespace sockspec::fuzz
