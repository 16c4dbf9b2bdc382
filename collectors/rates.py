"""Deltas, rates and peaks derived from stored samples; never stored themselves.

A counter that goes backwards (a reset, a device re-created, a namespace
replaced) is a gap: the step is left out, never turned into a spike. Counters
the kernel keeps in 32 bits (softnet_stat) wrap instead, and are unwrapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Delta:
    delta: float | None  # sum of the forward steps; None when there was no step
    seconds: float  # time covered by those steps
    gaps: int  # backward steps left out

    @property
    def rate(self) -> float | None:
        if self.delta is None or self.seconds <= 0:
            return None
        return self.delta / self.seconds


def _step(prev: float, cur: float, bits: int | None) -> float | None:
    d = cur - prev
    if d >= 0:
        return d
    if bits is not None and 0 <= prev < 2**bits and 0 <= cur < 2**bits:
        return d + 2**bits
    return None


def counter_delta(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> Delta:
    """Increase of a counter over the samples, skipping gaps and missing (NaN) values."""
    total = 0.0
    seconds = 0.0
    gaps = 0
    steps = 0
    prev_t = prev_v = None
    for t, v in zip(ts, values):
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
    return Delta(total if steps else None, seconds, gaps)


def last_rate(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> float | None:
    """Rate between the last two samples, or None across a gap."""
    if len(values) < 2:
        return None
    return counter_delta(ts[-2:], values[-2:], bits).rate


def peak_rate(ts: Sequence[float], values: Sequence[float], bits: int | None = None) -> float | None:
    """Highest sample-to-sample rate in the window."""
    best: float | None = None
    for k in range(1, len(values)):
        dt = ts[k] - ts[k - 1]
        a, b = values[k - 1], values[k]
        if dt <= 0 or a != a or b != b:
            continue
        step = _step(a, b, bits)
        if step is not None and (best is None or step / dt > best):
            best = step / dt
    return best


def gauge_peak(values: Sequence[float]) -> float | None:
    """Highest value of a gauge in the window, ignoring missing samples."""
    present = [v for v in values if v == v]
    return max(present) if present else None
