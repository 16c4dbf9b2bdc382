"""Time series for charts, and the effective sampling rate."""

from __future__ import annotations

import math
from typing import Any

from ..keys import NETSTAT, SOFTNET, Key
from ..rates import counter_delta
from ..store import Store


def series(store: Store, key: Key[Any], column: str, seconds: float, now: float) -> tuple[list[float], list[float]]:
    """Recent samples of one column, for a chart: (seconds before now, value)."""
    w = store.window(key, since=now - seconds)
    if w is None or column not in w:
        return [], []
    return [t - now for t in w.ts], list(w.column(column))


def rate_series(store: Store, key: Key[Any], column: str, seconds: float,
                now: float) -> tuple[list[float], list[float]]:
    """Sample-to-sample rate of a counter column; gaps are skipped."""
    xs, ys = series(store, key, column, seconds, now)
    out_x, out_y = [], []
    for k in range(1, len(xs)):
        dt = xs[k] - xs[k - 1]
        if dt <= 0 or math.isnan(ys[k]) or math.isnan(ys[k - 1]):
            continue
        rate = counter_delta([0.0, dt], [ys[k - 1], ys[k]]).rate
        if rate is not None:
            out_x.append(xs[k])
            out_y.append(rate)
    return out_x, out_y


RATE_SECONDS = 5.0  # long enough for counters slowed to 1 Hz to have a rate, not a gap


def sampling_rate(store: Store, now: float, key: Key[Any] = NETSTAT) -> float | None:
    """Samples per second actually taken over the last few seconds."""
    w = store.window(key, since=now - RATE_SECONDS)
    if w is None or len(w) < 2:
        return None
    span = w.ts[-1] - w.ts[0]
    return (len(w) - 1) / span if span > 0 else None


def tier_rates(store: Store, now: float) -> tuple[float | None, float | None]:
    """(bursting gauges, counters): reads per second actually taken of each tier's probe
    (softnet_stat, read with the gauges on every burst tick; netstat, with the counters)."""
    return sampling_rate(store, now, SOFTNET), sampling_rate(store, now, NETSTAT)
