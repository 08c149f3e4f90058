#!/usr/bin/env python3
"""Writes the hand-built seeds of the pcap_reader fuzz target into corpus/pcap_reader/ (docs/fuzzing.md).

Each seed is a whole capture file (pcap or pcapng) or, after a 0x00 byte, one frame for the dissector alone
(the fuzz target's two modes). The formats follow tests/support/pcap_builder.h and
https://www.tcpdump.org/linktypes.html; pcapng per draft-ietf-opsawg-pcapng. Every file is a few hundred
bytes.

With --real DIR it also copies the captures named in REAL_CAPTURES from DIR (the output of
`sockspec run --capture DIR`, run as root) as real-*.pcap, trimmed as `editcap -s 256` and a 4 KB cap would:
each frame cut to 256 captured bytes (the wire length kept), whole records only.
Usage: python3 fuzz/make_pcap_seeds.py [--real CAPTURE-DIR]   (standard library only; exit 2 on bad usage)
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "corpus", "pcap_reader")

LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_LOOP, LINK_SLL, LINK_SLL2 = 0, 1, 101, 108, 113, 276
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(sport, dport, flags, seq, ack, payload=b"", window=65535, options=b""):
    offset = (20 + len(options)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, offset << 4, flags, window, 0, 0) + options + payload


def udp(sport, dport, payload=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(src, dst, proto, transport, frag=0):
    return struct.pack(">BBHIBBH4s4s", 0x45, 0, 20 + len(transport), frag, 64, proto, 0,
                       bytes(src), bytes(dst)) + transport


def ipv6(src_last, dst_last, proto, transport, ext=False):
    extension, first = b"", proto
    if ext:  # hop-by-hop (8 bytes) then destination options (16 bytes), both PadN
        first = 0
        extension = bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([proto, 1, 1, 12] + [0] * 12)
    return (struct.pack(">IHBB", 0x60000000, len(extension) + len(transport), first, 64) +
            bytes(15) + bytes([src_last]) + bytes(15) + bytes([dst_last]) + extension + transport)


def ethernet(ip, v6=False, vlan_tags=0):
    tags = b""
    for i in range(vlan_tags):
        tags += struct.pack(">HH", 0x88a8 if i == 0 and vlan_tags > 1 else 0x8100, 100)
    return b"\x02" * 12 + tags + struct.pack(">H", 0x86dd if v6 else 0x0800) + ip


def sll(ip, v6=False):
    return bytes(14) + struct.pack(">H", 0x86dd if v6 else 0x0800) + ip


def sll2(ip, v6=False):
    return struct.pack(">H", 0x86dd if v6 else 0x0800) + bytes(18) + ip


def null(ip, v6=False, big_endian=False):
    family = 10 if v6 else 2  # AF_INET6 on Linux, AF_INET
    return struct.pack(">I" if big_endian else "<I", family) + ip


def pcap(link, frames, big_endian=False, nano=False, snaplen=65535, lengths=None):
    e = ">" if big_endian else "<"
    out = struct.pack(e + "IHHiIII", 0xa1b23c4d if nano else 0xa1b2c3d4, 2, 4, 0, 0, snaplen, link)
    for i, frame in enumerate(frames):
        caplen, wire = (len(frame), len(frame)) if lengths is None else lengths[i]
        out += struct.pack(e + "IIII", 1700000000 + i, 1000 * i, caplen, wire) + frame
    return out


def pcapng_block(block_type, body, e="<"):
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(e + "II", block_type, length) + body + struct.pack(e + "I", length)


def pcapng(interfaces, packets, big_endian=False):
    """interfaces: [(link, snaplen)]; packets: [(interface, frame)] as enhanced packet blocks."""
    e = ">" if big_endian else "<"
    out = pcapng_block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), e)
    for link, snaplen in interfaces:
        out += pcapng_block(1, struct.pack(e + "HHI", link, 0, snaplen), e)
    for i, (interface, frame) in enumerate(packets):
        ts = (1700000000 + i) * 1000000
        body = struct.pack(e + "IIIII", interface, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame
        out += pcapng_block(6, body, e)
    return out


A, B = [10, 0, 0, 1], [10, 0, 0, 2]


def conversation(v6=False, ext=False):
    """A TCP handshake, data both ways, an orderly close: the IP packets."""
    segments = [
        (0, tcp(40000, 7, SYN, 100, 0)), (1, tcp(7, 40000, SYN | ACK, 500, 101)),
        (0, tcp(40000, 7, ACK, 101, 501)), (0, tcp(40000, 7, PSH | ACK, 101, 501, b"hello")),
        (1, tcp(7, 40000, PSH | ACK, 501, 106, b"hello")), (0, tcp(40000, 7, FIN | ACK, 106, 506)),
        (1, tcp(7, 40000, FIN | ACK, 506, 107)), (0, tcp(40000, 7, ACK, 107, 507)),
    ]
    packets = []
    for direction, segment in segments:
        if v6:
            src, dst = (1, 2) if direction == 0 else (2, 1)
            packets.append(ipv6(src, dst, 6, segment, ext))
        else:
            src, dst = (A, B) if direction == 0 else (B, A)
            packets.append(ipv4(src, dst, 6, segment))
    return packets


def holes():
    """One direction with nine gaps, then segments landing inside holes: the flow table's hole bound."""
    packets = [ipv4(A, B, 6, tcp(40000, 7, SYN, 0, 0))]
    seq = 1
    for _ in range(9):
        packets.append(ipv4(A, B, 6, tcp(40000, 7, ACK, seq, 1, b"ab")))
        seq += 12  # 10 bytes never seen
    for start in range(5, 100, 12):
        packets.append(ipv4(A, B, 6, tcp(40000, 7, ACK, start, 1, b"x")))  # strictly inside a hole
    return packets


