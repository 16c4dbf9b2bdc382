"""Sampling for a fixed time and summing it up: the headless path of `nettop snapshot`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from .findings import Finding
from .keys import NETSTAT
from .netns import NetnsTarget
from .procfs import ProcRoot
from .sampler import Sampler
from .snapshot import build_snapshot, run_findings
from .store import Store
from .tiers import Cadence

HOT_PROBE = NETSTAT


def store_for(duration: float, interval: float, margin: int = 8) -> Store:
    """A store just large enough to hold a whole run at full rate."""
    return Store(short_capacity=math.ceil(duration / interval) + margin,
                 long_seconds=math.ceil(duration) + margin)


def observed_span(store: Store, since: float) -> float:
    """Seconds between the first and last hot sample, as actually taken."""
    window = store.window(HOT_PROBE, since)
    if window is None or len(window) < 2:
        return 0.0
    return float(window.ts[-1] - window.ts[0])


def sample_for(root: ProcRoot, duration: float, interval: float, netns: NetnsTarget | None = None,
               clock: Callable[[], float] = time.monotonic) -> tuple[Sampler, float]:
    """Run a sampler thread for `duration` seconds; return it (with its store) and the start time."""
    interval = min(interval, duration) if duration > 0 else interval
    store = store_for(duration, interval)
    cadence = Cadence(hot=max(interval, min(0.1, duration)), warm=min(1.0, max(duration, interval)),
                      cold=max(duration, interval), burst=interval)
    sampler = Sampler(root, store, cadence, clock=clock, netns=netns)
    start = clock()
    sampler.start(until=start + duration)
    sampler.stop_when_done()
    return sampler, start


def snapshot_of(sampler: Sampler, start: float, netns: NetnsTarget | None = None) -> dict[str, Any]:
    """The snapshot document of a finished run (with what went wrong: `netns.gone`, `sources`)."""
    return build_snapshot(sampler.store, sampler.root, since=start, duration_s=observed_span(sampler.store, start),
                          netns=netns, netns_gone=sampler.gone, sampling=sampler.sampling())


def take_snapshot(root: ProcRoot, duration: float = 1.0, interval: float = 0.1,
                  clock: Callable[[], float] = time.monotonic,
                  netns: NetnsTarget | None = None) -> dict[str, Any]:
    """Sample every source for `duration` seconds and return the snapshot document."""
    sampler, start = sample_for(root, duration, interval, netns, clock)
    return snapshot_of(sampler, start, netns)


def diagnose(root: ProcRoot, duration: float = 5.0, interval: float = 0.05,
             netns: NetnsTarget | None = None) -> tuple[list[Finding], dict[str, Any], Sampler]:
    """Sample for `duration` seconds, then evaluate every rule over the whole run; the sampler
    tells whether the run was cut short (its namespace went, it failed)."""
    sampler, start = sample_for(root, duration, interval, netns)
    return run_findings(sampler.store, start, time.monotonic()), snapshot_of(sampler, start, netns), sampler
