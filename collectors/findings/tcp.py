"""TCP rules: full accept queues, SYN floods, TCP memory pressure, receive queue pruning."""

from __future__ import annotations

import os

from .. import keys
from ..views.context import ViewContext
from ..views.memory import memory_states
from ..views.sockets import ListenerRow, listener_rows
from .base import CRITICAL, MEMORY, TCP, WARNING, Finding, Msg, netstat_rate, rnd, rule

# An accept queue that reached its limit once may be a burst; overflows are drops.
ACCEPT_QUEUE_FULL = 1.0  # peak / backlog
# Above 80 % of tcp_mem's pressure mark the kernel is one burst away from trimming buffers.
TCP_MEM_NEAR_PRESSURE = 0.8
PRUNE_COUNTERS = ("PruneCalled", "RcvPruned", "OfoPruned", "TCPRcvCollapsed", "TCPRcvQDrop")
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _backlog_bound(ctx: ViewContext, row: ListenerRow) -> tuple[str, dict[str, str]]:
    """Which limit the accept queue ran into: the application's listen() backlog or somaxconn.
    The kernel keeps min(backlog asked, somaxconn) (idiag_wqueue of a listener)."""
    somaxconn = ctx.int_knob("net.core.somaxconn")
    owner = ctx.owner(row.inode)
    who = Msg("{owner}'s", owner=owner) if owner else Msg("the application's")
    if somaxconn is not None and row.backlog < somaxconn:
        return (Msg("{who} listen() backlog {backlog}: net.core.somaxconn {somaxconn} is higher and not the limit",
                    who=who, backlog=row.backlog, somaxconn=somaxconn),
                {"listen() backlog": str(row.backlog), "net.core.somaxconn": f"{somaxconn} (not binding)"})
    if somaxconn is not None:
        return (Msg("net.core.somaxconn {somaxconn}: it cut {who} listen() backlog to {backlog}",
                    somaxconn=somaxconn, who=who, backlog=row.backlog),
                {"net.core.somaxconn": str(somaxconn)})
    return (Msg("the backlog {backlog} (the smaller of {who} listen() and net.core.somaxconn)",
                backlog=row.backlog, who=who), ctx.knobs("net.core.somaxconn"))


def full_listeners(ctx: ViewContext) -> list[tuple[ListenerRow, float]]:
    """Listeners whose accept queue reached their backlog, with that peak."""
    if not ctx.freshness(keys.LISTENERS).live:
        return []
    rows = [(row, row.peak or row.accept_queue) for row in listener_rows(ctx)]
    return [(row, peak) for row, peak in rows if row.backlog > 0 and peak >= ACCEPT_QUEUE_FULL * row.backlog]


@rule(keys.LISTENERS)
def listen_queue(ctx: ViewContext) -> list[Finding]:
    overflows = netstat_rate(ctx, "TcpExt.ListenOverflows")
    out = []
    for row, peak in full_listeners(ctx):
        bound, knobs = _backlog_bound(ctx, row)
        title = Msg("accept queue of {local} full: {peak} waiting, backlog {backlog}", local=row.local,
                    peak=int(peak), backlog=row.backlog)
        out.append(Finding("listen-queue-full", CRITICAL if overflows else WARNING, title,
                           {"accept_queue_peak": int(peak), "backlog": row.backlog,
                            "ListenOverflows_per_s": rnd(overflows)},
                           knobs, "counter-TcpExt.ListenOverflows", row.local, TCP, bound))
    return out


@rule(keys.NETSTAT)
def listen_overflows(ctx: ViewContext) -> list[Finding]:
    """Overflows with no full listener to name (gone already, or no sock_diag here)."""
    overflows = netstat_rate(ctx, "TcpExt.ListenOverflows")
    if not overflows or full_listeners(ctx):
        return []
    return [Finding("listen-overflows", WARNING, Msg("listen queues overflow ({rate:.1f}/s)", rate=overflows),
                    {"ListenOverflows_per_s": rnd(overflows)}, ctx.knobs("net.core.somaxconn"),
                    "counter-TcpExt.ListenOverflows", "", TCP,
                    Msg("a listener's backlog, the smaller of its listen() and net.core.somaxconn"))]


