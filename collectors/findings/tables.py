"""Table rules: conntrack, orphaned sockets and TIME_WAIT against their limits."""

from __future__ import annotations

from .. import keys
from ..views.context import ViewContext
from .base import CRITICAL, TCP, WARNING, Finding, Msg, netstat_rate, rnd, rule

# Conntrack drops new flows at 100 %; 80 % leaves time to act, 95 % does not.
CONNTRACK_WARN, CONNTRACK_CRIT = 0.8, 0.95
# tcp_max_orphans is a hard limit (orphans are reset past it) and counts double under memory pressure.
ORPHANS_WARN, ORPHANS_CRIT = 0.5, 0.9
# Past tcp_max_tw_buckets TIME_WAIT sockets are destroyed early.
TIME_WAIT_WARN = 0.8


@rule(keys.SYSCTLS)
def conntrack(ctx: ViewContext) -> list[Finding]:
    out = []
    count, limit = ctx.int_knob("net.netfilter.nf_conntrack_count"), ctx.int_knob("net.netfilter.nf_conntrack_max")
    if count is not None and limit:
        ratio = count / limit
        if ratio >= CONNTRACK_WARN:
            out.append(Finding("conntrack-full", CRITICAL if ratio >= CONNTRACK_CRIT else WARNING,
                               Msg("conntrack table {percent:.0f}% full", percent=100 * ratio),
                               {"count": count, "max": limit},
                               ctx.knobs("net.netfilter.nf_conntrack_max"), "sysctl-net.netfilter.nf_conntrack_max",
                               "", TCP, Msg("net.netfilter.nf_conntrack_max {limit:,} entries", limit=limit)))
    return out


@rule(keys.SOCKSTAT)
def socket_limits(ctx: ViewContext) -> list[Finding]:
    out = []
    sockstat = ctx.latest(keys.SOCKSTAT)
    orphans, max_orphans = sockstat.get("TCP/orphan"), ctx.int_knob("net.ipv4.tcp_max_orphans")
    if orphans is not None and max_orphans:
        ratio = orphans / max_orphans
        if ratio >= ORPHANS_WARN:
            out.append(Finding("orphans-near-limit", CRITICAL if ratio >= ORPHANS_CRIT else WARNING,
                               Msg("{orphans} orphaned TCP sockets, {percent:.0f}% of tcp_max_orphans",
                                   orphans=orphans, percent=100 * ratio),
                               {"orphans": orphans, "max": max_orphans}, ctx.knobs("net.ipv4.tcp_max_orphans"),
                               "sysctl-net.ipv4.tcp_max_orphans", "", TCP,
                               Msg("net.ipv4.tcp_max_orphans {limit:,} (each orphan counts double under memory "
                                   "pressure)", limit=max_orphans)))
    tw, max_tw = sockstat.get("TCP/tw"), ctx.int_knob("net.ipv4.tcp_max_tw_buckets")
    tw_overflow = netstat_rate(ctx, "TcpExt.TCPTimeWaitOverflow")
    if (tw is not None and max_tw and tw / max_tw >= TIME_WAIT_WARN) or tw_overflow:
        out.append(Finding("time-wait-near-limit", WARNING,
                           Msg("{tw} sockets in TIME_WAIT against tcp_max_tw_buckets {max_tw}", tw=tw, max_tw=max_tw),
                           {"time_wait": tw, "max": max_tw, "TCPTimeWaitOverflow_per_s": rnd(tw_overflow)},
                           ctx.knobs("net.ipv4.tcp_max_tw_buckets"), "sysctl-net.ipv4.tcp_max_tw_buckets", "", TCP,
                           Msg("net.ipv4.tcp_max_tw_buckets {max_tw}", max_tw=max_tw)))
    return out
