"""What each pane shows, derived from the store: headless, so tests, snapshot and
the UI agree. Rates are over a recent window; peaks cover at least two frames so
a burst between two refreshes still shows; deltas count from the mark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


from .nlinfo import Link, link_relations, relation_text
from .nlstats import TcStats, format_handle
from .rates import counter_delta
from .sources import SYSCTL_SOURCE
from .store import Store, Window
from .sysctl import MEM_KNOBS, SysctlReading, parse_mem_triple

COUNTER_SOURCES = ("netstat", "snmp", "snmp6")


@dataclass
class Mark:
    """Where deltas start: the time and exact values of every counter source."""

    t: float
    values: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def take(cls, store: Store, t: float) -> "Mark":
        """A mark now: the newest values of every source sampled so far."""
        latest = {src: store.latest(src) for src in store.sources()}
        return cls(t, {src: values for src, (when, values) in latest.items() if when is not None})

    @classmethod
    def at(cls, store: Store, t: float) -> "Mark":
        """A mark at time t in the past, from the first sample of each source taken at or after t."""
        mark = cls(t)
        mark.fill_missing(store)
        return mark

    def fill_missing(self, store: Store) -> None:
        """Sources that had no sample yet when the mark was set count from their first one."""
        for src in store.sources():
            if src in self.values:
                continue
            w = store.window(src, since=self.t)
            if w is not None and len(w):
                first = w.data[:len(w.columns)]
                self.values[src] = {c: int(v) for c, v in zip(w.columns, first) if v == v}

    def delta(self, source: str, name: str, now: int, bits: int | None = None) -> int | None:
        base = self.values.get(source, {}).get(name)
        if base is None:
            return None
        d = now - base
        if d < 0 and bits is not None:
            d += 2**bits
        return d if d >= 0 else None  # gone backwards since the mark: a gap


@dataclass
class ViewContext:
    store: Store
    now: float
    mark: Mark
    rate_window: float = 1.0
    peak_window: float = 2.0
    _windows: dict[tuple[str, float], Window | None] = field(default_factory=dict, repr=False)

    def window(self, source: str, seconds: float | None = None) -> Window | None:
        """A copy of the source's recent samples, taken once per context and reused."""
        key = (source, seconds or self.rate_window)
        if key not in self._windows:
            self._windows[key] = self.store.window(source, since=self.now - key[1])
        return self._windows[key]

    def rate(self, window: Window | None, column: str) -> float | None:
        if window is None or column not in window:
            return None
        return window.delta(column).rate

    def peak(self, source: str, column: str) -> float | None:
        w = self.window(source, self.peak_window)
        if w is None or column not in w:
            return None
        return w.peak(column)


# --- counters ---------------------------------------------------------------------------


@dataclass
class CounterRow:
    name: str
    section: str
    value: int
    delta: int | None  # since the mark
    rate: float | None
    peak_rate: float | None
    gauge: bool


def counter_rows(ctx: ViewContext) -> list[CounterRow]:
    rows = []
    for source in COUNTER_SOURCES:
        _, values = ctx.store.latest(source)
        w = ctx.window(source)
        pw = ctx.window(source, ctx.peak_window)
        for name, value in values.items():
            gauge = bool(w and w.is_gauge(name))
            rows.append(CounterRow(
                name, name.partition(".")[0], value,
                None if gauge else ctx.mark.delta(source, name, value),
                None if gauge else ctx.rate(w, name),
                None if gauge or pw is None or name not in pw else pw.peak_rate(name),
                gauge))
    return rows


# --- overview funnel --------------------------------------------------------------------

OK, WARN, BAD = "ok", "warn", "bad"


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


def _sum_rate(ctx: ViewContext, source: str, suffixes: tuple[str, ...]) -> tuple[float | None, float]:
    """Summed rate and current total of every column ending in one of `suffixes`."""
    w = ctx.window(source)
    _, latest = ctx.store.latest(source)
    cols = [c for c in latest if c.rpartition("/")[2] in suffixes]
    rates = [r for r in (ctx.rate(w, c) for c in cols) if r is not None]
    return (sum(rates) if rates else None), float(sum(latest[c] for c in cols))


