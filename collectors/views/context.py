"""The view context: one frame's time, mark and windows, and the helpers views share.

Rates are over a recent window; peaks cover at least two frames so a burst
between two refreshes still shows; deltas count from the mark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import keys
from ..keys import Key
from ..nlstats import TcStats, format_handle
from ..store import State, Store, Window

if TYPE_CHECKING:
    from ..owners import SocketOwners

LIVE, STALE, DOWN, NOT_APPLICABLE, PENDING = "live", "stale", "down", "not applicable", "pending"


@dataclass(frozen=True)
class Freshness:
    """Whether a source's figures describe now: live, stale (no sample for too long), down,
    not applicable here, or not read yet; with the time of its last sample and why."""

    state: str
    last_seen: float | None = None
    reason: str | None = None

    @property
    def live(self) -> bool:
        return self.state == LIVE


@dataclass
class Mark:
    """Where deltas start: the time and exact values of every source, by source name."""

    t: float
    values: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def take(cls, store: Store, t: float) -> Mark:
        """A mark now: the newest values of every source sampled so far."""
        mark = cls(t)
        for key in store.sources():
            when, values = store.latest(key)
            if when is not None:
                mark.values[key.name] = values
        return mark

    @classmethod
    def at(cls, store: Store, t: float) -> Mark:
        """A mark at time t in the past, from the first sample of each source taken at or after t."""
        mark = cls(t)
        mark.fill_missing(store)
        return mark

    def fill_missing(self, store: Store) -> None:
        """Sources that had no sample yet when the mark was set count from their first one."""
        for key in store.sources():
            if key.name in self.values:
                continue
            w = store.window(key, since=self.t)
            if w is not None and len(w):
                first = w.data[:len(w.columns)]
                self.values[key.name] = {c: int(v) for c, v in zip(w.columns, first, strict=False) if v == v}

    def delta(self, key: Key[Any], name: str, now: int, bits: int | None = None) -> int | None:
        base = self.values.get(key.name, {}).get(name)
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
    _latest: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    owners: SocketOwners | None = None  # who owns a socket, when the caller wants names
    _fresh: dict[str, Freshness] = field(default_factory=dict, repr=False)

    # --- samples -------------------------------------------------------------------------

    def window(self, key: Key[Any], seconds: float | None = None) -> Window | None:
        """A copy of the source's recent samples, taken once per context and reused; at least the
        two newest samples, so a rate exists whatever the sampling rate (1 Hz under a budget)."""
        span = seconds or self.rate_window
        cache = (key.name, span)
        if cache not in self._windows:
            w = self.store.window(key, since=self.now - span)
            if w is not None and len(w) < 2:
                w = self.store.window(key, last=2)
            self._windows[cache] = w
        return self._windows[cache]

    def freshness(self, key: Key[Any]) -> Freshness:
        if key.name not in self._fresh:
            self._fresh[key.name] = self._freshness(key)
        return self._fresh[key.name]

    def _freshness(self, key: Key[Any]) -> Freshness:
        st = self.store.status(key)
        if st.state is State.DOWN:
            return Freshness(DOWN, st.last_sample, st.error)
        if st.state is State.NOT_APPLICABLE:
            return Freshness(NOT_APPLICABLE, st.last_sample, st.error)
        if st.state is State.PENDING or st.last_sample is None:
            return Freshness(PENDING)
        max_age = self.store.max_age(key)
        age = self.now - st.last_sample
        if max_age is not None and age > max_age:
            return Freshness(STALE, st.last_sample, f"no sample for {age:.0f} s")
        return Freshness(LIVE, st.last_sample)

    def latest(self, key: Key[Any]) -> dict[str, int]:
        """The newest exact values of a source, read once per context."""
        if key.name not in self._latest:
            self._latest[key.name] = self.store.latest(key)[1]
        return self._latest[key.name]

    def rate(self, window: Window | None, column: str) -> float | None:
        if window is None or column not in window:
            return None
        return window.delta(column).rate

    def column_rate(self, key: Key[Any], column: str) -> float | None:
        return self.rate(self.window(key), column)

    def peak(self, key: Key[Any], column: str) -> float | None:
        w = self.window(key, self.peak_window)
        if w is None or column not in w:
            return None
        return w.peak(column)

    def sum_rate(self, key: Key[Any], suffix: str) -> tuple[float | None, int]:
        """Summed rate and current total of every `ENTITY/suffix` column of a source."""
        w = self.window(key)
        latest = self.latest(key)
        cols = [c for c in latest if c.rpartition("/")[2] == suffix]
        rates = [r for r in (self.rate(w, c) for c in cols) if r is not None]
        return (sum(rates) if rates else None), sum(latest[c] for c in cols)

    def link_source(self) -> Key[None]:
        """Netlink's 64-bit link stats when they are up, else /proc/net/dev (same column names)."""
        return keys.LINK_STATS if self.store.status(keys.LINK_STATS).ok else keys.DEV

    # --- knobs -----------------------------------------------------------------------------

    def knobs(self, *names: str) -> dict[str, str]:
        """Each knob's value, or `n/a (why)` when it is absent here."""
        reading = self.store.detail(keys.SYSCTLS)
        out: dict[str, str] = {}
        if reading is None:
            return out
        for n in names:
            if n in reading.values:
                out[n] = reading.values[n]
            elif n in reading.absent:
                out[n] = f"n/a ({reading.absent[n]})"
        return out

    def knob(self, name: str) -> str | None:
        reading = self.store.detail(keys.SYSCTLS)
        return reading.values.get(name) if reading is not None else None

    def int_knob(self, name: str) -> int | None:
        """The first number of a knob's value (`tcp_mem`'s low mark, `somaxconn` ...)."""
        value = (self.knob(name) or "").split()
        try:
            return int(value[0]) if value else None
        except ValueError:
            return None

    # --- names -------------------------------------------------------------------------------

    def owner(self, inode: int) -> str | None:
        """`name[pid]` of the process holding a socket, when it can be seen."""
        if self.owners is None or not inode:
            return None
        found = self.owners.lookup([inode]).get(inode)
        return f"{found[1]}[{found[0]}]" if found else None

    def link_name(self, ifindex: int) -> str:
        links = self.store.detail(keys.LINKS) or {}
        return links[ifindex].name if ifindex in links else f"if{ifindex}"

    def tc_entity(self, r: TcStats) -> str:
        """Column prefix of a qdisc or class: `DEV HANDLE`, as the sources write it."""
        return f"{r.dev or self.link_name(r.ifindex)} {format_handle(r.handle)}"


def entity(column: str) -> str:
    """`eth0/rx_bytes` -> `eth0`; `eth0 1:10/drops` -> `eth0 1:10`."""
    return column.rpartition("/")[0]


def field_of(column: str) -> str:
    return column.rpartition("/")[2]
