"""Queue rules: softnet backlogs, qdisc drops and standing queues, NIC receive errors."""

from __future__ import annotations

from .. import keys
from ..nlstats import TcStats, format_handle
from ..views.context import ViewContext, entity, field_of
from ..views.tc import leaf_qdiscs
from .base import NIC, QDISC, SOFTNET, WARNING, Finding, Msg, rnd, rule

# The softirq stopping early now and then is normal; ten times a second is a CPU that cannot keep up.
TIME_SQUEEZE_PER_S = 10.0
# A queue that never empties for this long is a standing queue, not a burst.
STANDING_QUEUE_SECONDS = 2.0
# A class sending at 90 % of its ceil or more is held back by it.
AT_CEIL = 0.9
LIMIT_UNIT = {"bfifo": "bytes", "tbf": "bytes"}  # the others count packets


def bits(bytes_per_s: float | int) -> str:
    """125000 B/s -> '1Mbit/s', as tc writes rates."""
    value = float(bytes_per_s) * 8
    for factor, unit in ((1e9, "Gbit"), (1e6, "Mbit"), (1e3, "Kbit")):
        if value >= factor:
            return f"{value / factor:.3g}{unit}/s"
    return f"{value:.0f}bit/s"


@rule(keys.SOFTNET)
def softnet(ctx: ViewContext) -> list[Finding]:
    out = []
    dropped = ctx.sum_rate(keys.SOFTNET, "dropped")[0] or 0.0
    squeeze = ctx.sum_rate(keys.SOFTNET, "time_squeeze")[0] or 0.0
    backlog = ctx.knob("net.core.netdev_max_backlog")
    if dropped:
        out.append(Finding("softnet-drops", WARNING,
                           Msg("CPU input backlogs overflow ({rate:.1f} packets/s dropped)", rate=dropped),
                           {"dropped_per_s": rnd(dropped)}, ctx.knobs("net.core.netdev_max_backlog"),
                           "figures-softnet", "", SOFTNET,
                           Msg("net.core.netdev_max_backlog {backlog} packets per CPU", backlog=backlog or "?")))
    if squeeze >= TIME_SQUEEZE_PER_S:
        budget = ctx.knobs("net.core.netdev_budget", "net.core.netdev_budget_usecs")
        out.append(Finding("softnet-squeeze", WARNING,
                           Msg("receive softirq runs out of budget ({rate:.1f} time_squeeze/s)", rate=squeeze),
                           {"time_squeeze_per_s": rnd(squeeze)}, budget, "figures-softnet", "", SOFTNET,
                           Msg("net.core.netdev_budget {values} (packets / microseconds per softirq run)",
                               values=" / ".join(budget.values()))))
    return out


def _limit(ctx: ViewContext, r: TcStats) -> tuple[str, str]:
    """(what, value) of the limit a leaf qdisc drops at: its own, or the device's txqueuelen."""
    if "limit" in r.options:
        unit = LIMIT_UNIT.get(r.kind, "packets")
        return f"{r.dev} {format_handle(r.handle)} {r.kind} limit", Msg(f"{{limit:,}} {unit}", limit=r.options["limit"])
    links = ctx.store.detail(keys.LINKS) or {}
    link = links.get(r.ifindex)
    if link is not None and link.txqlen is not None:
        return (Msg("{dev} txqueuelen ({kind} queues up to it)", dev=link.name, kind=r.kind),
                Msg("{limit:,} packets", limit=link.txqlen))
    return f"{r.dev} {format_handle(r.handle)} {r.kind} limit", Msg("not known")


def _parent_class(ctx: ViewContext, r: TcStats) -> tuple[str, str] | None:
    """The htb class a leaf hangs under, with its rate, ceil and what it sends now."""
    cls = next((c for c in ctx.store.detail(keys.CLASSES) or [] if c.ifindex == r.ifindex
                and c.handle == r.parent), None)
    if cls is None or "ceil" not in cls.options:
        return None
    sending = ctx.column_rate(keys.CLASSES, f"{ctx.tc_entity(cls)}/bytes") or 0.0
    ceil = cls.options["ceil"]
    held = ceil and sending >= AT_CEIL * ceil
    text = ("rate {rate} ceil {ceil}, sending {sending} — held at its ceil" if held
            else "rate {rate} ceil {ceil}, sending {sending}")
    return (f"{r.dev} class {format_handle(cls.handle)} {cls.kind}",
            Msg(text, rate=bits(cls.options.get("rate", 0)), ceil=bits(ceil), sending=bits(sending)))