def _drop_status(rate: float | None) -> str:
    return BAD if rate else OK


def _nic_stage(ctx: ViewContext) -> Stage:
    use_netlink = ctx.store.status("link_stats").ok
    source = "link_stats" if use_netlink else "dev"
    fields = ({"missed": ("rx_missed_errors", "rx_missed_errors"), "dropped": ("rx_dropped", "rx_dropped"),
               "fifo": ("rx_fifo_errors", "rx_fifo_errors"), "crc": ("rx_crc_errors", "rx_crc_errors")}
              if use_netlink else
              {"dropped": ("rx_drop", "rx_dropped"), "fifo": ("rx_fifo", "rx_fifo_errors"),
               "frame": ("rx_frame", "rx_crc_errors")})
    items = []
    for label, (column, note) in fields.items():
        rate, total = _sum_rate(ctx, source, (column,))
        items.append(StageItem(label, rate, total, _drop_status(rate), f"link.{note}"))
    return Stage("nic", "NIC", items)


def _softnet_stage(ctx: ViewContext) -> Stage:
    dropped, dtotal = _sum_rate(ctx, "softnet_stat", ("dropped",))
    squeeze, stotal = _sum_rate(ctx, "softnet_stat", ("time_squeeze",))
    return Stage("softnet", "softnet", [
        StageItem("dropped", dropped, dtotal, _drop_status(dropped), "softnet.dropped"),
        StageItem("time_squeeze", squeeze, stotal, WARN if squeeze else OK, "softnet.time_squeeze")])


def _qdisc_stage(ctx: ViewContext) -> Stage:
    drops, dtotal = _sum_rate(ctx, "qdiscs", ("drops",))
    _, latest = ctx.store.latest("qdiscs")
    backlog_cols = [c for c in latest if c.endswith("/backlog_bytes")]
    peaks = [p for p in (ctx.peak("qdiscs", c) for c in backlog_cols) if p is not None]
    peak = max(peaks) if peaks else 0.0
    status = ctx.store.status("qdiscs")
    return Stage("qdisc", "qdiscs", [
        StageItem("drops", drops, dtotal, _drop_status(drops), "qdisc.drops"),
        StageItem("backlog peak B", None, peak, WARN if peak else OK, "qdisc.backlog_bytes")],
        available=status.ok is not False, reason=status.error)


TCP_DROPS = ("ListenOverflows", "ListenDrops", "TCPRcvQDrop", "PruneCalled", "RcvPruned", "OfoPruned",
             "TCPAbortOnMemory")


def _tcp_stage(ctx: ViewContext) -> Stage:
    w = ctx.window("netstat")
    _, latest = ctx.store.latest("netstat")
    items = []
    for field_name in TCP_DROPS:
        name = f"TcpExt.{field_name}"
        if name in latest:
            rate = ctx.rate(w, name)
            items.append(StageItem(field_name, rate, latest[name], BAD if rate else OK, name))
    return Stage("tcp", "TCP", items)


@dataclass
class MemoryState:
    proto: str
    pages: int | None
    low: int | None
    pressure: int | None
    high: int | None
    press: str | None
    peak_pages: float | None

    @property
    def status(self) -> str:
        if self.pages is None or self.pressure is None or self.high is None:
            return OK if self.press != "yes" else BAD
        if self.press == "yes" or self.pages >= self.pressure:
            return BAD
        # within 20% of the pressure mark: worth a look before the kernel starts to trim
        return WARN if self.pages >= 0.8 * self.pressure else OK


