"""The ring store: every source's samples, its status, and copies for readers.

One writer (the sampler thread) per source; readers (UI, snapshot, recorder)
take copies under the source's lock and never iterate a live buffer. Sources are
named by typed keys (keys.py), so `detail(QDISCS)` has the detail's type.
"""

from __future__ import annotations

import enum
import math
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .keys import Key
from .rates import Delta, counter_delta, gauge_peak, last_rate, peak_rate
from .rings import Ring, SecondRing

T = TypeVar("T")


class State(enum.Enum):
    PENDING = "pending"  # not read yet
    OK = "ok"
    DOWN = "down"  # should be there, cannot be read
    NOT_APPLICABLE = "not applicable"  # cannot exist here: a module not loaded, IPv6 off ...


@dataclass
class SourceStatus:
    state: State = State.PENDING
    error: str | None = None  # why it is down or not applicable
    samples: int = 0
    parse_errors: int = 0
    last_parse_error: str | None = None
    since: float | None = None  # when the state last changed
    last_sample: float | None = None  # time of the newest good sample

    @property
    def ok(self) -> bool:
        return self.state is State.OK

    @property
    def down(self) -> bool:
        return self.state is State.DOWN

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "state": self.state.value, "error": self.error, "samples": self.samples,
                "parse_errors": self.parse_errors, "last_parse_error": self.last_parse_error}


@dataclass
class Window:
    """A copied stretch of one source's samples, oldest first."""

    columns: tuple[str, ...]
    ts: array[float]
    data: array[float]  # row-major
    gauges: frozenset[str]
    bits: int | None
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def index(self) -> dict[str, int]:
        """Column positions, built once per window: with 1000 links a tuple lookup per
        column would cost O(columns) each time."""
        if self._index is None:
            self._index = {c: j for j, c in enumerate(self.columns)}
        return self._index

    def column(self, name: str) -> array[float]:
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
    detail: Any = None  # what the source keeps beside its columns (decoded records)
    t: float | None = None
    gauges: frozenset[str] = frozenset()
    is_gauge: Callable[[str], bool] | None = None
    bits: int | None = None
    max_age: float | None = None  # seconds after which the newest sample is stale
    from_zero: bool = False  # a column that appears later was 0 before
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: SourceStatus = field(default_factory=SourceStatus)


