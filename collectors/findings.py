"""Findings: rules over the store that name a problem, show the evidence, point at the knob.

Each rule returns Finding objects with a severity (info, warning, critical), the
evidence (values and rates), the knobs involved with their values, and the id of
the note that explains it. Thresholds are named constants with their reason.
A quiet host must give no finding at all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import keys
from .views.context import ViewContext, entity, field_of
from .views.memory import memory_states
from .views.sockets import listener_rows
from .views.tc import leaf_qdiscs

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITY_RANK = {INFO: 0, WARNING: 1, CRITICAL: 2}

# An accept queue that reached its limit once may be a burst; overflows are drops.
ACCEPT_QUEUE_FULL = 1.0  # peak / backlog
# Above 80 % of tcp_mem's pressure mark the kernel is one burst away from trimming buffers.
TCP_MEM_NEAR_PRESSURE = 0.8
# The softirq stopping early now and then is normal; ten times a second is a CPU that cannot keep up.
TIME_SQUEEZE_PER_S = 10.0
# Conntrack drops new flows at 100 %; 80 % leaves time to act, 95 % does not.
CONNTRACK_WARN, CONNTRACK_CRIT = 0.8, 0.95
# tcp_max_orphans is a hard limit (orphans are reset past it) and counts double under memory pressure.
ORPHANS_WARN, ORPHANS_CRIT = 0.5, 0.9
# Past tcp_max_tw_buckets TIME_WAIT sockets are destroyed early.
TIME_WAIT_WARN = 0.8
# A queue that never empties for this long is a standing queue, not a burst.
STANDING_QUEUE_SECONDS = 2.0


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    evidence: dict[str, Any] = field(default_factory=dict)
    knobs: dict[str, str] = field(default_factory=dict)
    note: str = ""
    subject: str = ""  # the listener, device or qdisc concerned

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "title": self.title, "subject": self.subject,
                "evidence": self.evidence, "knobs": self.knobs, "note": self.note}


def _counter_rate(ctx: ViewContext, name: str) -> float:
    return ctx.column_rate(keys.NETSTAT, name) or 0.0


def _rnd(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


# --- rules ------------------------------------------------------------------------------


def listen_queue(ctx: ViewContext) -> list[Finding]:
    overflows = _counter_rate(ctx, "TcpExt.ListenOverflows")
    somaxconn = ctx.int_knob("net.core.somaxconn")
    out = []
    for row in listener_rows(ctx):
        peak = row.peak or row.accept_queue
        if row.backlog <= 0 or peak < ACCEPT_QUEUE_FULL * row.backlog:
            continue
        cut = somaxconn is not None and row.backlog == somaxconn
        title = f"accept queue of {row.local} is full ({int(peak)} waiting, backlog {row.backlog})"
        if cut:
            title += "; its backlog equals net.core.somaxconn, so the application's own value was probably cut"
        out.append(Finding("listen-queue-full", CRITICAL if overflows else WARNING, title,
                           {"accept_queue_peak": int(peak), "backlog": row.backlog,
                            "ListenOverflows_per_s": _rnd(overflows)},
                           ctx.knobs("net.core.somaxconn"), "counter-TcpExt.ListenOverflows", row.local))
    if overflows and not out:
        out.append(Finding("listen-overflows", WARNING, f"listen queues overflow ({overflows:.1f}/s)",
                           {"ListenOverflows_per_s": _rnd(overflows)}, ctx.knobs("net.core.somaxconn"),
                           "counter-TcpExt.ListenOverflows"))
    return out


def syn_flood(ctx: ViewContext) -> list[Finding]:
    cookies = _counter_rate(ctx, "TcpExt.SyncookiesSent")
    full_drop = _counter_rate(ctx, "TcpExt.TCPReqQFullDrop")
    drops = _counter_rate(ctx, "TcpExt.ListenDrops")
    overflows = _counter_rate(ctx, "TcpExt.ListenOverflows")
    syncookies = ctx.int_knob("net.ipv4.tcp_syncookies")
    evidence = {"SyncookiesSent_per_s": _rnd(cookies), "TCPReqQFullDrop_per_s": _rnd(full_drop),
                "ListenDrops_per_s": _rnd(drops), "ListenOverflows_per_s": _rnd(overflows)}
    knobs = ctx.knobs("net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_syn_backlog", "net.core.somaxconn")
    if full_drop and syncookies == 0:
        return [Finding("syn-flood-no-cookies", CRITICAL,
                        "SYN queue full and SYN cookies off: connection requests are dropped",
                        evidence, knobs, "topic-syn-flood-icmp")]
    if cookies or full_drop:
        return [Finding("syn-flood", WARNING, "SYN queue overflowing: SYN cookies are being sent (a SYN flood or a "
                        "listener far too slow)", evidence, knobs, "topic-syn-flood-icmp")]
    return []


def tcp_memory(ctx: ViewContext) -> list[Finding]:
    out = []
    aborts = _counter_rate(ctx, "TcpExt.TCPAbortOnMemory")
    for m in memory_states(ctx):
        if m.proto != "TCP" or m.pages is None:
            continue
        peak = max(m.pages, int(m.peak_pages or 0))
        evidence = {"pages": m.pages, "peak_pages": peak, "low": m.low, "pressure": m.pressure, "high": m.high,
                    "press": m.press, "TCPAbortOnMemory_per_s": _rnd(aborts)}
        knobs = ctx.knobs("net.ipv4.tcp_mem", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
        if aborts or m.press == "yes" or (m.pressure and peak >= m.pressure):
            out.append(Finding("tcp-memory-pressure", CRITICAL,
                               "TCP is in memory pressure" + (" and resets connections (TCP OOM)" if aborts else ""),
                               evidence, knobs, "topic-tcp-memory-pressure"))
        elif m.pressure and peak >= TCP_MEM_NEAR_PRESSURE * m.pressure:
            out.append(Finding("tcp-memory-near-pressure", WARNING,
                               f"TCP memory at {100 * peak / m.pressure:.0f}% of tcp_mem's pressure mark",
                               evidence, knobs, "topic-tcp-memory-pressure"))
    prune = {n: _counter_rate(ctx, f"TcpExt.{n}")
             for n in ("PruneCalled", "RcvPruned", "OfoPruned", "TCPRcvCollapsed", "TCPRcvQDrop")}
    if any(prune.values()):
        out.append(Finding("tcp-prune", WARNING, "TCP receive queues are being collapsed, pruned or dropped",
                           {f"{k}_per_s": _rnd(v) for k, v in prune.items()},
                           ctx.knobs("net.ipv4.tcp_rmem", "net.ipv4.tcp_mem"), "counter-TcpExt.PruneCalled"))
    return out


def softnet(ctx: ViewContext) -> list[Finding]:
    out = []
    dropped = ctx.sum_rate(keys.SOFTNET, "dropped")[0] or 0.0
    squeeze = ctx.sum_rate(keys.SOFTNET, "time_squeeze")[0] or 0.0
    if dropped:
        out.append(Finding("softnet-drops", WARNING, f"CPU input backlogs overflow ({dropped:.1f} packets/s dropped)",
                           {"dropped_per_s": _rnd(dropped)}, ctx.knobs("net.core.netdev_max_backlog"),
                           "figures-softnet"))
    if squeeze >= TIME_SQUEEZE_PER_S:
        out.append(Finding("softnet-squeeze", WARNING,
                           f"receive softirq runs out of budget ({squeeze:.1f} time_squeeze/s)",
                           {"time_squeeze_per_s": _rnd(squeeze)},
                           ctx.knobs("net.core.netdev_budget", "net.core.netdev_budget_usecs"), "figures-softnet"))
    return out


def _leaves(ctx: ViewContext) -> set[str]:
    return {ctx.tc_entity(r) for r in leaf_qdiscs(ctx)}


def qdiscs(ctx: ViewContext) -> list[Finding]:
    out = []
    latest = ctx.latest(keys.QDISCS)
    w = ctx.window(keys.QDISCS)
    knobs = ctx.knobs("net.core.default_qdisc")
    leaves = _leaves(ctx)
    for col in latest:
        subject = entity(col)
        if field_of(col) != "drops" or (leaves and subject not in leaves):
            continue
        rate = ctx.rate(w, col) or 0.0
        if rate:
            out.append(Finding("qdisc-drops", WARNING, f"qdisc {subject} drops {rate:.1f} packets/s",
                               {"drops_per_s": _rnd(rate), "drops": latest[col]}, knobs, "figures-qdisc", subject))
    long_w = ctx.store.window(keys.QDISCS, since=ctx.now - STANDING_QUEUE_SECONDS)
    if long_w is not None and len(long_w) >= 2 and long_w.ts[-1] - long_w.ts[0] >= STANDING_QUEUE_SECONDS * 0.9:
        for col in long_w.columns:
            if field_of(col) == "backlog_bytes" and (not leaves or entity(col) in leaves):
                values = [v for v in long_w.column(col) if v == v]
                if values and min(values) > 0:
                    subject = entity(col)
                    out.append(Finding("qdisc-standing-queue", WARNING,
                                       f"qdisc {subject} never emptied for {STANDING_QUEUE_SECONDS:.0f} s "
                                       f"(bufferbloat: latency without throughput)",
                                       {"min_backlog_bytes": int(min(values)), "max_backlog_bytes": int(max(values))},
                                       knobs, "topic-bufferbloat", subject))
    return out


def nic_errors(ctx: ViewContext) -> list[Finding]:
    out = []
    latest = ctx.latest(keys.LINK_STATS)
    w = ctx.window(keys.LINK_STATS)
    for field_name in ("rx_missed_errors", "rx_fifo_errors", "rx_crc_errors"):
        for col in (c for c in latest if field_of(c) == field_name):
            rate = ctx.rate(w, col) or 0.0
            if rate:
                dev = entity(col)
                out.append(Finding(f"nic-{field_name.replace('_', '-')}", WARNING,
                                   f"{dev}: {field_name} rising ({rate:.1f}/s)", {f"{field_name}_per_s": _rnd(rate)},
                                   {}, "figures-link", dev))
    return out


def tables(ctx: ViewContext) -> list[Finding]:
    out = []
    count, limit = ctx.int_knob("net.netfilter.nf_conntrack_count"), ctx.int_knob("net.netfilter.nf_conntrack_max")
    if count is not None and limit:
        ratio = count / limit
        if ratio >= CONNTRACK_WARN:
            out.append(Finding("conntrack-full", CRITICAL if ratio >= CONNTRACK_CRIT else WARNING,
                               f"conntrack table {100 * ratio:.0f}% full", {"count": count, "max": limit},
                               ctx.knobs("net.netfilter.nf_conntrack_max"), "sysctl-net.netfilter.nf_conntrack_max"))
    sockstat = ctx.latest(keys.SOCKSTAT)
    orphans, max_orphans = sockstat.get("TCP/orphan"), ctx.int_knob("net.ipv4.tcp_max_orphans")
    if orphans is not None and max_orphans:
        ratio = orphans / max_orphans
        if ratio >= ORPHANS_WARN:
            out.append(Finding("orphans-near-limit", CRITICAL if ratio >= ORPHANS_CRIT else WARNING,
                               f"{orphans} orphaned TCP sockets, {100 * ratio:.0f}% of tcp_max_orphans",
                               {"orphans": orphans, "max": max_orphans}, ctx.knobs("net.ipv4.tcp_max_orphans"),
                               "sysctl-net.ipv4.tcp_max_orphans"))
    tw, max_tw = sockstat.get("TCP/tw"), ctx.int_knob("net.ipv4.tcp_max_tw_buckets")
    tw_overflow = _counter_rate(ctx, "TcpExt.TCPTimeWaitOverflow")
    if (tw is not None and max_tw and tw / max_tw >= TIME_WAIT_WARN) or tw_overflow:
        out.append(Finding("time-wait-near-limit", WARNING,
                           f"{tw} sockets in TIME_WAIT against tcp_max_tw_buckets {max_tw}",
                           {"time_wait": tw, "max": max_tw, "TCPTimeWaitOverflow_per_s": _rnd(tw_overflow)},
                           ctx.knobs("net.ipv4.tcp_max_tw_buckets"), "sysctl-net.ipv4.tcp_max_tw_buckets"))
    return out


def _effective(ctx: ViewContext, knob: str, dev: str) -> int | None:
    """rp_filter and arp_filter: the interface's value or conf.all's, the larger one."""
    values = [ctx.int_knob(f"net.ipv4.conf.{n.replace('.', '/')}.{knob}") for n in ("all", dev)]
    present = [v for v in values if v is not None]
    return max(present) if present else None


def multi_nic(ctx: ViewContext) -> list[Finding]:
    routing = ctx.store.detail(keys.ROUTING)
    links = ctx.store.detail(keys.LINKS) or {}
    if routing is None:
        return []
    name = {i: link.name for i, link in links.items()}
    addrs = [a for a in routing.addresses if not a.address.startswith("127.") and a.ifindex in name]
    out = []
    by_net: dict[Any, set[str]] = {}
    for a in addrs:
        net = ipaddress.ip_network(f"{a.address}/{a.prefixlen}", strict=False)
        by_net.setdefault(net, set()).add(name[a.ifindex])
    for net, devs in sorted(by_net.items(), key=lambda kv: str(kv[0])):
        loose = sorted(d for d in devs if _effective(ctx, "arp_filter", d) == 0)
        if len(devs) > 1 and len(loose) > 1:
            out.append(Finding("arp-flux", WARNING,
                               f"{', '.join(sorted(devs))} share {net} with arp_filter 0: any of them may answer ARP "
                               f"for the others' addresses", {"subnet": str(net), "interfaces": sorted(devs)},
                               {f"net.ipv4.conf.{d}.arp_filter": "0" for d in loose}, "topic-arp-filter", str(net)))
    default_oifs = {r.oif for r in routing.routes if r.dst_len == 0}
    with_addr = {name[a.ifindex] for a in addrs}
    if len(with_addr) > 1 and default_oifs:
        out_devs = {name.get(i, f"if{i}") for i in default_oifs if i is not None}
        for dev in sorted(with_addr - out_devs):
            if _effective(ctx, "rp_filter", dev) == 1:
                out.append(Finding("rp-filter-strict-asymmetric", WARNING,
                                   f"strict rp_filter on {dev} while the default route leaves by "
                                   f"{', '.join(sorted(out_devs))}: packets from other networks arriving on {dev} "
                                   f"are dropped", {"interface": dev, "default_route_via": sorted(out_devs)},
                                   ctx.knobs("net.ipv4.conf.all.rp_filter", f"net.ipv4.conf.{dev}.rp_filter"),
                                   "topic-rp-filter", dev))
    return out


RULES: tuple[Callable[[ViewContext], list[Finding]], ...] = (
    listen_queue, syn_flood, tcp_memory, softnet, qdiscs, nic_errors, tables, multi_nic)


def evaluate(ctx: ViewContext) -> list[Finding]:
    """Every rule's findings, most severe first."""
    found = [f for rule in RULES for f in rule(ctx)]
    return sorted(found, key=lambda f: (-SEVERITY_RANK[f.severity], f.id, f.subject))


def exit_code(findings: list[Finding]) -> int:
    """0 when nothing is above info, 1 for a warning, 2 for a critical finding."""
    return max((SEVERITY_RANK[f.severity] for f in findings), default=0)