def memory_states(ctx: ViewContext) -> list[MemoryState]:
    sysctls: SysctlReading | None = ctx.store.detail(SYSCTL_SOURCE)
    protocols = ctx.store.detail("protocols")
    from .protocols import parse_protocols
    table = parse_protocols(protocols) if protocols else {}
    _, sockstat = ctx.store.latest("sockstat")
    out = []
    for proto in ("TCP", "UDP"):
        limits: dict[str, int] = {}
        if sysctls and MEM_KNOBS[f"{proto.lower()}_mem"] in sysctls.values:
            try:
                limits = parse_mem_triple(sysctls.values[MEM_KNOBS[f"{proto.lower()}_mem"]])
            except ValueError:
                limits = {}
        column = f"{proto}/mem"
        out.append(MemoryState(proto, sockstat.get(column), limits.get("low"), limits.get("pressure"),
                               limits.get("high"), str(table.get(proto, {}).get("press") or "") or None,
                               ctx.peak("sockstat", column)))
    return out


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
    moved: list[tuple[int, str, str, int]] = []
    for source in COUNTER_SOURCES:
        _, values = ctx.store.latest(source)
        w = ctx.store.window(source, last=1)
        for name, value in values.items():
            if w is not None and w.is_gauge(name):
                continue
            d = ctx.mark.delta(source, name, value)
            if d:
                moved.append((d, source, name, value))
    moved.sort(reverse=True)
    rows = []
    for d, source, name, value in moved[:limit]:
        w = ctx.window(source)
        rows.append(CounterRow(name, name.partition(".")[0], value, d, ctx.rate(w, name), None, False))
    return rows


# --- qdiscs -----------------------------------------------------------------------------


@dataclass
class TcRow:
    dev: str
    depth: int
    what: str  # "qdisc" or "class"
    handle: str
    parent: str
    kind: str
    backlog_bytes: int
    peak_backlog_bytes: float | None
    backlog_packets: int
    drops_rate: float | None
    overlimits_rate: float | None
    requeues_rate: float | None
    bytes_rate: float | None
    key: str  # store column prefix


def _tc_records(ctx: ViewContext) -> list[tuple[str, TcStats]]:
    out = [("qdisc", r) for r in (ctx.store.detail("qdiscs") or [])]
    classes = ctx.store.detail("classes")
    if classes:
        out += [("class", r) for r in classes[0]]
    return out


def tc_rows(ctx: ViewContext) -> list[TcRow]:
    """Per device, a tree: each object under its parent, classes under their qdisc."""
    links: dict[int, Link] = ctx.store.detail("links") or {}
    windows = {"qdisc": ctx.window("qdiscs"), "class": ctx.window("classes")}
    by_dev: dict[int, list[tuple[str, TcStats]]] = {}
    for what, r in _tc_records(ctx):
        by_dev.setdefault(r.ifindex, []).append((what, r))
    rows = []
    for ifindex in sorted(by_dev):
        dev = links[ifindex].name if ifindex in links else f"if{ifindex}"
        items = by_dev[ifindex]
        # a class hangs under its qdisc (X:) or parent class; a qdisc under the class it is attached to
        handles = {r.handle for _, r in items}
        children: dict[int, list[tuple[str, TcStats]]] = {}
        roots = []
        for what, r in items:
            parent = r.parent
            if what == "class" and parent not in handles:
                parent = r.handle & 0xFFFF0000  # a top class (parent root) belongs to its qdisc X:
            if parent in handles and parent != r.handle:
                children.setdefault(parent, []).append((what, r))
            else:
                roots.append((what, r))

        def walk(what: str, r: TcStats, depth: int) -> None:
            key = f"{dev} {format_handle(r.handle)}"
            w = windows[what]
            source = "qdiscs" if what == "qdisc" else "classes"
            rows.append(TcRow(dev, depth, what, format_handle(r.handle), format_handle(r.parent), r.kind,
                              r.backlog_bytes, ctx.peak(source, f"{key}/backlog_bytes"), r.backlog_packets,
                              ctx.rate(w, f"{key}/drops"), ctx.rate(w, f"{key}/overlimits"),
                              ctx.rate(w, f"{key}/requeues"), ctx.rate(w, f"{key}/bytes"), key))
            for child in sorted(children.get(r.handle, []), key=lambda x: (x[0] != "class", x[1].handle)):
                walk(child[0], child[1], depth + 1)

        for what, r in sorted(roots, key=lambda x: x[1].handle):
            walk(what, r, 0)
    return rows


