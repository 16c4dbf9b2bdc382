"""Raw netlink dumps: one socket per protocol and namespace, one reused buffer.

pyroute2 decodes whole messages for the cold path (nlinfo.py), but its 0.9
sockets are per thread and tied to an asyncio transport, and its full decoding
costs ~0.2 ms a link. The hot path therefore sends dump requests on a plain
AF_NETLINK socket and decodes the few fields it needs with `struct` (nlstats.py).
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator

NETLINK_ROUTE = 0
NETLINK_SOCK_DIAG = 4

NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3

RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWQDISC, RTM_GETQDISC = 36, 38
RTM_NEWTCLASS, RTM_GETTCLASS = 40, 42
RTM_NEWSTATS, RTM_GETSTATS = 92, 94
SOCK_DIAG_BY_FAMILY = 20

NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
RTATTR = struct.Struct("=HH")  # len, type
ERRNO = struct.Struct("=i")
NLA_TYPE_MASK = 0x3FFF  # strips NLA_F_NESTED and NLA_F_NET_BYTEORDER

Message = tuple[int, bytes]  # (nlmsg_type, whole message including its nlmsghdr)


def open_socket(protocol: int, rcvbuf: int = 1 << 20) -> socket.socket:
    """A netlink socket in the calling thread's network namespace."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind((0, 0))
    except OSError:
        sock.close()
        raise
    return sock


class Dumper:
    """Sends dump requests on one socket and collects the replies.

    Every reply is read to NLMSG_DONE (an abandoned dump makes the next request
    fail with EBUSY) and replies of an older sequence number are skipped.
    """

    def __init__(self, sock: socket.socket, bufsize: int = 1 << 16) -> None:
        self.sock = sock
        self._buf = bytearray(bufsize)
        self._seq = 0

    def dump(self, msg_type: int, payload: bytes) -> list[Message]:
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        seq = self._seq
        header = NLMSGHDR.pack(NLMSGHDR.size + len(payload), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
        self.sock.send(header + payload)
        out: list[Message] = []
        buf = self._buf
        while True:
            n = self.sock.recv_into(buf)
            if n == 0:
                raise OSError("netlink socket closed")
            off = 0
            while off + NLMSGHDR.size <= n:
                length, mtype, _flags, mseq, _pid = NLMSGHDR.unpack_from(buf, off)
                if length < NLMSGHDR.size:
                    raise OSError(f"netlink: bad message length {length}")
                if mseq == seq:
                    if mtype == NLMSG_DONE:
                        return out
                    if mtype == NLMSG_ERROR:
                        err = ERRNO.unpack_from(buf, off + NLMSGHDR.size)[0]
                        if err:
                            raise OSError(-err, os.strerror(-err))
                        return out
                    out.append((mtype, bytes(buf[off:off + length])))
                off += (length + 3) & ~3

    def close(self) -> None:
        self.sock.close()


def iter_attrs(buf: bytes, off: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(type, payload start, payload end) of each attribute in buf[off:end]."""
    while off + 4 <= end:
        length, atype = RTATTR.unpack_from(buf, off)
        if length < 4 or off + length > end:
            return
        yield atype & NLA_TYPE_MASK, off + 4, off + length
        off += (length + 3) & ~3


def attr_string(buf: bytes, start: int, end: int) -> str:
    return buf[start:end].split(b"\0", 1)[0].decode("utf-8", "backslashreplace")
