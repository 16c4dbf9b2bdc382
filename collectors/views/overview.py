"""The overview: one funnel from wire to socket, and the counters that moved most."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .. import keys
from ..keys import COUNTER_KEYS, Key
from .context import Freshness, ViewContext, field_of
from .counters import CounterRow, counter_weight, tcpext_rows
from .drops import NOT_SPECIFIED, ROUTINE, reason_rows
from .memory import BAD, OK, WARN, memory_states
from .tc import leaf_qdiscs

STALE = "stale"
RANK = {OK: 0, WARN: 1, BAD: 2}
SEVERITY_STATUS = {"warning": WARN, "critical": BAD}


class StageAlert(Protocol):
    """What the funnel needs of a finding: the stage it speaks for and how bad it is."""

    stage: str
    severity: str


@dataclass
class StageItem:
    label: str
    rate: float | None
    value: float | None = None
    status: str = OK
    name: str = ""  # what its note is filed under: `TcpExt.ListenOverflows`, `softnet.dropped`


@dataclass
class Stage:
    key: str
    title: str
    items: list[StageItem]
    available: bool = True
    reason: str | None = None
    alert: str = OK  # the worst finding on this stage
    freshness: Freshness | None = None  # of the source it reads, when that is not live

    @property
    def status(self) -> str:
        """ok, warn or bad from its figures and its findings; stale when its source is not live."""
        if self.freshness is not None:
            return STALE
        states = {i.status for i in self.items} | {self.alert}
        return BAD if BAD in states else WARN if WARN in states else OK

    @property
    def word(self) -> str:
        """What the state column says: `DROP` when something drops, `CRIT` for a critical finding
        without drops, `WARN`, `ok`, or `?` when the figures are not live."""
        status = self.status
        if status == STALE:
            return "?"
        if status == BAD:
            return "DROP" if any(i.status == BAD for i in self.items) else "CRIT"
        return {WARN: "WARN", OK: "ok"}[status]


def _drop_status(rate: float | None) -> str:
    return BAD if rate else OK


# (label, column, shown unless this column exists): /proc/net/dev's `frame` already counts crc errors
NIC_ITEMS = (("missed", "rx_missed_errors", ""), ("dropped", "rx_dropped", ""), ("fifo", "rx_fifo_errors", ""),
             ("crc", "rx_crc_errors", ""), ("frame", "rx_frame_errors", "rx_crc_errors"))


def _nic_stage(ctx: ViewContext) -> Stage:
    source = ctx.link_source()
    present = {field_of(c) for c in ctx.latest(source)}
    items = []
    for label, column, unless in NIC_ITEMS:
        if column in present and unless not in present:
            rate, total = ctx.sum_rate(source, column)
            items.append(StageItem(label, rate, total, _drop_status(rate), f"link.{column}"))
    return Stage("nic", "NIC", items)


def _softnet_stage(ctx: ViewContext) -> Stage:
    dropped, dtotal = ctx.sum_rate(keys.SOFTNET, "dropped")
    squeeze, stotal = ctx.sum_rate(keys.SOFTNET, "time_squeeze")
    return Stage("softnet", "softnet", [
        StageItem("dropped", dropped, dtotal, _drop_status(dropped), "softnet.dropped"),
        StageItem("time_squeeze", squeeze, stotal, WARN if squeeze else OK, "softnet.time_squeeze")])


def _qdisc_stage(ctx: ViewContext) -> Stage:
    """Drops and backlog of the leaf qdiscs only: a classful qdisc adds up its children's, so
    summing every qdisc would count a packet twice (tc -s shows it once per leaf)."""
    w = ctx.window(keys.QDISCS)
    leaves = [ctx.tc_entity(r) for r in leaf_qdiscs(ctx)]
    rates = [r for r in (ctx.rate(w, f"{e}/drops") for e in leaves) if r is not None]
    drops = sum(rates) if rates else None
    latest = ctx.latest(keys.QDISCS)
    total = sum(latest.get(f"{e}/drops", 0) for e in leaves)
    peaks = [p for p in (ctx.peak(keys.QDISCS, f"{e}/backlog_bytes") for e in leaves) if p is not None]
    peak = max(peaks) if peaks else 0.0
    return Stage("qdisc", "qdiscs", [
        StageItem("drops", drops, total, _drop_status(drops), "qdisc.drops"),
        StageItem("backlog peak B", None, peak, WARN if peak else OK, "qdisc.backlog_bytes")])


TCP_DROPS = ("ListenOverflows", "ListenDrops", "TCPRcvQDrop", "PruneCalled", "RcvPruned", "OfoPruned",
             "TCPAbortOnMemory")
TCP_WARNINGS = ("SyncookiesSent", "TCPReqQFullDrop")  # a SYN queue overflowing: not a drop of data (yet)


def _tcp_stage(ctx: ViewContext) -> Stage:
    items = [StageItem(r.name.partition(".")[2], r.rate, r.value, BAD if r.rate else OK, r.name)
             for r in tcpext_rows(ctx, TCP_DROPS)]
    items += [StageItem(r.name.partition(".")[2], r.rate, r.value, WARN, r.name)
              for r in tcpext_rows(ctx, TCP_WARNINGS) if r.rate]
    return Stage("tcp", "TCP", items)


def _memory_stage(ctx: ViewContext) -> Stage:
    items = []
    for m in memory_states(ctx):
        if m.pages is None:
            continue
        if m.bound:
            label = f"{m.proto} {100 * m.pages / m.bound:.0f}% of {m.bound_name}"
        else:
            label = f"{m.proto} {m.pages:,} pages (limits not readable here)"
        items.append(StageItem(label, None, None, m.status, f"sockstat.{m.proto}.mem"))
    return Stage("memory", "memory", items)


DROP_ITEMS = 3


def _drops_stage(ctx: ViewContext) -> Stage:
    """The kernel's own reasons, busiest first: what the counters above cannot say."""
    rows = [r for r in reason_rows(ctx) if r.rate or r.delta]
    items = [StageItem(r.reason, r.rate, r.delta,
                       BAD if r.rate and r.reason not in ROUTINE and r.reason != NOT_SPECIFIED else OK,
                       f"drop.{r.reason}")
             for r in rows[:DROP_ITEMS]]
    return Stage("drops", "reasons", items)