def series(store: Store, source: str, column: str, seconds: float, now: float) -> tuple[list[float], list[float]]:
    """Recent samples of one column, for a chart: (seconds before now, value)."""
    w = store.window(source, since=now - seconds)
    if w is None or column not in w:
        return [], []
    ys = list(w.column(column))
    xs = [t - now for t in w.ts]
    return xs, ys


def rate_series(store: Store, source: str, column: str, seconds: float, now: float) -> tuple[list[float], list[float]]:
    """Sample-to-sample rate of a counter column; gaps are skipped."""
    xs, ys = series(store, source, column, seconds, now)
    out_x, out_y = [], []
    for k in range(1, len(xs)):
        dt = xs[k] - xs[k - 1]
        if dt <= 0 or math.isnan(ys[k]) or math.isnan(ys[k - 1]):
            continue
        d = counter_delta([0.0, dt], [ys[k - 1], ys[k]])
        if d.rate is not None:
            out_x.append(xs[k])
            out_y.append(d.rate)
    return out_x, out_y


# --- interfaces -------------------------------------------------------------------------


@dataclass
class InterfaceRow:
    name: str
    depth: int
    kind: str
    operstate: str
    relation: str
    rx_bps: float | None
    tx_bps: float | None
    rx_pps: float | None
    tx_pps: float | None
    errors: int
    drops: int
    missed: int
    drops_rate: float | None


def interface_rows(ctx: ViewContext) -> list[InterfaceRow]:
    """Links in hierarchy order: masters first with their ports under them."""
    links: dict[int, Link] = ctx.store.detail("links") or {}
    _, stats = ctx.store.latest("link_stats")
    w = ctx.window("link_stats")
    use_netlink = bool(stats)
    if not use_netlink:
        _, stats = ctx.store.latest("dev")
        w = ctx.window("dev")
    names = sorted({k.rpartition("/")[0] for k in stats})
    by_name = {link.name: link for link in links.values()}
    relations = link_relations(links) if links else {}
    ports: dict[str, list[str]] = {}
    for name in names:
        link = by_name.get(name)
        master = relations.get(link.index, {}).get("master") if link else None
        if master:
            ports.setdefault(master, []).append(name)
    rows: list[InterfaceRow] = []

    def row(name: str, depth: int) -> InterfaceRow:
        link = by_name.get(name)
        p = f"{name}/"
        if use_netlink:
            keys = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets")
            errors = stats.get(p + "rx_errors", 0) + stats.get(p + "tx_errors", 0)
            drops = stats.get(p + "rx_dropped", 0) + stats.get(p + "tx_dropped", 0)
            missed = stats.get(p + "rx_missed_errors", 0)
            drop_cols = ("rx_dropped", "tx_dropped", "rx_missed_errors")
        else:
            keys = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets")
            errors = stats.get(p + "rx_errs", 0) + stats.get(p + "tx_errs", 0)
            drops = stats.get(p + "rx_drop", 0) + stats.get(p + "tx_drop", 0)
            missed = stats.get(p + "rx_fifo", 0)
            drop_cols = ("rx_drop", "tx_drop", "rx_fifo")
        rx_b, tx_b, rx_p, tx_p = (ctx.rate(w, p + k) for k in keys)
        drop_rates = [r for r in (ctx.rate(w, p + c) for c in drop_cols) if r is not None]
        rel = relations.get(link.index, {}) if link else {}
        return InterfaceRow(name, depth, (link.kind or "-") if link else "?",
                            link.operstate if link else "?", relation_text(rel),
                            None if rx_b is None else rx_b * 8, None if tx_b is None else tx_b * 8,
                            rx_p, tx_p, errors, drops, missed, sum(drop_rates) if drop_rates else None)

    placed: set[str] = set()

    def place(name: str, depth: int) -> None:
        if name in placed:
            return
        placed.add(name)
        rows.append(row(name, depth))
        for port in sorted(ports.get(name, [])):
            place(port, depth + 1)

    for name in names:
        link = by_name.get(name)
        master = relations.get(link.index, {}).get("master") if link else None
        if not master or master not in names:
            place(name, 0)
    for name in names:  # ports whose master is elsewhere
        place(name, 0)
    return rows


