"""The ring store: every source's samples, its status, and copies for readers.

One writer (the sampler thread) per source; readers (UI, snapshot, recorder)
take copies under the source's lock and never iterate a live buffer.
"""

from __future__ import annotations

import math
import threading
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable

from .rates import Delta, counter_delta, gauge_peak, last_rate, peak_rate
from .rings import Ring, SecondRing


@dataclass
class SourceStatus:
    ok: bool | None = None  # None: never read yet
    error: str | None = None
    samples: int = 0
    parse_errors: int = 0
    last_parse_error: str | None = None
    since: float | None = None  # when ok last changed

    def as_dict(self) -> dict[str, Any]:
        return {"ok": bool(self.ok), "error": self.error, "samples": self.samples,
                "parse_errors": self.parse_errors, "last_parse_error": self.last_parse_error}


@dataclass
class Window:
    """A copied stretch of one source's samples, oldest first."""

    columns: tuple[str, ...]
    ts: array
    data: array  # row-major
    gauges: frozenset[str]
    bits: int | None

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def index(self) -> dict[str, int]:
        """Column positions, built once per window: with 1000 links a tuple lookup per
        column would cost O(columns) each time."""
        found = self.__dict__.get("_index")
        if found is None:
            found = self.__dict__["_index"] = {c: j for j, c in enumerate(self.columns)}
        return found

    def column(self, name: str) -> array:
        return self.data[self.index[name]::len(self.columns)]

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def delta(self, name: str) -> Delta:
        return counter_delta(self.ts, self.column(name), self.bits)

    def last_rate(self, name: str) -> float | None:
        return last_rate(self.ts, self.column(name), self.bits)

    def peak_rate(self, name: str) -> float | None:
        return peak_rate(self.ts, self.column(name), self.bits)

    def peak(self, name: str) -> float | None:
        return gauge_peak(self.column(name))

    def is_gauge(self, name: str) -> bool:
        return name in self.gauges


@dataclass
class _Series:
    ring: Ring | None = None
    seconds: SecondRing | None = None
    current_second: float | None = None
    rows_in_second: int = 0
    names: tuple[str, ...] = ()
    values: list[int] = field(default_factory=list)  # exact integers of the newest sample
    detail: Any = None  # what the source keeps beside its columns (raw text, records)
    t: float | None = None
    gauges: frozenset[str] = frozenset()
    is_gauge: Callable[[str], bool] | None = None
    bits: int | None = None
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: SourceStatus = field(default_factory=SourceStatus)


