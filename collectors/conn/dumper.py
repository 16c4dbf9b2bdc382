"""Every TCP connection with its tcp_info, and every UDP socket with its drops, via sock_diag.

Decoding is the hot path (10k+ sockets a second), so no Python code runs per socket and no
object is made per field: each distinct message shape (length + attribute sequence) is
compiled once into the u32 word and byte offsets of the wanted fields (wire.py). The kernel
packs dump replies back to back, so a run of k same-shape messages is a 2-D table with a fixed
stride, and a strided slice of the buffer's u32 view copies one field of all k rows in one C
call; the same trick checks every row's attribute headers against the shape's (a row that
differs goes to the slow path, which compiles its shape). Columns come out as arrays; ints
are made only when a column is read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..netlink import open_socket
from .wire import (
    ALL_STATES,
    BASE_FIELDS,
    CONN_STATES,
    INET_DIAG_INFO,
    INET_DIAG_SKMEMINFO,
    MAX_DATAGRAM,
    NETLINK_SOCK_DIAG,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLMSGHDR,
    SIZES,
    SKMEM_FIELDS,
    SOCK_DIAG_BY_FAMILY,
    TCP_INFO_FIELDS,
    TCP_STATES,
    TCPDIAG_GETSOCK,
    U32,
    Addresses,
    Field,
    Shape,
    compat_request,
    compile_shape,
    diag_request,
    format_endpoint,
)

Column = Sequence[int | None]


@dataclass
class SockTable:
    """A dump as columns of equal length (order: by shape, then kernel order)."""

    family: Sequence[int]
    state: Sequence[int]
    src: Addresses
    sport: Sequence[int]
    dst: Addresses
    dport: Sequence[int]
    cookie: Sequence[int]  # stable per socket: the key to match samples
    rqueue: Sequence[int]
    wqueue: Sequence[int]
    uid: Sequence[int]
    inode: Sequence[int]
    stats: dict[str, Column]  # tcp_info and SK_MEMINFO fields by name

    def __len__(self) -> int:
        return len(self.state)

    def local(self, i: int) -> str:
        return format_endpoint(self.family[i], self.src[i], self.sport[i])

    def remote(self, i: int) -> str:
        return format_endpoint(self.family[i], self.dst[i], self.dport[i])

    def row(self, i: int) -> dict[str, object]:
        out: dict[str, object] = {
            "family": self.family[i], "state": TCP_STATES[self.state[i]], "local": self.local(i),
            "remote": self.remote(i), "cookie": self.cookie[i], "rqueue": self.rqueue[i],
            "wqueue": self.wqueue[i], "uid": self.uid[i], "inode": self.inode[i]}
        out.update((name, col[i]) for name, col in self.stats.items())
        return out


class _Group:
    """One shape's rows as gathered: per word of Shape.words, one array per run."""

    def __init__(self, shape: Shape) -> None:
        self.shape, self.rows = shape, 0
        self.words: list[list[array[int]]] = [[] for _ in shape.words]

    def columns(self) -> list[array[int] | bytes | None]:
        out: list[array[int] | bytes | None] = []
        wi = 0
        for col in self.shape.columns:
            if col is None:
                out.append(None)
                continue
            fmt, off = col
            width = max(1, SIZES[fmt] >> 2)
            data = _interleave([array("I", b"".join(w)) for w in self.words[wi:wi + width]])
            wi += width
            if fmt == "B":
                out.append(array("B", data.tobytes()[off & 3::4]))
            else:
                out.append(data.tobytes() if fmt == "A" else array(fmt, data.tobytes()))
        return out


def _interleave(parts: list[array[int]]) -> array[int]:
    """Word columns back to rows of len(parts) words: the field's bytes in memory order."""
    if len(parts) == 1:
        return parts[0]
    out = array("I", bytes(4 * len(parts) * len(parts[0])))
    for j, part in enumerate(parts):
        out[j::len(parts)] = part
    return out


