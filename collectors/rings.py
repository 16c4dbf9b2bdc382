"""Fixed-size rings of float64 samples, one table per source.

A `Ring` keeps every sample of the last N samples (the full-rate ring); a
`SecondRing` keeps one row per second: the last value of every column and the
min/max of gauge columns (a counter's min and max are its neighbours' last).
Memory is allocated once, so a long run does not grow. A value too big for a
float (10**309 ...) is stored as NaN, a missing sample, so the rest of the row goes on.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

NAN = math.nan


def _nan_array(size: int) -> array[float]:
    return array("d", [NAN]) * size


def _as_float(value: float) -> float:
    try:
        f = float(value)
    except OverflowError:
        return NAN
    return f if f - f == 0.0 else NAN  # inf and NaN both fail this


def as_row(values: Sequence[float] | array[float]) -> array[float]:
    """The values as float64; one that does not fit a finite float becomes NaN."""
    if isinstance(values, array):
        return values
    return array("d", map(_as_float, values))


class Ring:
    """The last `capacity` rows of `columns`, with their timestamps."""

    def __init__(self, columns: tuple[str, ...], capacity: int) -> None:
        if capacity < 2:
            raise ValueError("a ring needs room for at least two samples")
        self.columns = columns
        self.index = {c: i for i, c in enumerate(columns)}
        self.width = len(columns)
        self.capacity = capacity
        self.ts = array("d", bytes(8 * capacity))
        self.buf = _nan_array(capacity * self.width)
        self.head = 0  # next slot to write
        self.count = 0

    def append(self, t: float, values: Sequence[float] | array[float]) -> None:
        w = self.width
        try:
            row = values if isinstance(values, array) else array("d", values)
        except OverflowError:
            row = as_row(values)
        if len(row) != w:  # a slice assignment of another length would resize the buffer
            raise ValueError(f"{len(row)} values for {w} columns")
        i = self.head
        self.ts[i] = t
        self.buf[i * w:(i + 1) * w] = row
        self.head = (i + 1) % self.capacity
        if self.count < self.capacity:
            self.count += 1

    def rows_since(self, since: float | None) -> int:
        """How many of the newest rows have a timestamp >= since (all if None)."""
        if since is None:
            return self.count
        # binary search over the rows in time order (newest last): O(log n), nothing copied
        lo, hi = 0, self.count  # rows [lo, hi) may be older than `since`
        oldest = self.head - self.count
        while lo < hi:
            mid = (lo + hi) // 2
            if self.ts[(oldest + mid) % self.capacity] < since:
                lo = mid + 1
            else:
                hi = mid
        return self.count - lo

    def copy_last(self, last: int) -> tuple[array[float], array[float]]:
        """Timestamps and row-major values of the newest rows, oldest first (a copy)."""
        last = min(last, self.count)
        w = self.width
        start = (self.head - last) % self.capacity
        end = start + last
        if end <= self.capacity:
            return self.ts[start:end], self.buf[start * w:end * w]
        wrap = end - self.capacity
        return (self.ts[start:] + self.ts[:wrap], self.buf[start * w:] + self.buf[:wrap * w])

    def reshaped(self, columns: tuple[str, ...], capacity: int | None = None) -> Ring:
        """A ring with other columns holding this one's history where names match."""
        ring = Ring(columns, capacity or self.capacity)
        rows = min(self.count, ring.capacity)
        ts, data = self.copy_last(rows)
        old, new = self.width, ring.width
        for j, c in enumerate(self.columns):
            k = ring.index.get(c)
            if k is not None:  # one strided copy per column, in C: a reshape costs milliseconds
                ring.buf[k:rows * new:new] = data[j::old]
        ring.ts[:rows] = ts
        ring.count = rows
        ring.head = rows % ring.capacity
        return ring


    def zero_history(self, columns: list[str]) -> None:
        """Columns whose rows so far were 0 (not missing): a counter that starts at zero."""
        zeros = array("d", bytes(8 * self.capacity))
        for c in columns:
            k = self.index[c]
            rows = min(self.count, self.capacity)
            self.buf[k:rows * self.width:self.width] = zeros[:rows]


