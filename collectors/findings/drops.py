"""Drop-reason rules: the kernel says why it dropped; name the limit or the culprit.

A reason whose counter already has its own rule (accept queues, qdiscs, CPU backlogs) is
left to that rule, which knows the bound better. NOT_SPECIFIED never drives a finding: the
code that freed the packet gave no reason, so there is nothing to diagnose but a location.
"""

from __future__ import annotations

from .. import keys
from ..views.connections import dropping_udp
from ..views.context import ViewContext
from ..views.drops import NOT_SPECIFIED, ROUTINE, reason_rows, top_location
from .base import CRITICAL, DROPS, INFO, WARNING, Finding, Msg, rnd, rule

# One drop a second, sustained over the rate window, is no longer an accident.
MIN_RATE = 1.0
# A thousand a second is traffic lost in bulk.
CRITICAL_RATE = 1000.0
COVERED = frozenset({"TCP_LISTEN_OVERFLOW", "QDISC_DROP", "CPU_BACKLOG"})
# reason -> (knobs whose live values matter, what bounds it)
BOUNDS: dict[str, tuple[tuple[str, ...], str]] = {
    "SOCKET_RCVBUFF": (("net.core.rmem_default", "net.core.rmem_max"),
                       ("a socket's receive buffer: SO_RCVBUF, else net.core.rmem_default {rmem_default}; "
                       "SO_RCVBUF is capped at net.core.rmem_max {rmem_max}")),
    "PROTO_MEM": (("net.ipv4.udp_mem", "net.ipv4.tcp_mem"),
                  ("protocol memory for all sockets: udp_mem[0] ({udp_mem}) for UDP, "
                  "tcp_mem ({tcp_mem}) for TCP, in pages")),
    "SOCKET_BACKLOG": (("net.core.rmem_max",),
                       "a socket's backlog while its owner holds the lock: receive buffer plus send buffer"),
    "TCP_ZEROWINDOW": ((), "the receiver's window is zero: the application is not reading"),
    "TCP_OFO_QUEUE_PRUNE": (("net.ipv4.tcp_rmem",), "the receive buffer, net.ipv4.tcp_rmem {tcp_rmem}"),
    "NETFILTER_DROP": (("net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_count"),
                       ("a netfilter rule or conntrack (nf_conntrack_count {nf_conntrack_count} of "
                       "nf_conntrack_max {nf_conntrack_max})")),
    "IP_RPFILTER": (("net.ipv4.conf.all.rp_filter",),
                    ("reverse-path filtering: net.ipv4.conf.all.rp_filter {rp_filter} "
                    "(the higher of all and the interface's value applies)")),
    "NEIGH_QUEUEFULL": ((), "packets queued per unresolved neighbour: net.ipv4.neigh.<dev>.unres_qlen_bytes"),
    "NEIGH_FAILED": ((), "a neighbour that does not answer ARP/ND"),
    "FULL_RING": ((), "the device's transmit ring (ethtool -g)"),
    "DEV_READY": ((), "a device that is down or has no carrier"),
    "NOMEM": ((), "memory for a packet buffer"),
}


def per_second(rate: float) -> str:
    """3806.6 -> '3.8k', 12.0 -> '12': the strip has no room for more digits."""
    for factor, suffix in ((1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.1f}{suffix}"
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"


def _bound(ctx: ViewContext, reason: str) -> tuple[dict[str, str], str]:
    """The knobs and the bound of a reason; the bound's `{field}` is the knob's last name part."""
    names, template = BOUNDS.get(reason, ((), ""))
    knobs = ctx.knobs(*names) if names else {}
    values = {n.rpartition(".")[2]: knobs.get(n, "?") for n in names}
    return knobs, Msg(template, **values) if template else ""


@rule(keys.DROPS)
def drop_reasons(ctx: ViewContext) -> list[Finding]:
    out = []
    covered = COVERED | ({"SOCKET_RCVBUFF"} if dropping_udp(ctx) else set())  # named with its owner there
    for row in reason_rows(ctx):
        rate = row.rate or 0.0
        if rate < MIN_RATE or row.reason in covered or row.reason == NOT_SPECIFIED or row.reason.startswith("("):
            continue
        severity = INFO if row.reason in ROUTINE else CRITICAL if rate >= CRITICAL_RATE else WARNING
        where = top_location(ctx, row.reason)
        knobs, bound = _bound(ctx, row.reason)
        evidence = {"reason": row.reason, "location": where, "per_s": rnd(rate), "since_mark": row.delta,
                    "counter": row.counter or None, "counter_per_s": rnd(row.counter_rate)}
        function = where.partition("+")[0]  # the offset is on the Drops pane: titles stay short at 80 columns
        title = (Msg("{reason} {rate}/s at {function}", reason=row.reason, rate=per_second(rate), function=function)
                 if function else Msg("{reason} {rate}/s", reason=row.reason, rate=per_second(rate)))
        out.append(Finding("drop-reason", severity, title, evidence, knobs, f"counter-drop.{row.reason}",
                           row.reason, DROPS, bound))
    return out
