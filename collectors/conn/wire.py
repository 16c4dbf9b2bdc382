"""sock_diag on the wire: requests, the fields nettop decodes and where they sit, and the
shapes that let a whole dump be decoded with strided copies instead of Python per socket.

Field specs read name:byte offset:type:first kernel with the field, offsets into struct
tcp_info (include/uapi/linux/tcp.h) or the SK_MEMINFO u32 array (sock_diag.h); 2.6.12 means
there when git history starts. sizeof(struct tcp_info): 104, 120 (3.15), 136 (4.1), 144 (4.2),
160 (4.6), 168 (4.9), 192 (4.10), 200 (4.18), 224 (4.19), 232 (5.4), 240 (6.2), 248 (6.7),
280 (6.18). A field the kernel did not send (a shorter tcp_info, or no INET_DIAG_INFO at all as
for TIME_WAIT and request sockets) is None, never 0.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from typing import NamedTuple

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
TCPDIAG_GETSOCK = 18  # legacy request: one walk of the TCP tables for v4 and v6 (ss uses it too)
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
RTATTR = struct.Struct("=HH")
U32 = struct.Struct("=I")
NLA_TYPE_MASK = 0x3FFF
INET_DIAG_REQ_V2 = struct.Struct("=BBBBI48s")  # family, protocol, ext, pad, states, sockid
INET_DIAG_REQ = struct.Struct("=BBBB48sII")  # family, src_len, dst_len, ext, sockid, states, dbs
DIAG_MSG_END = NLMSGHDR.size + 72  # attributes follow nlmsghdr + inet_diag_msg
INET_DIAG_INFO, INET_DIAG_SKMEMINFO, INET_DIAG_REQ_BYTECODE = 2, 7, 1
MAX_DATAGRAM = 1 << 16  # dump replies are at most 32 KiB; recv room is kept at twice that

TCP_STATES = ("", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
              "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV")
TCP_ESTABLISHED, TCP_LISTEN = 1, 10
ALL_STATES = 0xFFFFFFFF
CONN_STATES = ALL_STATES & ~(1 << TCP_LISTEN)
BC_S_GE, BC_S_LE, BC_D_GE, BC_D_LE, BC_S_EQ, BC_D_EQ = 2, 3, 4, 5, 11, 12  # inet_diag_bc_op codes


class Field(NamedTuple):
    name: str
    attr: int  # 0: inet_diag_msg itself (offset from the message start)
    offset: int
    fmt: str  # B, I, Q, or A (16-byte address)
    since: str  # first kernel version with the field


def _fields(attr: int, spec: str) -> tuple[Field, ...]:
    return tuple(Field(n, attr, int(o), f, v) for n, o, f, v in (item.split(":") for item in spec.split()))


BASE_FIELDS = _fields(0, "family:16:B:- state:17:B:- ports:20:I:- src:24:A:- dst:40:A:- cookie:60:Q:- "
                         "rqueue:72:I:- wqueue:76:I:- uid:80:I:- inode:84:I:-")
TCP_INFO_FIELDS = _fields(INET_DIAG_INFO, """
    ca_state:1:B:2.6.12 snd_mss:16:I:2.6.12 unacked:24:I:2.6.12 lost:32:I:2.6.12
    retrans:36:I:2.6.12 rtt:68:I:2.6.12 rttvar:72:I:2.6.12 snd_ssthresh:76:I:2.6.12
    snd_cwnd:80:I:2.6.12 reordering:88:I:2.6.12 rcv_space:96:I:2.6.12 total_retrans:100:I:2.6.12
    pacing_rate:104:Q:3.15 bytes_acked:120:Q:4.1 bytes_received:128:Q:4.1 segs_out:136:I:4.2
    segs_in:140:I:4.2 notsent_bytes:144:I:4.6 min_rtt:148:I:4.6 data_segs_in:152:I:4.6
    data_segs_out:156:I:4.6 delivery_rate:160:Q:4.9 busy_time:168:Q:4.10 rwnd_limited:176:Q:4.10
    sndbuf_limited:184:Q:4.10 delivered:192:I:4.18 bytes_sent:200:Q:4.19 bytes_retrans:208:Q:4.19
    snd_wnd:228:I:5.4 rcv_wnd:232:I:6.2""")
SKMEM_FIELDS = _fields(INET_DIAG_SKMEMINFO, """
    rmem_alloc:0:I:3.x rcvbuf:4:I:3.x wmem_alloc:8:I:3.x sndbuf:12:I:3.x wmem_queued:20:I:3.x
    drops:32:I:4.x""")
SIZES = {"B": 1, "I": 4, "Q": 8, "A": 16}


class Shape:
    """A message shape: header words to check, and where each output column's bytes sit.

    `expected` holds the nlmsg length, type|flags and every attribute's length|type.
    A column is None (not sent) or (fmt, byte offset); `words` lists the u32 words the
    columns span, in column order (a B column takes the word it sits in).
    """

    def __init__(self, length: int, hdr_words: Sequence[int], expected: Sequence[int],
                 columns: Sequence[tuple[str, int] | None]) -> None:
        self.length, self.stride = length, length >> 2
        self.hdr_words, self.expected, self.columns = tuple(hdr_words), tuple(expected), tuple(columns)
        self.words = tuple((c[1] >> 2) + j for c in self.columns if c for j in range(max(1, SIZES[c[0]] >> 2)))
        self._patterns: dict[int, bytes] = {}

    def pattern(self, k: int) -> bytes:
        """The header words of k consecutive records, gathered word by word."""
        pat = self._patterns.get(k)
        if pat is None:
            pat = self._patterns[k] = b"".join(U32.pack(v) * k for v in self.expected)
        return pat


def compile_shape(buf: memoryview, off: int, length: int, fields: Sequence[Field]) -> Shape | None:
    """Shape of the message at buf[off:off+length]; None if it is malformed."""
    if length % 4 or length < DIAG_MSG_END:
        return None
    hdr, expected = [0, 1], [length, U32.unpack_from(buf, off + 4)[0]]
    where = {f.name: f.offset for f in fields if f.attr == 0}
    pos = DIAG_MSG_END
    while pos + 4 <= length:
        alen, atype = RTATTR.unpack_from(buf, off + pos)
        if alen < 4 or pos + alen > length:
            return None
        hdr.append(pos >> 2)
        expected.append(alen | atype << 16)
        for f in fields:
            if f.attr == atype & NLA_TYPE_MASK and f.offset + SIZES[f.fmt] <= alen - 4:
                where.setdefault(f.name, pos + 4 + f.offset)  # a field past a short struct stays None
        pos += (alen + 3) & ~3
    return Shape(length, hdr, expected, [(f.fmt, where[f.name]) if f.name in where else None for f in fields])


class Addresses:
    """16-byte addresses packed in one bytes object (an IPv4 address is the first 4)."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __len__(self) -> int:
        return len(self.blob) >> 4

    def __getitem__(self, i: int) -> bytes:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return self.blob[i << 4:(i + 1) << 4]