def _build_table(groups: Sequence[_Group], fields: Sequence[Field]) -> SockTable:
    """Columns of every shape concatenated; BASE_FIELDS come first and are always there."""
    counts = [g.rows for g in groups]
    by_field = list(zip(*[g.columns() for g in groups], strict=False)) or [()] * len(fields)

    def ints(i: int) -> array[int]:
        out = array(fields[i].fmt)
        for part in by_field[i]:
            if isinstance(part, array):
                out.extend(part)
        return out

    def column(i: int) -> array[int] | list[int | None]:
        if all(isinstance(p, array) for p in by_field[i]):
            return ints(i)
        col: list[int | None] = []
        for part, n in zip(by_field[i], counts, strict=False):
            col.extend(part if isinstance(part, array) else [None] * n)
        return col

    def addresses(i: int) -> Addresses:
        return Addresses(b"".join(p for p in by_field[i] if isinstance(p, bytes)))

    ports = array("H", ints(2).tobytes())  # sport and dport, big-endian, in one word
    if sys.byteorder == "little":
        ports.byteswap()
    return SockTable(ints(0), ints(1), addresses(3), ports[0::2], addresses(4), ports[1::2], ints(5),
                     ints(6), ints(7), ints(8), ints(9),
                     {f.name: column(i) for i, f in enumerate(fields) if i >= len(BASE_FIELDS)})


