"""Where the UI's data comes from: a live sampler, or a store filled beforehand.

The app only reads `store`, `now()` and the status fields, so tests hand it
recorded samples with a frozen clock and no threads.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from nettop.collectors.budget import Budget
from nettop.collectors.netns import NetnsTarget
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sources import Cadence
from nettop.collectors.store import Store

if TYPE_CHECKING:
    import psutil

    from nettop.collectors.sampler import Sampler


STARTUP_SECONDS = 5.0


@dataclass
class DataSource:
    store: Store
    root: ProcRoot
    netns: NetnsTarget | None = None
    clock: Callable[[], float] = time.monotonic

    def now(self) -> float:
        return self.clock()

    def origin(self) -> float | None:
        """Where the first mark goes when samples predate the UI (a recording); None: now."""
        return None

    def start(self, on_event: Callable[[str, str], None] | None = None) -> None:
        pass

    def stop(self) -> None:
        pass

    def cpu_percent(self) -> float | None:
        return None

    def budget_note(self) -> str:
        """What the status line says about the sampling budget, if anything."""
        return ""

    @property
    def gone(self) -> str | None:
        return None


@dataclass
class RecordedSource(DataSource):
    """Samples already in the store: the mark starts at the first of them."""

    first_sample: float = 0.0

    def origin(self) -> float | None:
        return self.first_sample


@dataclass
class LiveSource(DataSource):
    cadence: Cadence = field(default_factory=Cadence)
    budget: Budget | None = None
    sampler: "Sampler | None" = None

    def __post_init__(self) -> None:
        self._proc: "psutil.Process | None" = None
        self._started = time.monotonic()

    def start(self, on_event: Callable[[str, str], None] | None = None) -> None:
        from nettop.collectors.sampler import Sampler

        self.sampler = Sampler(self.root, self.store, self.cadence, netns=self.netns, on_event=on_event,
                               budget=self.budget)
        self.root = self.sampler.root
        self.sampler.start()

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()

    def cpu_percent(self) -> float | None:
        """nettop's own CPU, sampler and UI together, since the last call; start-up (imports,
        first frame) is not steady state, so nothing is shown for the first seconds."""
        if self._proc is None:
            import psutil  # off the path to the first frame

            self._proc = psutil.Process(os.getpid())
            self._proc.cpu_percent(None)
        value = self._proc.cpu_percent(None)
        return value if time.monotonic() - self._started > STARTUP_SECONDS else None

    @property
    def gone(self) -> str | None:
        return self.sampler.gone if self.sampler else None

    def budget_note(self) -> str:
        if self.budget is None or self.budget.fraction is None:
            return ""
        limit = f"{100 * self.budget.fraction:g}%"
        return f"(budget {limit} of a core)" if self.budget.limited else ""


def live_source(root: ProcRoot, netns: NetnsTarget | None, interval: float,
                budget: float | None = 0.02) -> LiveSource:
    rate = 1.0 / interval
    # the full-rate ring holds about a minute at the rate asked (less for very wide sources, see
    # Store.max_ring_bytes); the per-second ring an hour
    return LiveSource(Store(short_capacity=int(60 * rate) + 10, long_seconds=3600, max_ring_bytes=8 << 20),
                      root, netns,
                      cadence=Cadence(hot=interval), budget=Budget(interval, budget) if budget else None)
