"""Playing a recording back into a store: the same store and views as live data.

The recorded samples are fed in time order up to a position; seeking backwards
refills a fresh store from the start, so what a view shows at a position is what
it showed live at that moment (peaks and rates included).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from .recording import Recording, read_recording
from .store import Store

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)


def store_for_recording(rec: Recording, short_capacity: int = 6000) -> Store:
    """A store declared as the live sampler declares it (gauges, counter widths)."""
    from .procfs import ProcRoot
    from .sampler import default_sources

    store = Store(short_capacity=short_capacity, long_seconds=max(60, int(rec.end - rec.start) + 60),
                  max_ring_bytes=8 << 20)
    from .sampler import stale_after
    from .sources import Cadence

    for src in default_sources(ProcRoot()):  # nothing is opened: only their declarations are used
        store.declare(src.key, src.is_gauge, src.bits, max_age=stale_after(Cadence(), src.tier))
    return store


@dataclass
class Player:
    recording: Recording
    store: Store = field(init=False)
    position: float = field(init=False)
    _next: int = field(init=False, default=0)
    _times: list[float] = field(init=False)
    _details: dict[str, object] = field(init=False, default_factory=dict)  # newest detail by source

    def __post_init__(self) -> None:
        self._times = [s.t for s in self.recording.samples]
        self.rewind()

    @classmethod
    def open(cls, path: Path) -> Player:
        return cls(read_recording(path))

    def rewind(self) -> None:
        self.store = store_for_recording(self.recording)
        self._next = 0
        self._details = {}
        self.position = self.recording.start

    def seek(self, t: float) -> None:
        """Move to recorded time t (clamped to the recording)."""
        t = max(self.recording.start, min(self.recording.end, t))
        if t < self.position:
            self.rewind()
        self._feed_until(t)
        self.position = t

    def advance(self, seconds: float) -> None:
        self.seek(self.position + seconds)

    @property
    def at_end(self) -> bool:
        return self._next >= len(self.recording.samples)

    def _feed_until(self, t: float) -> None:
        end = bisect.bisect_right(self._times, t)
        downs = self.recording.downs
        for s in self.recording.samples[self._next:end]:
            if s.has_detail:
                self._details[s.key.name] = s.detail
            self.store.record(s.key, s.t, s.names, s.values, self._details.get(s.key.name))
        for down in downs:
            if self.position < down.t <= t:
                self.store.mark_unavailable(down.key, down.t, down.reason, down.applicable)
        self._next = max(self._next, end)
