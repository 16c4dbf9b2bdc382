"""The overview: one funnel from wire to socket, and the counters that moved most."""

from __future__ import annotations

from dataclasses import dataclass

from .. import keys
from ..keys import COUNTER_KEYS
from .context import ViewContext, field_of
from .counters import CounterRow, tcpext_rows
from .memory import BAD, OK, WARN, memory_states


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

    @property
    def status(self) -> str:
        states = {i.status for i in self.items}
        return BAD if BAD in states else WARN if WARN in states else OK


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
    drops, dtotal = ctx.sum_rate(keys.QDISCS, "drops")
    backlog_cols = [c for c in ctx.latest(keys.QDISCS) if field_of(c) == "backlog_bytes"]
    peaks = [p for p in (ctx.peak(keys.QDISCS, c) for c in backlog_cols) if p is not None]
    peak = max(peaks) if peaks else 0.0
    status = ctx.store.status(keys.QDISCS)
    return Stage("qdisc", "qdiscs", [
        StageItem("drops", drops, dtotal, _drop_status(drops), "qdisc.drops"),
        StageItem("backlog peak B", None, peak, WARN if peak else OK, "qdisc.backlog_bytes")],
        available=not status.down, reason=status.error)


TCP_DROPS = ("ListenOverflows", "ListenDrops", "TCPRcvQDrop", "PruneCalled", "RcvPruned", "OfoPruned",
             "TCPAbortOnMemory")


def _tcp_stage(ctx: ViewContext) -> Stage:
    return Stage("tcp", "TCP", [StageItem(r.name.partition(".")[2], r.rate, r.value, BAD if r.rate else OK, r.name)
                                for r in tcpext_rows(ctx, TCP_DROPS)])


def _memory_stage(ctx: ViewContext) -> Stage:
    items = []
    for m in memory_states(ctx):
        if m.pages is None:
            continue
        if m.pressure:
            label = f"{m.proto} {m.pages:,} pages = {100 * m.pages / m.pressure:.0f}% of pressure"
        else:
            label = f"{m.proto} {m.pages:,} pages (limits not readable here)"
        items.append(StageItem(label, None, None, m.status, f"sockstat.{m.proto}.mem"))
    return Stage("memory", "memory", items)


def funnel(ctx: ViewContext) -> list[Stage]:
    """Wire to socket: NIC -> softnet -> qdiscs -> TCP -> memory pressure."""
    return [_nic_stage(ctx), _softnet_stage(ctx), _qdisc_stage(ctx), _tcp_stage(ctx), _memory_stage(ctx)]


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
    moved.sort(reverse=True)
    rows = []
    for d, name, k, value in moved[:limit]:
        rows.append(CounterRow(name, name.partition(".")[0], value, d,
                               ctx.column_rate(COUNTER_KEYS[k], name), None, False))
    return rows


def overview_note_keys(ctx: ViewContext) -> list[str]:
    keys_ = [f"counter-{i.name}" for stage in funnel(ctx) for i in stage.items if i.name]
    keys_ += [f"counter-{r.name}" for r in movers(ctx)]
    return [*keys_, "sysctl-net.ipv4.tcp_mem", "sysctl-net.ipv4.udp_mem"]