def format_endpoint(family: int, addr: bytes, port: int) -> str:
    if family == socket.AF_INET6:
        return f"[{socket.inet_ntop(socket.AF_INET6, addr)}]:{port}"
    return f"{socket.inet_ntop(socket.AF_INET, addr[:4])}:{port}"



def bytecode_port(code: int, port: int) -> bytes:
    """An INET_DIAG_REQ_BYTECODE program of one port condition (BC_S_GE ... BC_D_EQ)."""
    return struct.pack("=BBHBBH", code, 8, 12, 0, 0, port)  # "no" jumps past the end: reject


def diag_request(family: int, protocol: int, ext: int, states: int, bytecode: bytes = b"") -> bytes:
    return _with_bytecode(INET_DIAG_REQ_V2.pack(family, protocol, ext, 0, states, bytes(48)), bytecode)


def compat_request(ext: int, states: int, bytecode: bytes = b"") -> bytes:
    """TCPDIAG_GETSOCK payload: the kernel walks its TCP hash tables once for v4 and v6
    (AF_UNSPEC), where SOCK_DIAG_BY_FAMILY needs one full walk per family."""
    return _with_bytecode(INET_DIAG_REQ.pack(0, 0, 0, ext, bytes(48), states, 0), bytecode)


def _with_bytecode(req: bytes, bytecode: bytes) -> bytes:
    if bytecode:
        req += RTATTR.pack(4 + len(bytecode), INET_DIAG_REQ_BYTECODE) + bytecode
    return req