def seeds():
    v4 = conversation()
    v6 = conversation(v6=True, ext=True)
    udp4 = [ipv4(A, B, 17, udp(5000, 7, b"ping")), ipv4(B, A, 17, udp(7, 5000, b"ping"))]
    rst = [ipv4(A, B, 6, tcp(40001, 9, SYN, 1, 0)), ipv4(B, A, 6, tcp(9, 40001, RST | ACK, 0, 2))]
    yield "ethernet-tcp4.pcap", pcap(LINK_ETHERNET, [ethernet(p) for p in v4])
    yield "ethernet-tcp6-ext-nsec-be.pcap", pcap(LINK_ETHERNET, [ethernet(p, True) for p in v6], True, True)
    yield "ethernet-vlan-qinq.pcap", pcap(LINK_ETHERNET, [ethernet(v4[0], vlan_tags=1), ethernet(v4[1], vlan_tags=2)])
    yield "raw-ip-mixed.pcap", pcap(LINK_RAW, v4[:3] + v6[:3] + udp4)
    yield "sll-udp4.pcap", pcap(LINK_SLL, [sll(p) for p in udp4])
    yield "sll2-tcp6.pcap", pcap(LINK_SLL2, [sll2(p, True) for p in v6])
    yield "null-tcp4-rst.pcap", pcap(LINK_NULL, [null(p) for p in rst])
    yield "loop-tcp6.pcap", pcap(LINK_LOOP, [null(p, True, True) for p in v6[:4]], big_endian=True)
    yield "raw-holes.pcap", pcap(LINK_RAW, holes())
    yield "raw-fragment-icmp.pcap", pcap(LINK_RAW, [ipv4(A, B, 17, udp(1, 2, b"x"), frag=0x00b9),
                                                   ipv4(A, B, 1, b"\x08\x00\x00\x00\x00\x01\x00\x01")])
    yield "unsupported-link.pcap", pcap(147, [b"\x01\x02\x03"])
    # Lies: caplen beyond the snaplen, caplen beyond the wire length, a record cut short by the file's end,
    # and a snaplen of 4 GiB with a record claiming 2 GiB (libpcap must refuse, not allocate).
    yield "lie-caplen-over-snaplen.pcap", pcap(LINK_RAW, [v4[0] + bytes(64)], snaplen=40)
    yield "lie-caplen-over-wire.pcap", pcap(LINK_RAW, [v4[0]], lengths=[(len(v4[0]), 10)])
    yield "lie-truncated-record.pcap", pcap(LINK_RAW, [v4[0]])[:-7]
    yield "lie-huge-snaplen.pcap", pcap(LINK_RAW, [v4[0]], snaplen=0xFFFFFFFF, lengths=[(0x7FFFFFFF, 0x7FFFFFFF)])
    yield "snaplen-short-frames.pcap", pcap(LINK_ETHERNET, [ethernet(p)[:54] for p in v4],
                                            lengths=[(54, len(ethernet(p))) for p in v4])
    yield "pcapng-ethernet-tcp4.pcapng", pcapng([(LINK_ETHERNET, 262144)], [(0, ethernet(p)) for p in v4])
    yield "pcapng-two-interfaces-be.pcapng", pcapng([(LINK_RAW, 65535), (LINK_SLL, 65535)],
                                                    [(0, v4[0]), (1, sll(v4[1])), (0, v4[2])], big_endian=True)
    yield "pcapng-bad-interface.pcapng", pcapng([(LINK_RAW, 65535)], [(3, v4[0])])
    yield "pcapng-huge-block.pcapng", pcapng([(LINK_RAW, 0xFFFFFFFF)], []) + struct.pack("<II", 6, 0x7FFFFFF0)
    # DLT_DBUS (231) allows 128 MiB frames, so libpcap sizes its buffer (classic) or accepts a block (pcapng)
    # that large for a 100-byte file: the bound the .options file's -malloc_limit_mb=256 allows for.
    dbus_shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    yield "lie-dbus-link-128mib-block.pcapng", (dbus_shb + pcapng_block(1, struct.pack("<HHI", 231, 0, 0x08000000)) +
                                                struct.pack("<II", 6, 0x07F00000) + bytes(64))
    yield "lie-dbus-link-128mib-snaplen.pcap", (pcap(231, [], snaplen=0x08000000) +
                                                struct.pack("<IIII", 0, 0, 0x07F00000, 0x07F00000) + bytes(64))
    # Dissector mode: 0x00, then one frame.
    yield "frame-ethernet-tcp4.bin", b"\x00" + ethernet(v4[3])
    yield "frame-ethernet-vlan-tcp6-ext.bin", b"\x00" + ethernet(v6[3], True, vlan_tags=2)
    yield "frame-sll2-udp4.bin", b"\x00" + sll2(udp4[0])
    yield "frame-tcp-options.bin", b"\x00" + ipv4(A, B, 6, tcp(1, 2, SYN, 0, 0, options=b"\x02\x04\x05\xb4\x01\x01\x04\x02"))
    yield "frame-ipv4-options.bin", b"\x00" + bytes([0x46]) + ipv4(A, B, 17, udp(1, 2, b"y"))[1:20] + bytes(4) + udp(1, 2, b"y")


