"""Connections as the pane and the findings read them: the latest dump's busiest connections,
its groups by peer, port or process, and the UDP sockets that drop."""

from __future__ import annotations

from collections.abc import Callable

from .. import keys
from ..conn.model import Conn, ConnDetail, ConnGroup, UdpSock
from .context import ViewContext

CONNECTION = "connection"  # the pane's fourth grouping: one row per connection
SORTS = ("retrans", "rtt", "bytes", "limited")
Row = Conn | ConnGroup


def detail(ctx: ViewContext) -> ConnDetail | None:
    return ctx.store.detail(keys.CONNECTIONS) if ctx.freshness(keys.CONNECTIONS).live else None


def limited(row: Row) -> float:
    return max(row.rwnd_limited or 0.0, row.sndbuf_limited or 0.0)


SORT_KEYS: dict[str, Callable[[Row], tuple[float, ...]]] = {
    "retrans": lambda r: (r.retrans_per_s or 0.0, (r.send_bps or 0.0) + (r.recv_bps or 0.0)),
    "rtt": lambda r: (float(r.rtt_us or 0), (r.send_bps or 0.0) + (r.recv_bps or 0.0)),
    "bytes": lambda r: ((r.send_bps or 0.0) + (r.recv_bps or 0.0), r.retrans_per_s or 0.0),
    "limited": lambda r: (limited(r), (r.send_bps or 0.0) + (r.recv_bps or 0.0)),
}


def rows(ctx: ViewContext, by: str, sort: str) -> list[Row]:
    """The groups of one grouping (peer, port, process) or the connections, sorted."""
    d = detail(ctx)
    if d is None:
        return []
    found: list[Row] = list(d.conns) if by == CONNECTION else [g for g in d.groups if g.by == by]
    return sorted(found, key=SORT_KEYS[sort], reverse=True)


def dropping_udp(ctx: ViewContext) -> list[UdpSock]:
    d = detail(ctx)
    return [u for u in d.udp if u.drops_per_s] if d is not None else []


def by_cookie(ctx: ViewContext, cookie: int) -> Conn | None:
    d = ctx.store.detail(keys.CONNECTIONS)
    return next((c for c in d.conns if c.cookie == cookie), None) if d is not None else None