class SecondRing:
    """One row per second: last of every column, min/max of the gauge columns."""

    def __init__(self, columns: tuple[str, ...], gauges: frozenset[str], capacity: int) -> None:
        self.columns = columns
        self.width = len(columns)
        self.gauge_cols = [j for j, c in enumerate(columns) if c in gauges]
        self.capacity = capacity
        self.ts = array("d", bytes(8 * capacity))
        self.tlast = array("d", bytes(8 * capacity))  # time of the last sample of each second
        self.last = _nan_array(capacity * self.width)
        self.min = _nan_array(capacity * len(self.gauge_cols))
        self.max = _nan_array(capacity * len(self.gauge_cols))
        self.head = 0
        self.count = 0
        self._last: array[float] | None = None  # the second being filled
        self._tlast = 0.0
        self._min = _nan_array(len(self.gauge_cols))
        self._max = _nan_array(len(self.gauge_cols))

    def fold(self, rows: array[float], tlast: float) -> None:
        """Take rows (row-major, this ring's width) of the second being filled. A second may
        come in several parts when the full-rate ring is shorter than a second's samples."""
        w = self.width
        n_rows = len(rows) // w if w else 0
        if n_rows == 0:
            return
        self._tlast = tlast
        self._last = rows[(n_rows - 1) * w:n_rows * w]
        for k, j in enumerate(self.gauge_cols):
            col = [v for v in rows[j::w] if v == v]
            if col:
                low, high = min(col), max(col)
                self._min[k] = low if self._min[k] != self._min[k] else min(low, self._min[k])
                self._max[k] = high if self._max[k] != self._max[k] else max(high, self._max[k])

    def commit(self, second: float) -> None:
        """Close the second being filled into the next slot."""
        if self._last is None:
            return
        i, w, g = self.head, self.width, len(self.gauge_cols)
        self.ts[i] = second
        self.tlast[i] = self._tlast
        self.last[i * w:(i + 1) * w] = self._last
        self.min[i * g:(i + 1) * g] = self._min
        self.max[i * g:(i + 1) * g] = self._max
        self.head = (i + 1) % self.capacity
        if self.count < self.capacity:
            self.count += 1
        self._clear_pending()

    def _clear_pending(self) -> None:
        self._last = None
        self._tlast = 0.0
        self._min = _nan_array(len(self.gauge_cols))
        self._max = _nan_array(len(self.gauge_cols))

    def add_second(self, second: float, rows: array[float], tlast: float) -> None:
        """Fold the rows of one whole second into a slot."""
        self.fold(rows, tlast)
        self.commit(second)

    def _order(self) -> list[int]:
        start = (self.head - self.count) % self.capacity
        return [(start + k) % self.capacity for k in range(self.count)]

    def prepend_older(self, since: float, ts: array[float],
                      data: array[float]) -> tuple[array[float], array[float]]:
        """Seconds older than the first full-rate row (and not before `since`) put in front
        of it: last values for counters, the second's highest value for gauges."""
        oldest = ts[0] if len(ts) else math.inf
        picked = [i for i in self._order() if since <= self.tlast[i] < oldest]
        if not picked:
            return ts, data
        w, g = self.width, len(self.gauge_cols)
        out_ts = array("d", (self.tlast[i] for i in picked))
        out = array("d")
        for i in picked:
            row = self.last[i * w:(i + 1) * w]
            for k, j in enumerate(self.gauge_cols):
                top = self.max[i * g + k]
                if top == top:
                    row[j] = top
            out.extend(row)
        return out_ts + ts, out + data

    def reshaped(self, columns: tuple[str, ...], gauges: frozenset[str],
                 capacity: int | None = None) -> SecondRing:
        ring = SecondRing(columns, gauges, capacity or self.capacity)
        new_index = {c: i for i, c in enumerate(columns)}
        moves = [(new_index[c], j) for j, c in enumerate(self.columns) if c in new_index]
        old_g = {j: k for k, j in enumerate(self.gauge_cols)}
        new_g = {j: k for k, j in enumerate(ring.gauge_cols)}
        gauge_moves = [(new_g[nj], old_g[oj]) for nj, oj in moves if nj in new_g and oj in old_g]
        w, g, nw, ng = self.width, len(self.gauge_cols), ring.width, len(ring.gauge_cols)
        last = min(self.count, ring.capacity)
        start = (self.head - last) % self.capacity
        ring.ts[:last] = _in_order(self.ts, 1, start, last)
        ring.tlast[:last] = _in_order(self.tlast, 1, start, last)
        _move_columns(_in_order(self.last, w, start, last), w, ring.last, nw, moves)
        _move_columns(_in_order(self.min, g, start, last), g, ring.min, ng, gauge_moves)
        _move_columns(_in_order(self.max, g, start, last), g, ring.max, ng, gauge_moves)
        ring.count = last
        ring.head = last % ring.capacity
        return ring

    def zero_history(self, columns: list[str]) -> None:
        """Columns whose seconds so far were 0 (not missing); only after `reshaped`, whose rows
        are in order from slot 0."""
        _zero_last_columns(self, columns)


def _zero_last_columns(ring: SecondRing, columns: list[str]) -> None:
    index = {c: j for j, c in enumerate(ring.columns)}
    rows = min(ring.count, ring.capacity)
    zeros = array("d", bytes(8 * rows))
    for c in columns:
        j = index[c]
        ring.last[j:rows * ring.width:ring.width] = zeros


def _in_order(buf: array[float], width: int, start: int, rows: int) -> array[float]:
    """`rows` rows of a circular row-major buffer from slot `start` on, as one array."""
    capacity = len(buf) // width if width else 0
    end = start + rows
    if end <= capacity:
        return buf[start * width:end * width]
    return buf[start * width:] + buf[:(end - capacity) * width]


def _move_columns(src: array[float], width: int, dst: array[float], new_width: int,
                  moves: list[tuple[int, int]]) -> None:
    """Copy columns (new index, old index) of row-major `src` into the first rows of `dst`."""
    rows = len(src) // width if width else 0
    for new_j, old_j in moves:
        dst[new_j:rows * new_width:new_width] = src[old_j::width]
