"""The kernel's drop reasons: per (reason, location) and per reason, with the counter that
moves with them where one exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import keys
from ..drops.info import OTHER, UNTRACKED_COLUMN, DropsInfo, split_column
from .context import ViewContext
from .tc import leaf_qdiscs

NOT_SPECIFIED = "NOT_SPECIFIED"
PEAK_SECONDS = 10.0  # drops are read once a second: a peak over a few readings
RateOf = Callable[[ViewContext], float | None]
# Drops a healthy host sees all the time: packets to closed ports, for other hosts, after a close;
# listed, but never a DROP on the Overview nor more than an info finding. "(untracked)" too: it
# counts drops the map had no room to attribute, whatever their reason.
ROUTINE = frozenset({"NO_SOCKET", "OTHERHOST", "SOCKET_CLOSE", "TCP_CLOSE", "TCP_OLD_DATA", "TCP_OLD_SEQUENCE",
                     "TCP_INVALID_SEQUENCE", "TCP_RESET", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "UNIX_DISCONNECT",
                     "QUEUE_PURGE", "IPV6DISABLED", "UNHANDLED_PROTO", "PKT_TOO_SMALL", "IPV6_NDISC_NS_OTHERHOST",
                     "(untracked)"})


@dataclass
class DropRow:
    reason: str
    location: str  # function+0xoffset, "other" past the column cap, "" for a reason's total
    value: int  # since nettop opened the counter
    delta: int | None  # since the mark
    rate: float | None
    peak_rate: float | None
    share: float | None = None  # of every drop since the mark
    counter: str = ""  # the counter that moves with this reason, if any
    counter_rate: float | None = None

    @property
    def column(self) -> str:
        return f"{self.reason}@{self.location}"


def _sum(ctx: ViewContext, pairs: tuple[tuple[keys.Key[None], str], ...]) -> float | None:
    rates = [r for r in (ctx.column_rate(k, c) for k, c in pairs) if r is not None]
    return sum(rates) if rates else None


def _counters(*pairs: tuple[keys.Key[None], str]) -> RateOf:
    return lambda ctx: _sum(ctx, pairs)


def _qdisc_drops(ctx: ViewContext) -> float | None:
    w = ctx.window(keys.QDISCS)
    rates = [r for r in (ctx.rate(w, f"{ctx.tc_entity(q)}/drops") for q in leaf_qdiscs(ctx)) if r is not None]
    return sum(rates) if rates else None


def _softnet_dropped(ctx: ViewContext) -> float | None:
    return ctx.sum_rate(keys.SOFTNET, "dropped")[0]


S, S6, N = keys.SNMP, keys.SNMP6, keys.NETSTAT
# reason -> (what the counter column says, its rate). Counters of the watched namespace;
# drop reasons are host-wide, so under --netns the two can differ.
MATCHING: dict[str, tuple[str, RateOf]] = {
    "NO_SOCKET": ("Udp(6).NoPorts", _counters((S, "Udp.NoPorts"), (S6, "Udp6.NoPorts"))),
    "SOCKET_RCVBUFF": ("Udp(6).RcvbufErrors", _counters((S, "Udp.RcvbufErrors"), (S6, "Udp6.RcvbufErrors"))),
    # UDP's MemErrors miss these on 6.18 (the per-NUMA receive path leaves a TODO); TCP counts
    # them in TCPRcvQDrop. TCPAbortOnMemory kills connections: not a packet drop.
    "PROTO_MEM": ("Udp(6).MemErrors+TCPRcvQDrop", _counters((S, "Udp.MemErrors"), (S6, "Udp6.MemErrors"),
                                                            (N, "TcpExt.TCPRcvQDrop"))),
    "UDP_CSUM": ("Udp(6).InCsumErrors", _counters((S, "Udp.InCsumErrors"), (S6, "Udp6.InCsumErrors"))),
    "TCP_CSUM": ("Tcp.InCsumErrors", _counters((S, "Tcp.InCsumErrors"),)),
    "TCP_LISTEN_OVERFLOW": ("TcpExt.ListenOverflows", _counters((N, "TcpExt.ListenOverflows"),)),
    "SOCKET_BACKLOG": ("TcpExt.TCPBacklogDrop", _counters((N, "TcpExt.TCPBacklogDrop"),)),
    "TCP_ZEROWINDOW": ("TcpExt.TCPZeroWindowDrop", _counters((N, "TcpExt.TCPZeroWindowDrop"),)),
    "TCP_RFC7323_PAWS": ("TcpExt.PAWSEstab", _counters((N, "TcpExt.PAWSEstab"),)),
    "TCP_MINTTL": ("TcpExt.TCPMinTTLDrop", _counters((N, "TcpExt.TCPMinTTLDrop"),)),
    "TCP_MD5NOTFOUND": ("TcpExt.TCPMD5NotFound", _counters((N, "TcpExt.TCPMD5NotFound"),)),
    "TCP_MD5UNEXPECTED": ("TcpExt.TCPMD5Unexpected", _counters((N, "TcpExt.TCPMD5Unexpected"),)),
    "TCP_MD5FAILURE": ("TcpExt.TCPMD5Failure", _counters((N, "TcpExt.TCPMD5Failure"),)),
    "IP_RPFILTER": ("TcpExt.IPReversePathFilter", _counters((N, "TcpExt.IPReversePathFilter"),)),
    "IP_INHDR": ("Ip.InHdrErrors", _counters((S, "Ip.InHdrErrors"),)),
    "IP_INADDRERRORS": ("Ip.InAddrErrors", _counters((S, "Ip.InAddrErrors"),)),
    "IP_NOPROTO": ("Ip.InUnknownProtos", _counters((S, "Ip.InUnknownProtos"),)),
    "IP_OUTNOROUTES": ("Ip.OutNoRoutes", _counters((S, "Ip.OutNoRoutes"),)),
    "IP_INNOROUTES": ("IpExt.InNoRoutes", _counters((N, "IpExt.InNoRoutes"),)),
    "IP_CSUM": ("IpExt.InCsumErrors", _counters((N, "IpExt.InCsumErrors"),)),
    "FRAG_REASM_TIMEOUT": ("Ip.ReasmTimeout", _counters((S, "Ip.ReasmTimeout"),)),
    "QDISC_DROP": ("qdisc drops (leaves)", _qdisc_drops),
    "CPU_BACKLOG": ("softnet dropped", _softnet_dropped),
}


def info(ctx: ViewContext) -> DropsInfo | None:
    return ctx.store.detail(keys.DROPS)


def pair_rows(ctx: ViewContext) -> list[DropRow]:
    """Every (reason, location) seen, the busiest first: rate, then drops since the mark."""
    w = ctx.window(keys.DROPS)
    pw = ctx.window(keys.DROPS, PEAK_SECONDS)
    known = keys.DROPS.name in ctx.mark.values
    rows = []
    for name, value in ctx.latest(keys.DROPS).items():
        if name == UNTRACKED_COLUMN:
            reason, location = "(untracked)", ""
        else:
            reason, location = split_column(name)
        delta = ctx.mark.delta(keys.DROPS, name, value)
        if delta is None and known:  # a pair first seen after the mark: it was 0 there
            delta = value
        peak = pw.peak_rate(name) if pw is not None and name in pw else None
        rows.append(DropRow(reason, location, value, delta, ctx.rate(w, name), peak))
    _finish(ctx, rows)
    return rows


def reason_rows(ctx: ViewContext) -> list[DropRow]:
    """One row per reason, its locations summed."""
    by_reason: dict[str, DropRow] = {}
    for r in pair_rows(ctx):
        row = by_reason.setdefault(r.reason, DropRow(r.reason, "", 0, None, None, None))
        row.value += r.value
        row.delta = r.delta if row.delta is None else row.delta + (r.delta or 0)
        row.rate = _add(row.rate, r.rate)
        row.peak_rate = _add(row.peak_rate, r.peak_rate)  # an upper bound: peaks may not coincide
    rows = list(by_reason.values())
    _finish(ctx, rows)
    return rows


def top_location(ctx: ViewContext, reason: str) -> str:
    """Where a reason drops most now (by rate, then since the mark)."""
    rows = [r for r in pair_rows(ctx) if r.reason == reason and r.location != OTHER]
    return rows[0].location if rows else ""


def _add(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else a + b


def _finish(ctx: ViewContext, rows: list[DropRow]) -> None:
    total = sum(r.delta or 0 for r in rows)
    for r in rows:
        r.share = (r.delta or 0) / total if total else None
        match = MATCHING.get(r.reason)
        if match is not None:
            r.counter, r.counter_rate = match[0], match[1](ctx)
    rows.sort(key=lambda r: (r.rate or 0.0, r.delta or 0, r.value, r.column), reverse=True)