class Store:
    """Bounded storage for all sources: `short_capacity` samples at full rate and
    `long_seconds` per-second rows per source, each ring at most `max_ring_bytes`:
    a source with very many columns (1000 links, 25 counters each) keeps a shorter
    history instead of growing without bound."""

    def __init__(self, short_capacity: int = 6000, long_seconds: int = 3600,
                 max_ring_bytes: int = 16 << 20) -> None:
        self.short_capacity = max(2, short_capacity)
        self.long_seconds = max(2, long_seconds)
        self.max_ring_bytes = max_ring_bytes
        self._series: dict[str, _Series] = {}
        self._lock = threading.Lock()

    def _capacities(self, names: tuple[str, ...], gauges: frozenset[str]) -> tuple[int, int]:
        row = 8 * max(1, len(names))
        second_row = row + 16 * len(gauges)  # last + min + max of gauges
        return (max(2, min(self.short_capacity, self.max_ring_bytes // row)),
                max(2, min(self.long_seconds, self.max_ring_bytes // second_row)))

    def _get(self, source: str) -> _Series:
        series = self._series.get(source)
        if series is None:
            with self._lock:
                series = self._series.setdefault(source, _Series())
        return series

    def declare(self, source: str, is_gauge: Callable[[str], bool] | None = None,
                bits: int | None = None) -> None:
        """Say which of a source's columns are gauges and how wide its counters are."""
        s = self._get(source)
        s.is_gauge, s.bits = is_gauge, bits

    def sources(self) -> list[str]:
        return list(self._series)

    # --- writer side -------------------------------------------------------------

    def record(self, source: str, t: float, names: tuple[str, ...], values: list[int],
               detail: Any = None) -> bool:
        """Append a sample; True when the source was down before it (it came back)."""
        s = self._get(source)
        with s.lock:
            ring = s.ring
            if ring is None or (names is not ring.columns and names != ring.columns):
                self._reshape(s, names)
            assert s.ring is not None
            second = math.floor(t)
            if s.current_second is not None and second != s.current_second:
                self._close_second(s)
            s.current_second = second
            s.ring.append(t, values)
            s.rows_in_second += 1
            s.names, s.values, s.detail, s.t = names, values, detail, t
            s.version += 1
            st = s.status
            st.samples += 1
            came_back = st.ok is False
            if st.ok is not True:
                st.ok, st.error, st.since = True, None, t
            return came_back

    def mark_unavailable(self, source: str, t: float, reason: str) -> bool:
        """Mark a source down; True when this changed its state (report it once)."""
        s = self._get(source)
        with s.lock:
            st = s.status
            changed = st.ok is not False or st.error != reason
            st.ok, st.error = False, reason
            if changed:
                st.since = t
                s.version += 1
            return changed

    def parse_error(self, source: str, message: str) -> None:
        s = self._get(source)
        with s.lock:
            s.status.parse_errors += 1
            s.status.last_parse_error = message

    def _reshape(self, s: _Series, names: tuple[str, ...]) -> None:
        s.gauges = frozenset(filter(s.is_gauge, names)) if s.is_gauge else frozenset()
        short, long = self._capacities(names, s.gauges)
        if s.ring is None:
            s.ring = Ring(names, short)
            s.seconds = SecondRing(names, s.gauges, long)
            return
        if s.rows_in_second:
            self._close_second(s)
        s.ring = s.ring.reshaped(names, short)
        assert s.seconds is not None
        s.seconds = s.seconds.reshaped(names, s.gauges, long)

    def _close_second(self, s: _Series) -> None:
        assert s.ring is not None and s.seconds is not None and s.current_second is not None
        _, rows = s.ring.copy_last(s.rows_in_second)
        s.seconds.add_second(s.current_second, rows)
        s.rows_in_second = 0

    # --- reader side -------------------------------------------------------------

    def status(self, source: str) -> SourceStatus:
        s = self._get(source)
        with s.lock:
            return SourceStatus(**vars(s.status))

    def is_down(self, source: str) -> bool:
        """A cheap check for the sampling loop (status() copies)."""
        return self._get(source).status.ok is False

    def version(self, source: str) -> int:
        return self._get(source).version

    def latest(self, source: str) -> tuple[float | None, dict[str, int]]:
        """Time and exact values of the newest sample."""
        s = self._get(source)
        with s.lock:
            return s.t, dict(zip(s.names, s.values))

    def detail(self, source: str) -> Any:
        """The newest sample's detail: raw text of a /proc file, decoded records of a dump."""
        s = self._get(source)
        with s.lock:
            return s.detail

    def window(self, source: str, since: float | None = None, last: int | None = None) -> Window | None:
        """A copy of the samples taken at or after `since` (or the `last` newest)."""
        s = self._get(source)
        with s.lock:
            if s.ring is None:
                return None
            n = s.ring.rows_since(since) if last is None else min(last, s.ring.count)
            ts, data = s.ring.copy_last(n)
            return Window(s.ring.columns, ts, data, s.gauges, s.bits)

    def seconds(self, source: str) -> tuple[tuple[str, ...], array, array] | None:
        """Columns, per-second timestamps and their last values, oldest first (a copy)."""
        s = self._get(source)
        with s.lock:
            ring = s.seconds
            if ring is None:
                return None
            n, w = ring.count, ring.width
            start = (ring.head - n) % ring.capacity
            order = [(start + k) % ring.capacity for k in range(n)]
            ts = array("d", (ring.ts[i] for i in order))
            data = array("d")
            for i in order:
                data.extend(ring.last[i * w:(i + 1) * w])
            return ring.columns, ts, data