def _sources(ctx: ViewContext) -> dict[str, Key[Any]]:
    return {"nic": ctx.link_source(), "softnet": keys.SOFTNET, "qdisc": keys.QDISCS, "tcp": keys.NETSTAT,
            "memory": keys.SOCKSTAT, "drops": keys.DROPS}


def funnel(ctx: ViewContext, alerts: Iterable[StageAlert] = ()) -> list[Stage]:
    """Wire to socket: NIC -> softnet -> qdiscs -> TCP -> memory pressure, then the kernel's drop
    reasons. A stage is at least as bad as the findings on it, and `stale` when its source is not
    live (never a stale `ok`)."""
    stages = [_nic_stage(ctx), _softnet_stage(ctx), _qdisc_stage(ctx), _tcp_stage(ctx), _memory_stage(ctx),
              _drops_stage(ctx)]
    worst: dict[str, str] = {}
    for a in alerts:
        status = SEVERITY_STATUS.get(a.severity, OK)
        if RANK[status] > RANK[worst.get(a.stage, OK)]:
            worst[a.stage] = status
    sources = _sources(ctx)
    for stage in stages:
        stage.alert = worst.get(stage.key, OK)
        fresh = ctx.freshness(sources[stage.key])
        if fresh.state == "not applicable":
            stage.available, stage.reason = False, fresh.reason
        elif not fresh.live:
            stage.freshness = fresh
    return stages


def movers(ctx: ViewContext, limit: int = 8) -> list[CounterRow]:
    """Counters that moved most since the mark (gauges left out); rates only for those shown."""
    moved: list[tuple[int, str, int, int]] = []
    for k, key in enumerate(COUNTER_KEYS):
        w = ctx.store.window(key, last=1)
        for name, value in ctx.latest(key).items():
            if w is not None and w.is_gauge(name):
                continue
            d = ctx.mark.delta(key, name, value)
            if d:
                moved.append((d, name, k, value))
    moved.sort(key=lambda m: (counter_weight(m[1]), m[0], m[1]), reverse=True)
    rows = []
    for d, name, k, value in moved[:limit]:
        rows.append(CounterRow(name, name.partition(".")[0], value, d,
                               ctx.column_rate(COUNTER_KEYS[k], name), None, False))
    return rows


def overview_note_keys(ctx: ViewContext) -> list[str]:
    keys_ = [f"counter-{i.name}" for stage in funnel(ctx) for i in stage.items if i.name]
    keys_ += [f"counter-{r.name}" for r in movers(ctx)]
    return [*keys_, "sysctl-net.ipv4.tcp_mem", "sysctl-net.ipv4.udp_mem"]