# --- softnet ----------------------------------------------------------------------------


@dataclass
class SoftnetRow:
    cpu: str
    processed_rate: float | None
    dropped_rate: float | None
    squeeze_rate: float | None
    dropped: int
    time_squeeze: int
    backlog_peak: float | None


def softnet_rows(ctx: ViewContext) -> list[SoftnetRow]:
    _, latest = ctx.store.latest("softnet_stat")
    w = ctx.window("softnet_stat")
    cpus = sorted({k.partition("/")[0] for k in latest}, key=lambda c: int(c[3:]) if c[3:].isdigit() else 0)
    return [SoftnetRow(cpu, ctx.rate(w, f"{cpu}/processed"), ctx.rate(w, f"{cpu}/dropped"),
                       ctx.rate(w, f"{cpu}/time_squeeze"), latest.get(f"{cpu}/dropped", 0),
                       latest.get(f"{cpu}/time_squeeze", 0), ctx.peak("softnet_stat", f"{cpu}/backlog_len"))
            for cpu in cpus]


SOFTNET_KNOBS = ("net.core.netdev_max_backlog", "net.core.netdev_budget", "net.core.netdev_budget_usecs")


def knob_values(ctx: ViewContext, names: tuple[str, ...]) -> dict[str, str]:
    sysctls: SysctlReading | None = ctx.store.detail(SYSCTL_SOURCE)
    out = {}
    for n in names:
        if sysctls and n in sysctls.values:
            out[n] = sysctls.values[n]
        elif sysctls and n in sysctls.absent:
            out[n] = "n/a"
    return out


# --- sockets ----------------------------------------------------------------------------


@dataclass
class ListenerRow:
    local: str
    accept_queue: int
    peak: float | None
    backlog: int
    inode: int


def listener_rows(ctx: ViewContext) -> list[ListenerRow]:
    socks = ctx.store.detail("listeners") or []
    return [ListenerRow(s.local, s.rqueue, ctx.peak("listeners", f"{s.local}/accept_queue"), s.wqueue, s.inode)
            for s in socks]


TRACKED_STATES = ("ESTABLISHED", "SYN_RECV", "TIME_WAIT", "CLOSE_WAIT", "FIN_WAIT2", "LISTEN")


def state_counts(ctx: ViewContext) -> list[tuple[str, int, float | None]]:
    """(state, count now, change per second) including orphans from sockstat."""
    _, states = ctx.store.latest("tcp_states")
    w = ctx.window("tcp_states", max(ctx.rate_window, 3.0))
    out = []
    for state in TRACKED_STATES:
        out.append((state, states.get(state, 0), _gauge_slope(w, state)))
    _, sockstat = ctx.store.latest("sockstat")
    ws = ctx.window("sockstat", max(ctx.rate_window, 3.0))
    out.append(("orphans", sockstat.get("TCP/orphan", 0), _gauge_slope(ws, "TCP/orphan")))
    return out


def _gauge_slope(w: Window | None, column: str) -> float | None:
    if w is None or column not in w or len(w) < 2:
        return None
    col = w.column(column)
    dt = w.ts[-1] - w.ts[0]
    if dt <= 0 or math.isnan(col[0]) or math.isnan(col[-1]):
        return None
    return (col[-1] - col[0]) / dt


def sampling_rate(store: Store, now: float, source: str = "netstat") -> float | None:
    """Samples per second actually taken over the last two seconds."""
    w = store.window(source, since=now - 2.0)
    if w is None or len(w) < 2:
        return None
    span = w.ts[-1] - w.ts[0]
    return (len(w) - 1) / span if span > 0 else None