class ConnDumper:
    """Dumps the TCP and UDP sockets of one network namespace. One per thread."""

    def __init__(self, bufsize: int = 1 << 18) -> None:
        self.sock = open_socket(NETLINK_SOCK_DIAG)  # the calling thread's namespace
        self._words = array("I", bytes(bufsize))  # u32 view: strided slices of it are fast
        self._view = memoryview(self._words).cast("B")
        self._seq = self._pending = 0  # _pending: a dump not yet read to its end
        self._shapes: dict[tuple[str, int], list[Shape]] = {}  # (kind, length) -> shapes seen
        self.compat = True  # TCPDIAG_GETSOCK accepted so far

    def __enter__(self) -> ConnDumper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._view.release()
        self.sock.close()

    def tcp(self, states: int = CONN_STATES, bytecode: bytes = b"", skmem: bool = True,
            families: Sequence[int] | None = None, info: frozenset[str] | None = None) -> SockTable:
        """TCP sockets (default: all states but LISTEN) with tcp_info and, if skmem, SK_MEMINFO.

        families None: v4 and v6 in one kernel walk; else one SOCK_DIAG_BY_FAMILY dump each.
        info: the tcp_info fields to decode (default all): each one costs a strided copy."""
        wanted = tuple(f for f in TCP_INFO_FIELDS if info is None or f.name in info)
        fields = BASE_FIELDS + wanted + (SKMEM_FIELDS if skmem else ())
        ext = 1 << (INET_DIAG_INFO - 1) | (1 << (INET_DIAG_SKMEMINFO - 1) if skmem else 0)
        kind = ("tcp+skmem" if skmem else "tcp") + ("" if info is None else ":" + ",".join(f.name for f in wanted))
        if families is None and self.compat:
            try:
                return self._table(kind, [(TCPDIAG_GETSOCK, compat_request(ext, states, bytecode))], fields)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOENT, errno.EOPNOTSUPP):
                    raise
                self.compat = False
        reqs = [(SOCK_DIAG_BY_FAMILY, diag_request(f, socket.IPPROTO_TCP, ext, states, bytecode))
                for f in families or (socket.AF_INET, socket.AF_INET6)]
        return self._table(kind, reqs, fields)

    def udp(self, bytecode: bytes = b"", families: Sequence[int] = (socket.AF_INET, socket.AF_INET6)) -> SockTable:
        """UDP sockets with SK_MEMINFO (drops, rmem_alloc, rcvbuf ...)."""
        ext = 1 << (INET_DIAG_SKMEMINFO - 1)
        reqs = [(SOCK_DIAG_BY_FAMILY, diag_request(f, socket.IPPROTO_UDP, ext, ALL_STATES, bytecode))
                for f in families]
        return self._table("udp", reqs, BASE_FIELDS + SKMEM_FIELDS)

    def _table(self, kind: str, requests: Sequence[tuple[int, bytes]], fields: Sequence[Field]) -> SockTable:
        groups: dict[Shape, _Group] = {}
        for msg_type, payload in requests:
            seq = self._send(msg_type, payload)
            try:
                self._decode(seq, kind, fields, groups)
            except BaseException:
                self._drain(seq)
                raise
        return _build_table(list(groups.values()), fields)

    def _send(self, msg_type: int, payload: bytes) -> int:
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1
        header = NLMSGHDR.pack(NLMSGHDR.size + len(payload), msg_type, NLM_F_REQUEST | NLM_F_DUMP, self._seq, 0)
        self.sock.send(header + payload)
        self._pending = self._seq
        return self._seq

    def _chunks(self, seq: int, keep: bool) -> Iterator[tuple[int, int]]:
        """(start, size) of each reply datagram of dump `seq`, as it lands in the buffer.

        With keep, datagrams are laid back to back (the buffer grows as needed), so the
        whole dump ends up one stream of messages and same-shape runs span datagrams.
        A datagram holds replies to one request only: its first message's seq tells
        whether it is a leftover of an older, abandoned dump (skipped)."""
        pos = 0
        while True:
            if len(self._view) - pos < MAX_DATAGRAM:
                self._grow(pos + MAX_DATAGRAM)
            n = self.sock.recv_into(self._view[pos:], MAX_DATAGRAM, socket.MSG_TRUNC)
            if n > MAX_DATAGRAM:
                raise OSError(errno.EMSGSIZE, f"sock_diag: a {n}-byte reply was truncated")
            if n >= NLMSGHDR.size and self._words[(pos >> 2) + 2] == seq:
                yield pos, n
                pos += n if keep else 0

    def _grow(self, size: int) -> None:
        have = len(self._view)
        self._view.release()
        self._words.frombytes(bytes(max(size, 2 * have) - have))
        self._view = memoryview(self._words).cast("B")

    def _drain(self, seq: int) -> None:
        """Reads an interrupted dump to its end: the next request would get EBUSY otherwise."""
        if self._pending == seq:
            with contextlib.suppress(OSError):
                self._scan(seq, None)

    def _decode(self, seq: int, kind: str, fields: Sequence[Field], groups: dict[Shape, _Group]) -> None:
        """Finds the same-shape runs of the whole dump, then copies each run's columns."""
        runs: list[tuple[Shape, int, int]] = []  # shape, offset, records
        for start, n in self._chunks(seq, keep=True):
            off, end = start, start + n
            while off < end:
                length = self._words[off >> 2]
                shape, k = self._match(kind, off, end, length)
                if shape is None and k == 0:
                    if self._is_end(off):
                        break
                    shape, k = self._slow(kind, off, length, fields), 1
                if shape is not None:
                    last = runs[-1] if runs else None
                    if last and last[0] is shape and last[1] + last[2] * length == off:
                        runs[-1] = (shape, last[1], last[2] + k)
                    else:
                        runs.append((shape, off, k))
                off += k * ((length + 3) & ~3)
            if off < end:
                break
        for shape, off, k in runs:
            self._take(shape, off, k, groups)

    def _match(self, kind: str, off: int, end: int, length: int) -> tuple[Shape | None, int]:
        for shape in self._shapes.get((kind, length), ()):
            k = self._run(shape, off, end)
            if k:
                return shape, k
        return None, 0

    def _run(self, shape: Shape, off: int, end: int) -> int:
        """How many records from `off` on are of `shape`; 0 if the first one is not."""
        words, stride, base = self._words, shape.stride, off >> 2
        k = (end - off) // shape.length
        lengths = words[base:base + k * stride:stride].tolist()
        if lengths.count(shape.length) != k:
            k = next(i for i, v in enumerate(lengths) if v != shape.length)
        stop = base + k * stride
        got = b"".join([words[base + w:stop:stride] for w in shape.hdr_words])
        return k if k and got == shape.pattern(k) else 0

    def _take(self, shape: Shape, off: int, k: int, groups: dict[Shape, _Group]) -> None:
        """Appends k records from `off` on: one strided copy per word a column spans."""
        group = groups.get(shape)
        if group is None:
            group = groups[shape] = _Group(shape)
        group.rows += k
        words, base, stride = self._words, off >> 2, shape.stride
        end = base + k * stride
        for acc, w in zip(group.words, shape.words, strict=False):
            acc.append(words[base + w:end:stride])

    def _slow(self, kind: str, off: int, length: int, fields: Sequence[Field]) -> Shape | None:
        """The shape of one message no run took; None if it is no socket."""
        if length < NLMSGHDR.size:
            raise OSError(f"netlink: bad message length {length}")
        if self._words[(off >> 2) + 1] & 0xFFFF not in (SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK):
            return None
        shape = compile_shape(self._view, off, length, fields)
        if shape is None:
            return None
        known = self._shapes.setdefault((kind, length), [])
        same = next((s for s in known if s.expected == shape.expected), None)
        if same is not None:
            return same  # its run failed on a later record; this one alone fits
        if len(known) < 4:  # beyond that, rare layouts stay on this slow path
            known.append(shape)
        return shape

    def _is_end(self, off: int) -> bool:
        """True at NLMSG_DONE or an acknowledgement; OSError for an error reply."""
        mtype = self._words[(off >> 2) + 1] & 0xFFFF
        if mtype not in (NLMSG_DONE, NLMSG_ERROR):
            return False
        self._pending = 0
        err = U32.unpack_from(self._view, off + NLMSGHDR.size)[0]
        if mtype == NLMSG_ERROR and err:
            err = (1 << 32) - err
            raise OSError(err, f"sock_diag: {os.strerror(err)}")
        return True

    def _scan(self, seq: int, counts: list[int] | None) -> tuple[int, int]:
        """Reads dump `seq` to its end: (messages, bytes); counts[state] += 1 if given."""
        msgs = total = 0
        buf, words = self._view, self._words
        for start, n in self._chunks(seq, keep=False):
            total += n
            off = start
            while off < start + n:
                if self._is_end(off):
                    return msgs, total
                msgs += 1
                if counts is not None:
                    counts[buf[off + NLMSGHDR.size + 1] & 15] += 1
                off += (words[off >> 2] + 3) & ~3
        return msgs, total

    def raw(self, payload: bytes, msg_type: int = SOCK_DIAG_BY_FAMILY) -> tuple[int, int]:
        """A dump read to its end undecoded: (messages, bytes). For benchmarks."""
        return self._scan(self._send(msg_type, payload), None)

    def count_states(self, protocol: int = socket.IPPROTO_TCP) -> list[int]:
        """Sockets per state (index: TCP state number), all states, no extensions asked."""
        counts = [0] * 16
        if protocol == socket.IPPROTO_TCP and self.compat:
            self._scan(self._send(TCPDIAG_GETSOCK, compat_request(0, ALL_STATES)), counts)
        else:
            for family in (socket.AF_INET, socket.AF_INET6):
                self._scan(self._send(SOCK_DIAG_BY_FAMILY, diag_request(family, protocol, 0, ALL_STATES)), counts)
        return counts


def limited_shares(cur: SockTable, prev: SockTable | None = None) -> dict[int, tuple[float, float]]:
    """cookie -> (rwnd_limited, sndbuf_limited) as shares of busy time since prev (or since start).

    The rest of busy time was limited by cwnd/pacing, i.e. by the network. Sockets idle
    over the interval, or without these fields (kernel < 4.10), are left out."""
    def times(t: SockTable) -> dict[int, tuple[int, int, int]]:
        cols = zip(t.cookie, t.stats["busy_time"], t.stats["rwnd_limited"], t.stats["sndbuf_limited"], strict=False)
        return {c: (b, r, s) for c, b, r, s in cols if b is not None and r is not None and s is not None}

    before = times(prev) if prev is not None else {}
    return {c: ((r - r0) / (b - b0), (s - s0) / (b - b0))
            for c, (b, r, s) in times(cur).items()
            for b0, r0, s0 in [before.get(c, (0, 0, 0))] if b > b0}