# Real captures of the default suite worth keeping: RST, FIN both ways, half-close, a queued connection reset
# by the listener's close, datagrams over IPv4 and IPv6, and bulk data (snaplen-trimmed).
REAL_CAPTURES = [
    "close.unread-data-rst.tcp4.pcap", "close.close-nothing-unread-fin.tcp6.pcap",
    "close.shutdown-wr-still-receives.tcp4.pcap", "close.listener-close-resets-queued.tcp6.pcap",
    "buffering.udp-truncates.udp4.pcap", "buffering.datagram-boundaries.udp6.pcap",
    "buffering.send-full-buffer.tcp4.pcap",
]
MAX_SEED_BYTES = 4096
TRIM_CAPLEN = 256


def trim_classic_pcap(data):
    """Cuts each record to TRIM_CAPLEN captured bytes and stops before MAX_SEED_BYTES; classic pcap only."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("not a classic pcap file")
    out, offset = bytearray(data[:24]), 24
    while offset + 16 <= len(data):
        sec, frac, caplen, wire = struct.unpack(e + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen][:TRIM_CAPLEN]
        record = struct.pack(e + "IIII", sec, frac, len(frame), wire) + frame
        if len(out) + len(record) > MAX_SEED_BYTES:
            break
        out += record
        offset += 16 + caplen
    return bytes(out)


def main(argv):
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--real"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    os.makedirs(OUT, exist_ok=True)
    count = 0
    for name, data in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        count += 1
    print(f"pcap_reader: {count} hand-built seeds in {OUT}")
    if len(argv) == 3:
        for name in REAL_CAPTURES:
            path = os.path.join(argv[2], name)
            try:
                with open(path, "rb") as f:
                    trimmed = trim_classic_pcap(f.read())
            except (OSError, ValueError) as error:
                print(f"make_pcap_seeds.py: {path}: {error}", file=sys.stderr)
                return 2
            with open(os.path.join(OUT, "real-" + name), "wb") as f:
                f.write(trimmed)
        print(f"pcap_reader: {len(REAL_CAPTURES)} real captures from {argv[2]}, trimmed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