@rule(keys.NETSTAT)
def syn_flood(ctx: ViewContext) -> list[Finding]:
    cookies = netstat_rate(ctx, "TcpExt.SyncookiesSent")
    full_drop = netstat_rate(ctx, "TcpExt.TCPReqQFullDrop")
    evidence = {"SyncookiesSent_per_s": rnd(cookies), "TCPReqQFullDrop_per_s": rnd(full_drop),
                "ListenDrops_per_s": rnd(netstat_rate(ctx, "TcpExt.ListenDrops")),
                "ListenOverflows_per_s": rnd(netstat_rate(ctx, "TcpExt.ListenOverflows"))}
    knobs = ctx.knobs("net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog", "net.core.somaxconn")
    if full_drop and ctx.int_knob("net.ipv4.tcp_syncookies") == 0:
        return [Finding("syn-flood-no-cookies", CRITICAL,
                        Msg("SYN queue full and SYN cookies off: connection requests are dropped"),
                        evidence, knobs, "topic-syn-flood-icmp", "", TCP,
                        Msg("a listener's SYN queue holds at most its accept backlog (listen(), cut to "
                            "net.core.somaxconn); net.ipv4.tcp_syncookies is 0"))]
    if cookies or full_drop:
        return [Finding("syn-flood", WARNING, Msg("SYN queue overflowing: SYN cookies sent ({rate:.0f}/s; a SYN "
                        "flood or a listener far too slow)", rate=cookies), evidence, knobs,
                        "topic-syn-flood-icmp", "", TCP,
                        Msg("a listener's SYN queue holds at most its accept backlog (listen(), cut to "
                            "net.core.somaxconn); past it SYN cookies answer"))]
    return []


def _pages(pages: int | None) -> str:
    return "-" if pages is None else Msg("{pages:,} pages ({mib:,.0f} MiB)", pages=pages, mib=pages * PAGE / 2**20)


@rule(keys.SOCKSTAT)
def tcp_memory(ctx: ViewContext) -> list[Finding]:
    out = []
    aborts = netstat_rate(ctx, "TcpExt.TCPAbortOnMemory")
    for m in memory_states(ctx):
        if m.proto != "TCP" or m.pages is None:
            continue
        peak = max(m.pages, int(m.peak_pages or 0))
        evidence = {"pages": m.pages, "peak_pages": peak, "low": m.low, "pressure": m.pressure, "high": m.high,
                    "press": m.press, "TCPAbortOnMemory_per_s": rnd(aborts)}
        knobs = ctx.knobs("net.ipv4.tcp_mem", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
        bound = Msg("net.ipv4.tcp_mem pressure mark {pressure} (high {high}); TCP holds {used}, peak {peak}",
                    pressure=_pages(m.pressure), high=_pages(m.high), used=_pages(m.pages), peak=_pages(peak))
        if aborts or m.press == "yes" or (m.pressure and peak >= m.pressure):
            title = (Msg("TCP is in memory pressure and resets connections (TCP OOM)") if aborts
                     else Msg("TCP is in memory pressure"))
            out.append(Finding("tcp-memory-pressure", CRITICAL, title, evidence, knobs,
                               "topic-tcp-memory-pressure", "TCP", MEMORY, bound))
        elif m.pressure and peak >= TCP_MEM_NEAR_PRESSURE * m.pressure:
            out.append(Finding("tcp-memory-near-pressure", WARNING,
                               Msg("TCP memory at {percent:.0f}% of tcp_mem's pressure mark",
                                   percent=100 * peak / m.pressure),
                               evidence, knobs, "topic-tcp-memory-pressure", "TCP", MEMORY, bound))
    return out


@rule(keys.NETSTAT)
def tcp_prune(ctx: ViewContext) -> list[Finding]:
    prune = {n: netstat_rate(ctx, f"TcpExt.{n}") for n in PRUNE_COUNTERS}
    if not any(prune.values()):
        return []
    rmem = (ctx.knob("net.ipv4.tcp_rmem") or "").split()
    limit = (Msg("net.ipv4.tcp_rmem max {bytes:,} bytes", bytes=int(rmem[2])) if len(rmem) == 3 and rmem[2].isdigit()
             else "tcp_rmem")
    return [Finding("tcp-prune", WARNING, Msg("TCP receive queues are being collapsed, pruned or dropped"),
                    {f"{k}_per_s": rnd(v) for k, v in prune.items()},
                    ctx.knobs("net.ipv4.tcp_rmem", "net.ipv4.tcp_mem"), "counter-TcpExt.PruneCalled", "", TCP,
                    Msg("a socket's receive buffer ({limit}, or the application's SO_RCVBUF): the application reads "
                        "too slowly", limit=limit))]
