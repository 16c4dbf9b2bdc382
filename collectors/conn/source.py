"""The `connections` source: every TCP connection's tcp_info and every UDP socket's drops,
read once a second (warm tier), aggregated here so the store, a recording and the UI only
ever hold bounded things: a few gauge columns, the TOP_N busiest connections, the busiest
TOP_GROUPS of each grouping, and the UDP sockets that drop.

The cost is paid per socket, so it is kept to list comprehensions over the dump's columns
(no object per socket): rates come from the previous dump matched by socket cookie, groups
are keyed on raw address bytes, and only what is kept is formatted. The source says what a
read cost (`last_cost`); the sampler spaces its reads so it stays within `max_share` of a core.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .. import keys
from ..errors import SourceUnavailable
from ..owners import SocketOwners
from ..sources import BaseSource, Reading
from ..tiers import Tier
from .dumper import ConnDumper, SockTable
from .model import GROUPINGS, PEER, PORT, PROCESS, Conn, ConnDetail, ConnGroup, UdpSock
from .wire import TCP_LISTEN, TCP_STATES, format_endpoint

TOP_N = 64
TOP_GROUPS = 32
TOP_UDP = 32
COLUMNS = ("tcp/connections", "tcp/retrans_per_s", "tcp/send_bps", "tcp/recv_bps", "tcp/rwnd_limited",
           "tcp/sndbuf_limited", "udp/sockets", "udp/drops_per_s")
LIMITED = 0.5  # a connection limited for half its busy time or more counts as limited
# the tcp_info fields read: each decoded field is a strided copy of the whole dump
INFO = frozenset({"rtt", "rttvar", "min_rtt", "snd_cwnd", "snd_ssthresh", "unacked", "notsent_bytes", "lost",
                  "reordering", "total_retrans", "bytes_acked", "bytes_received", "delivery_rate", "pacing_rate",
                  "busy_time", "rwnd_limited", "sndbuf_limited"})
Col = Sequence[int | None]


def _owner_name(owner: tuple[int, str] | None) -> str:
    return f"{owner[1]}[{owner[0]}]" if owner else ""


def _rate(now: Col, before: Col, dt: float) -> list[float | None]:
    return [None if b is None or n is None or n < b else (n - b) / dt for n, b in zip(now, before, strict=True)]


ACTIVITY = ("total_retrans", "bytes_acked", "bytes_received")
TIMES = ("busy_time", "rwnd_limited", "sndbuf_limited")


class _Previous:
    """Counters of the last dump by socket cookie: what rates are computed against."""

    NAMES = (*ACTIVITY, *TIMES)

    def __init__(self, t: float = 0.0, cookies: Sequence[int] = (), cols: dict[str, Col] | None = None) -> None:
        self.t = t
        self.cookies = cookies
        self._index: dict[int, int] | None = None
        self.cols = cols or {}

    def aligned(self, cookies: Sequence[int], name: str) -> Col:
        col = self.cols.get(name)
        if col is None:
            return [None] * len(cookies)
        if cookies == self.cookies:  # the usual case: the same sockets in the same order, no lookup
            return col
        if self._index is None:
            self._index = {c: i for i, c in enumerate(self.cookies)}
        index = self._index
        return [col[j] if (j := index.get(c)) is not None else None for c in cookies]


class ConnectionsSource(BaseSource):
    key = keys.CONNECTIONS
    tier = Tier.WARM
    max_share = 0.003  # of one core: at 10k connections (~35 ms a read) a read every ~12 s

    def __init__(self, owners: SocketOwners | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.dumper: ConnDumper | None = None
        self.owners = owners or SocketOwners()
        self.clock = clock
        self.prev_tcp = _Previous()
        self.prev_udp: dict[int, tuple[float, int]] = {}
        self.last_cost = 0.0
        self._owner_names: dict[int, str] = {}
        self._owners_version = -1

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        cpu0 = time.thread_time()
        try:
            if self.dumper is None:
                self.dumper = ConnDumper()
            tcp = self.dumper.tcp(skmem=False, info=INFO)
            listen = set(self.dumper.tcp(states=1 << TCP_LISTEN, skmem=False, info=frozenset()).sport)
            udp = self.dumper.udp()
        except OSError as exc:
            self.close()
            raise SourceUnavailable(exc.errno or 0, f"sock_diag: {exc.strerror or exc}") from None
        t = self.clock()
        detail, columns = self._digest(t, tcp, udp, listen)
        self.last_cost = time.thread_time() - cpu0
        return (COLUMNS, [round(columns[c]) for c in COLUMNS]), detail

    # --- one dump ------------------------------------------------------------------------

    def _digest(self, t: float, tcp: SockTable, udp: SockTable,
                listen: set[int] | None = None) -> tuple[ConnDetail, dict[str, float]]:
        prev, dt = self.prev_tcp, (t - self.prev_tcp.t) if self.prev_tcp.t else 0.0
        cookies = list(tcp.cookie)
        col = tcp.stats
        nothing: list[float | None] = [None] * len(cookies)
        rates = {name: _rate(col[name], prev.aligned(cookies, name), dt) if dt > 0 else nothing
                 for name in ACTIVITY}
        moved = [k for k, (a, b, c) in enumerate(zip(*(rates[n] for n in ACTIVITY), strict=True)) if a or b or c]
        for name in TIMES:  # busy and limited times matter only where something moved
            now, before, out = col[name], prev.aligned(cookies, name), list(nothing)
            for k in moved if dt > 0 else ():
                n, b = now[k], before[k]
                out[k] = None if n is None or b is None or n < b else (n - b) / dt
            rates[name] = out
        self.prev_tcp = _Previous(t, cookies, {n: col[n] for n in _Previous.NAMES})
        owners = self._owners([*tcp.inode, *udp.inode])
        ctx = _Digest(tcp, col, rates, owners, listen or set())
        groups = [g for by in GROUPINGS for g in ctx.groups(by)]
        udp_rows, udp_rate = self._udp(t, udp, owners)
        rwnd, sndbuf = ctx.limited_counts()
        columns = {"tcp/connections": len(tcp),
                   "tcp/retrans_per_s": sum(r for r in rates["total_retrans"] if r),
                   "tcp/send_bps": sum(r for r in rates["bytes_acked"] if r),
                   "tcp/recv_bps": sum(r for r in rates["bytes_received"] if r),
                   "tcp/rwnd_limited": rwnd, "tcp/sndbuf_limited": sndbuf,
                   "udp/sockets": len(udp), "udp/drops_per_s": udp_rate}
        return ConnDetail(ctx.top(), groups, udp_rows, len(tcp), dt or None), columns

    def _owners(self, inodes: list[int]) -> dict[int, str]:
        """inode -> "name[pid]"; rebuilt only when a scan has learnt something."""
        known = self.owners.known(inodes)
        self.owners.retain(inodes)
        if self.owners.version != self._owners_version:
            names = {o: _owner_name(o) for o in set(known.values())}  # one string per process, not per socket
            self._owner_names = {i: names[o] for i, o in self.owners.known([]).items()}
            self._owners_version = self.owners.version
        return self._owner_names

    def _udp(self, t: float, udp: SockTable, owners: dict[int, str]) -> tuple[list[UdpSock], float]:
        drops = udp.stats.get("drops") or [None] * len(udp)
        now: dict[int, tuple[float, int]] = {}
        rates: list[float | None] = []
        for cookie, d in zip(udp.cookie, drops, strict=True):
            seen = self.prev_udp.get(cookie)
            if d is None:
                rates.append(None)
                continue
            now[cookie] = (t, d)
            rates.append((d - seen[1]) / (t - seen[0]) if seen and t > seen[0] and d >= seen[1] else None)
        self.prev_udp = now
        dropping = sorted((i for i, d in enumerate(drops) if d), key=lambda i: (rates[i] or 0.0, drops[i] or 0),
                          reverse=True)[:TOP_UDP]
        rmem, rcvbuf = udp.stats.get("rmem_alloc"), udp.stats.get("rcvbuf")
        out = [UdpSock(udp.local(i), udp.remote(i), owners.get(udp.inode[i], ""), drops[i] or 0, rates[i],
                       (rmem[i] or 0) if rmem else 0, (rcvbuf[i] or 0) if rcvbuf else 0) for i in dropping]
        return out, sum(r for r in rates if r)

    def close(self) -> None:
        if self.dumper is not None:
            self.dumper.close()
            self.dumper = None


class _Digest:
    """One dump's connections as columns (index k over the dump's rows)."""

    def __init__(self, tcp: SockTable, col: dict[str, Col], rates: dict[str, list[float | None]],
                 owners: dict[int, str], listen: set[int]) -> None:
        self.tcp, self.col, self.rates, self.owners, self.listen = tcp, col, rates, owners, listen
        r = rates
        # connections that moved something this interval: sums, rtt and owners come from these only
        self.active = [k for k, (a, b, c) in enumerate(zip(r["bytes_acked"], r["bytes_received"],
                                                           r["total_retrans"], strict=True)) if a or b or c]

    def share(self, k: int, name: str) -> float | None:
        busy = self.rates["busy_time"][k]
        part = self.rates[name][k]
        return part / busy if busy and part is not None else None

    def limited_counts(self) -> tuple[int, int]:
        shares = [(self.share(k, "rwnd_limited"), self.share(k, "sndbuf_limited")) for k in self.active]
        return (sum(1 for a, _ in shares if a is not None and a >= LIMITED),
                sum(1 for _, b in shares if b is not None and b >= LIMITED))

    def activity(self, k: int) -> tuple[float, float]:
        r = self.rates
        return (r["total_retrans"][k] or 0.0), (r["bytes_acked"][k] or 0.0) + (r["bytes_received"][k] or 0.0)

    def top(self) -> list[Conn]:
        busiest = heapq.nlargest(TOP_N, self.active, key=self.activity)
        if len(busiest) < TOP_N:  # a quiet host: show some of the idle ones too
            chosen = set(busiest)
            busiest += [k for k in range(min(len(self.tcp), TOP_N * 2)) if k not in chosen][:TOP_N - len(busiest)]
        return [self.conn(k) for k in busiest]

    def conn(self, k: int) -> Conn:
        c, r, t = self.col, self.rates, self.tcp
        return Conn(t.cookie[k], TCP_STATES[t.state[k]], t.local(k), t.remote(k), self.owners.get(t.inode[k], ""),
                    c["rtt"][k], c["rttvar"][k], c["min_rtt"][k], c["snd_cwnd"][k], c["snd_ssthresh"][k],
                    c["unacked"][k], c["notsent_bytes"][k], c["lost"][k], c["reordering"][k], c["total_retrans"][k],
                    r["total_retrans"][k], r["bytes_acked"][k], r["bytes_received"][k], c["delivery_rate"][k],
                    c["pacing_rate"][k], self.share(k, "rwnd_limited"), self.share(k, "sndbuf_limited"),
                    t.rqueue[k], t.wqueue[k])

    def keys(self, by: str) -> list[Any]:
        """Every connection's group key, in one comprehension (raw bytes: nothing formatted)."""
        t = self.tcp
        if by == PEER:
            blob = t.dst.blob
            return [(f, blob[k << 4:(k << 4) + 16]) for k, f in enumerate(t.family)]
        if by == PORT:
            listen = self.listen
            return [("local", s) if s in listen else ("remote", d) for s, d in zip(t.sport, t.dport, strict=True)]
        owners = self.owners
        return [(owners.get(i, ""),) for i in t.inode]

    def name(self, by: str, key: tuple[Any, ...]) -> str:
        if by == PEER:
            return format_endpoint(key[0], key[1], 0).rpartition(":")[0].strip("[]")
        if by == PORT:
            return f":{key[1]}" if key[0] == "local" else f"to :{key[1]}"
        return str(key[0]) or "?"

    def groups(self, by: str) -> list[ConnGroup]:
        keys = self.keys(by)
        counts = Counter(keys)
        acc: dict[Any, list[Any]] = {}
        r, rtt, min_rtt = self.rates, self.col["rtt"], self.col["min_rtt"]
        for k in self.active:
            a = acc.get(key := keys[k])
            if a is None:
                a = acc[key] = [0.0, 0.0, 0.0, 0, 0, None, 0.0, 0.0, 0.0, set()]
            a[0] += r["bytes_acked"][k] or 0.0
            a[1] += r["bytes_received"][k] or 0.0
            a[2] += r["total_retrans"][k] or 0.0
            if v := rtt[k]:
                a[3] += v
                a[4] += 1
            if (m := min_rtt[k]) and (a[5] is None or m < a[5]):
                a[5] = m
            if busy := r["busy_time"][k]:
                a[6] += busy
                a[7] += r["rwnd_limited"][k] or 0.0
                a[8] += r["sndbuf_limited"][k] or 0.0
            if by != PROCESS and len(a[9]) < 4 and (owner := self.owners.get(self.tcp.inode[k])):
                a[9].add(owner)
        idle: list[Any] = [0.0, 0.0, 0.0, 0, 0, None, 0.0, 0.0, 0.0, set()]
        ranked = heapq.nlargest(TOP_GROUPS, counts, key=lambda key: (
            acc[key][2] if key in acc else 0.0, acc[key][0] + acc[key][1] if key in acc else 0.0, counts[key]))
        out = []
        for key in ranked:
            a = acc.get(key, idle)
            out.append(ConnGroup(by, self.name(by, key), counts[key], a[0], a[1], a[2],
                                 a[3] // a[4] if a[4] else None, a[5], a[7] / a[6] if a[6] else None,
                                 a[8] / a[6] if a[6] else None, ", ".join(sorted(a[9]))))
        return out
