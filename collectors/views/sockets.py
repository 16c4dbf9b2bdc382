"""Sockets: listeners' accept queue against their backlog, TCP sockets by state."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import keys
from ..store import Window
from .context import ViewContext

TRACKED_STATES = ("ESTABLISHED", "SYN_RECV", "TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT2", "LISTEN")
SLOPE_SECONDS = 3.0


@dataclass
class ListenerRow:
    local: str
    accept_queue: int
    peak: float | None
    backlog: int
    inode: int


def listener_rows(ctx: ViewContext) -> list[ListenerRow]:
    socks = ctx.store.detail(keys.LISTENERS) or []
    return [ListenerRow(s.local, s.rqueue, ctx.peak(keys.LISTENERS, f"{s.local}/accept_queue"), s.wqueue, s.inode)
            for s in socks]


def state_counts(ctx: ViewContext) -> list[tuple[str, int, float | None]]:
    """(state, count now, change per second) including orphans from sockstat."""
    states = ctx.latest(keys.TCP_STATES)
    w = ctx.window(keys.TCP_STATES, max(ctx.rate_window, SLOPE_SECONDS))
    out = [(state, states.get(state, 0), gauge_slope(w, state)) for state in TRACKED_STATES]
    ws = ctx.window(keys.SOCKSTAT, max(ctx.rate_window, SLOPE_SECONDS))
    out.append(("orphans", ctx.latest(keys.SOCKSTAT).get("TCP/orphan", 0), gauge_slope(ws, "TCP/orphan")))
    return out


def live_totals(ctx: ViewContext) -> list[tuple[str, int, float | None]]:
    """(what, count now, change per second) from sockstat: a few µs to read at any socket count,
    so these follow every tick while the per-state breakdown (a walk of the kernel's socket
    tables) is read as often as its cost allows. TCP in use counts IPv4 and IPv6 sockets;
    TIME_WAIT and orphans are the namespace's, whatever the family."""
    ws = ctx.window(keys.SOCKSTAT, max(ctx.rate_window, SLOPE_SECONDS))
    v4, v6 = ctx.latest(keys.SOCKSTAT), ctx.latest(keys.SOCKSTAT6)
    inuse = v4.get("TCP/inuse", 0) + v6.get("TCP6/inuse", 0)
    return [("inuse", inuse, gauge_slope(ws, "TCP/inuse")),
            ("TIME_WAIT", v4.get("TCP/tw", 0), gauge_slope(ws, "TCP/tw")),
            ("orphans", v4.get("TCP/orphan", 0), gauge_slope(ws, "TCP/orphan"))]


def breakdown_age(ctx: ViewContext) -> float | None:
    """Seconds since the per-state breakdown was read; None before its first read."""
    t, _ = ctx.store.latest(keys.TCP_STATES)
    return None if t is None else max(0.0, ctx.now - t)


def gauge_slope(w: Window | None, column: str) -> float | None:
    if w is None or column not in w or len(w) < 2:
        return None
    col = w.column(column)
    dt = w.ts[-1] - w.ts[0]
    if dt <= 0 or math.isnan(col[0]) or math.isnan(col[-1]):
        return None
    return (col[-1] - col[0]) / dt
