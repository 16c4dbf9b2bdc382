"""Deltas, rates and peaks derived from stored samples; never stored themselves.

A counter that goes backwards (a reset, a device re-created, a namespace
replaced) is a gap: the step is left out, never turned into a spike. Counters
the kernel keeps in 32 bits (softnet_stat) wrap instead, and are unwrapped.
Nothing here raises on extreme values or returns an infinity: a delta, rate or
peak that does not come out finite is None (JSON has no Infinity).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Delta:
    delta: float | None  # sum of the forward steps; None when there was no step
    seconds: float  # time covered by those steps
    gaps: int  # backward steps left out

    @property
    def rate(self) -> float | None:
        if self.delta is None or self.seconds <= 0:
            return None
        return _finite(self.delta / self.seconds)


def _finite(x: float | None) -> float | None:
    return x if x is not None and x - x == 0.0 else None


def _step(prev: float, cur: float, bits: int | None) -> float | None:
    d = cur - prev
    if d >= 0:
        return d
    if bits is not None and 0 <= prev < 2**bits and 0 <= cur < 2**bits:
        return d + float(2**bits)
    return None


def _steady(values: Sequence[float]) -> bool:
    """No missing sample and never going down: the common case, checked at C speed. sum()
    never raises (fsum does on overflow); an infinite sum is sent to the careful path."""
    as_list = list(values)
    total = sum(as_list)
    return total - total == 0.0 and sorted(as_list) == as_list


def counter_delta(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> Delta:
    """Increase of a counter over the samples, skipping gaps and missing (NaN) values."""
    if len(values) >= 2 and _steady(values):
        return Delta(_finite(values[-1] - values[0]), ts[-1] - ts[0], 0)
    total = 0.0
    seconds = 0.0
    gaps = 0
    steps = 0
    prev_t = prev_v = None
    for t, v in zip(ts, values, strict=False):
        if v != v:  # NaN: the column did not exist in this sample
            prev_t = prev_v = None
            continue
        if prev_v is not None and prev_t is not None:
            step = _step(prev_v, v, bits)
            if step is None:
                gaps += 1
            else:
                total += step
                seconds += t - prev_t
                steps += 1
        prev_t, prev_v = t, v
    return Delta(_finite(total) if steps else None, seconds, gaps)


def last_rate(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> float | None:
    """Rate between the last two samples, or None across a gap."""
    if len(values) < 2:
        return None
    return counter_delta(ts[-2:], values[-2:], bits).rate


def peak_rate(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> float | None:
    """Highest sample-to-sample rate in the window."""
    if len(values) >= 2 and _steady(values):
        rates = [(b - a) / (t1 - t0) for a, b, t0, t1 in zip(values, values[1:], ts, ts[1:], strict=False) if t1 > t0]
        return _finite(max(rates)) if rates else None
    best: float | None = None
    for k in range(1, len(values)):
        dt = ts[k] - ts[k - 1]
        a, b = values[k - 1], values[k]
        if dt <= 0 or a != a or b != b:
            continue
        step = _step(a, b, bits)
        if step is not None and (best is None or step / dt > best):
            best = step / dt
    return _finite(best)


def gauge_peak(values: Sequence[float]) -> float | None:
    """Highest value of a gauge in the window, ignoring missing samples."""
    present = [v for v in values if v == v]
    return _finite(max(present)) if present else None