class Store:
    """Bounded storage for all sources: `short_capacity` samples at full rate and
    `long_seconds` per-second rows per source, each ring at most `max_ring_bytes`:
    a source with very many columns (1000 links, 25 counters each) keeps a shorter
    full-rate history instead of growing; windows reaching further back are completed
    from the per-second ring (last value of counters, highest value of gauges)."""

    def __init__(self, short_capacity: int = 6000, long_seconds: int = 3600,
                 max_ring_bytes: int = 16 << 20) -> None:
        self.short_capacity = max(2, short_capacity)
        self.long_seconds = max(2, long_seconds)
        self.max_ring_bytes = max_ring_bytes
        self._series: dict[str, _Series] = {}
        self._keys: dict[str, Key[Any]] = {}
        self._lock = threading.Lock()

    def _capacities(self, names: tuple[str, ...], gauges: frozenset[str]) -> tuple[int, int]:
        row = 8 * max(1, len(names))
        second_row = row + 16 * len(gauges) + 8  # last + min + max of gauges, time of the last
        return (max(2, min(self.short_capacity, self.max_ring_bytes // row)),
                max(2, min(self.long_seconds, self.max_ring_bytes // second_row)))

    def _get(self, key: Key[Any]) -> _Series:
        series = self._series.get(key.name)
        if series is None:
            with self._lock:
                series = self._series.setdefault(key.name, _Series())
                self._keys.setdefault(key.name, key)
        return series

    def declare(self, key: Key[Any], is_gauge: Callable[[str], bool] | None = None,
                bits: int | None = None, max_age: float | None = None, from_zero: bool = False) -> None:
        """Say which of a source's columns are gauges, how wide its counters are, after how
        long without a sample its figures are stale (None: never), and whether a column that
        appears later was 0 before (counters the source itself started at zero, such as drop
        reasons: their first rise is then a rate, not a step from nothing)."""
        s = self._get(key)
        s.is_gauge, s.bits, s.max_age, s.from_zero = is_gauge, bits, max_age, from_zero

    def set_max_age(self, key: Key[Any], max_age: float | None) -> None:
        """A source read slower than its tier (a costly one spacing itself) is stale later."""
        self._get(key).max_age = max_age

    def max_age(self, key: Key[Any]) -> float | None:
        return self._get(key).max_age

    def sources(self) -> list[Key[Any]]:
        return list(self._keys.values())

    # --- writer side -------------------------------------------------------------

    def record(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int],
               detail: object = None) -> bool:
        """Append a sample; True when the source was not ok before it (it came back)."""
        s = self._get(key)
        with s.lock:
            ring = s.ring
            if ring is None or (names is not ring.columns and names != ring.columns):
                self._reshape(s, names)
            assert s.ring is not None
            second = math.floor(t)
            if s.current_second is not None and second != s.current_second:
                self._close_second(s)
            elif s.rows_in_second == s.ring.capacity:
                self._fold_second(s)  # the ring is about to overwrite this second's first row
            s.current_second = second
            s.ring.append(t, values)
            s.rows_in_second += 1
            s.names, s.values, s.detail, s.t = names, values, detail, t
            s.version += 1
            st = s.status
            st.samples += 1
            st.last_sample = t
            came_back = st.state is State.DOWN
            if st.state is not State.OK:
                st.state, st.error, st.since = State.OK, None, t
            return came_back

    def mark_unavailable(self, key: Key[Any], t: float, reason: str, applicable: bool = True) -> bool:
        """Mark a source down (or not applicable); True when this changed its state."""
        state = State.DOWN if applicable else State.NOT_APPLICABLE
        s = self._get(key)
        with s.lock:
            st = s.status
            changed = st.state is not state or st.error != reason
            st.state, st.error = state, reason
            if changed:
                st.since = t
                s.version += 1
            return changed

    def parse_error(self, key: Key[Any], message: str, count: int = 1) -> None:
        """`count` bad lines (or values) of one read, `message` naming the newest."""
        s = self._get(key)
        with s.lock:
            s.status.parse_errors += count
            s.status.last_parse_error = message
            s.version += 1

    def _reshape(self, s: _Series, names: tuple[str, ...]) -> None:
        s.gauges = frozenset(filter(s.is_gauge, names)) if s.is_gauge else frozenset()
        short, long = self._capacities(names, s.gauges)
        if s.ring is None:
            s.ring = Ring(names, short)
            s.seconds = SecondRing(names, s.gauges, long)
            return
        if s.current_second is not None:
            self._close_second(s)  # a second's rows of other columns are not carried over
        old = set(s.ring.columns)
        s.ring = s.ring.reshaped(names, short)
        assert s.seconds is not None
        s.seconds = s.seconds.reshaped(names, s.gauges, long)
        if s.from_zero:
            new = [c for c in names if c not in old]
            s.ring.zero_history(new)
            s.seconds.zero_history(new)

    def _fold_second(self, s: _Series) -> None:
        assert s.ring is not None and s.seconds is not None
        if s.rows_in_second:
            ts, rows = s.ring.copy_last(s.rows_in_second)
            s.seconds.fold(rows, ts[-1])
        s.rows_in_second = 0

    def _close_second(self, s: _Series) -> None:
        assert s.seconds is not None and s.current_second is not None
        self._fold_second(s)
        s.seconds.commit(s.current_second)

    # --- reader side -------------------------------------------------------------

    def status(self, key: Key[Any]) -> SourceStatus:
        s = self._get(key)
        with s.lock:
            return replace(s.status)

    def is_down(self, key: Key[Any]) -> bool:
        """A cheap check (status() copies)."""
        return self._get(key).status.state is State.DOWN

    def is_unavailable(self, key: Key[Any]) -> bool:
        """Down or not applicable: the sampling loop retries these on the cold cadence."""
        return self._get(key).status.state in (State.DOWN, State.NOT_APPLICABLE)

    def version(self, key: Key[Any]) -> int:
        return self._get(key).version

    def latest(self, key: Key[Any]) -> tuple[float | None, dict[str, int]]:
        """Time and exact values of the newest sample."""
        s = self._get(key)
        with s.lock:
            return s.t, dict(zip(s.names, s.values, strict=False))

    def detail(self, key: Key[T]) -> T | None:
        """The newest sample's detail, of the key's type."""
        s = self._get(key)
        with s.lock:
            value: T | None = s.detail
            return value

    def window(self, key: Key[Any], since: float | None = None, last: int | None = None) -> Window | None:
        """A copy of the samples taken at or after `since` (or the `last` newest)."""
        s = self._get(key)
        with s.lock:
            if s.ring is None:
                return None
            n = s.ring.rows_since(since) if last is None else min(last, s.ring.count)
            ts, data = s.ring.copy_last(n)
            if since is not None and last is None and s.seconds is not None and n == s.ring.count:
                ts, data = s.seconds.prepend_older(since, ts, data)
            return Window(s.ring.columns, ts, data, s.gauges, s.bits)
