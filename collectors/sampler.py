"""The sampler: reads every source on its tier's cadence into the store.

It runs in a plain thread (or inline, for `nettop snapshot`). One bad read never
stops it: an unreadable source is marked unavailable with its reason and retried
on the cold cadence; a malformed one is counted and its sample skipped.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .errors import ParseError, SourceUnavailable
from .procfs import ProcRoot
from .sources import ProcSource, Tier, proc_sources
from .store import Store
from .sysctl import read_sysctls

SYSCTL_SOURCE = "sysctl"


@dataclass
class Cadence:
    """Seconds between reads of each tier."""

    hot: float = 0.1
    warm: float = 1.0
    cold: float = 10.0

    def of(self, tier: Tier) -> float:
        return {Tier.HOT: self.hot, Tier.WARM: max(self.warm, self.hot),
                Tier.COLD: max(self.cold, self.hot)}[tier]


@dataclass
class Sampler:
    root: ProcRoot
    store: Store
    cadence: Cadence = field(default_factory=Cadence)
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str, str], None] | None = None  # (source, message) on up/down changes

    def __post_init__(self) -> None:
        self.sources: list[ProcSource] = proc_sources(self.root)
        for src in self.sources:
            self.store.declare(src.name, src.spec.is_gauge, src.spec.bits)
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one pass ----------------------------------------------------------------

    def sample_source(self, src: ProcSource) -> None:
        t = self.clock()
        try:
            (names, values), raw = src.read()
        except SourceUnavailable as exc:
            if self.store.mark_unavailable(src.name, t, str(exc.strerror or exc)) and self.on_event:
                self.on_event(src.name, f"unavailable: {exc.strerror or exc}")
            return
        except ParseError as exc:
            self.store.parse_error(src.name, str(exc))
            return
        if self.store.record(src.name, t, names, values, raw) and self.on_event:
            self.on_event(src.name, "available again")

    def sample_sysctls(self) -> None:
        if self.root.pid is not None:
            self.store.mark_unavailable(
                SYSCTL_SOURCE, self.clock(),
                "sysctls describe the reader's own namespace: enter it with --netns to read them")
            return
        self.store.set_info(SYSCTL_SOURCE, self.clock(), read_sysctls(self.root))

    def sample_all(self) -> None:
        for src in self.sources:
            self.sample_source(src)
        self.sample_sysctls()

    def tick(self) -> float:
        """Read whatever is due; return the time of the next due read."""
        now = self.clock()
        for src in self.sources:
            if self._due.get(src.name, 0.0) <= now:
                self.sample_source(src)
                down = self.store.status(src.name).ok is False
                step = self.cadence.cold if down else self.cadence.of(src.tier)
                self._due[src.name] = max(self._due.get(src.name, now) + step, now)
        if self._due.get(SYSCTL_SOURCE, 0.0) <= now:
            self.sample_sysctls()
            self._due[SYSCTL_SOURCE] = now + self.cadence.cold
        return min(self._due.values())

    # --- loops ---------------------------------------------------------------------

    def run(self, until: float | None = None) -> None:
        """Sample until `until` (a clock time) or until stopped."""
        while not self._stop.is_set():
            next_due = self.tick()
            now = self.clock()
            if until is not None and now >= until:
                break
            wake = next_due if until is None else min(next_due, until)
            self._stop.wait(max(0.0, wake - now))

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="nettop-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for src in self.sources:
            src.close()