def _qdisc_bound(ctx: ViewContext, r: TcStats) -> tuple[str, dict[str, str]]:
    knobs = dict([_limit(ctx, r)])
    parent = _parent_class(ctx, r)
    if parent is not None:
        knobs[parent[0]] = parent[1]
    if r.kind == "tbf" and "rate" in r.options:
        knobs[f"{r.dev} {format_handle(r.handle)} tbf rate"] = bits(r.options["rate"])
    if r.handle & 0xFFFF0000 == 0:  # a default qdisc nobody configured
        knobs.update(ctx.knobs("net.core.default_qdisc"))
    parts = [Msg("{what} {value}", what=k, value=v) for k, v in knobs.items()]
    return Msg("; ".join(f"{{p{i}}}" for i in range(len(parts))), **{f"p{i}": p for i, p in enumerate(parts)}), knobs


@rule(keys.QDISCS)
def qdisc_drops(ctx: ViewContext) -> list[Finding]:
    out = []
    w = ctx.window(keys.QDISCS)
    for r in leaf_qdiscs(ctx):
        subject = ctx.tc_entity(r)
        rate = ctx.rate(w, f"{subject}/drops") or 0.0
        if rate:
            bound, knobs = _qdisc_bound(ctx, r)
            out.append(Finding("qdisc-drops", WARNING, Msg("qdisc {subject} ({kind}) drops {rate:.1f} packets/s",
                                                          subject=subject, kind=r.kind, rate=rate),
                               {"drops_per_s": rnd(rate), "drops": r.drops}, knobs, "figures-qdisc", subject, QDISC,
                               bound))
    return out


@rule(keys.QDISCS)
def standing_queues(ctx: ViewContext) -> list[Finding]:
    long_w = ctx.store.window(keys.QDISCS, since=ctx.now - STANDING_QUEUE_SECONDS)
    if long_w is None or len(long_w) < 2 or long_w.ts[-1] - long_w.ts[0] < STANDING_QUEUE_SECONDS * 0.9:
        return []
    out = []
    for r in leaf_qdiscs(ctx):
        subject = ctx.tc_entity(r)
        col = f"{subject}/backlog_bytes"
        values = [v for v in long_w.column(col) if v == v] if col in long_w else []
        if values and min(values) > 0:
            bound, knobs = _qdisc_bound(ctx, r)
            out.append(Finding("qdisc-standing-queue", WARNING,
                               Msg("qdisc {subject} never emptied for {seconds:.0f} s (bufferbloat: latency "
                                   "without throughput)", subject=subject, seconds=STANDING_QUEUE_SECONDS),
                               {"min_backlog_bytes": int(min(values)), "max_backlog_bytes": int(max(values))},
                               knobs, "topic-bufferbloat", subject, QDISC, bound))
    return out


NIC_FIELDS = ("rx_missed_errors", "rx_fifo_errors", "rx_crc_errors")


@rule(keys.LINK_STATS)
def nic_errors(ctx: ViewContext) -> list[Finding]:
    out = []
    latest = ctx.latest(keys.LINK_STATS)
    w = ctx.window(keys.LINK_STATS)
    for field_name in NIC_FIELDS:
        for col in (c for c in latest if field_of(c) == field_name):
            rate = ctx.rate(w, col) or 0.0
            if rate:
                dev = entity(col)
                bound = (Msg("the NIC's receive ring (ethtool -g) or a CPU that drains it too slowly")
                         if field_name != "rx_crc_errors" else Msg("the link itself: cable, optics or the peer"))
                out.append(Finding(f"nic-{field_name.replace('_', '-')}", WARNING,
                                   Msg("{dev}: {field} rising ({rate:.1f}/s)", dev=dev, field=field_name, rate=rate),
                                   {f"{field_name}_per_s": rnd(rate)},
                                   {}, "figures-link", dev, NIC, bound))
    return out
