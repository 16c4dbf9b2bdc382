"""Playing a recording back into a store: the same store and views as live data.

The player keeps the recording's index, not its samples, and decodes chunks as the
position reaches them. A seek does not replay from the start: what a view can show at t
is the samples of the last LOOKBACK seconds (the longest window a view asks for is a
minute) plus, for every source, its newest samples and detail before that, and the
downs that came before. So a seek decodes about LOOKBACK chunks whatever the recording's
length, and what a view shows at t is what it showed live then.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

from .recording import Recording, read_recording
from .recording_base import Sample
from .store import Store

SPEEDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
LOOKBACK = 70.0  # seconds of samples fed before a position: views ask for at most 60
PREFILL_ROWS = 2  # newest samples of each source before the lookback (a rate needs two)


def store_for_recording(rec: Recording, short_capacity: int = 6000) -> Store:
    """A store declared as the live sampler declares it (gauges, counter widths)."""
    from .procfs import ProcRoot
    from .sampler import default_sources, stale_after
    from .tiers import Cadence

    seconds = min(LOOKBACK, rec.end - rec.start)  # the per-second ring: what a position can need
    store = Store(short_capacity=short_capacity, long_seconds=int(seconds) + 10, max_ring_bytes=8 << 20)
    for src in default_sources(ProcRoot()):  # nothing is opened: only their declarations are used
        store.declare(src.key, src.is_gauge, src.bits, from_zero=src.from_zero,
                       max_age=stale_after(Cadence(), src.tier))
    return store


@dataclass
class _Cursor:
    samples: list[Sample]
    pos: int


@dataclass
class Player:
    recording: Recording
    store: Store = field(init=False)
    position: float = field(init=False)
    _next: int = field(init=False, default=0)  # the next chunk to open
    _open: list[_Cursor] = field(init=False, default_factory=list)  # chunks opened, not fed to the end
    _floor: float = field(init=False, default=-math.inf)  # samples before it came with the prefill
    _downs: int = field(init=False, default=0)  # the next down to apply
    _details: dict[str, object] = field(init=False, default_factory=dict)  # newest detail by source
    _last: dict[str, float] = field(init=False, default_factory=dict)  # newest time fed, by source
    _t0s: list[float] = field(init=False)
    _t1max: list[float] = field(init=False)  # running maximum of the chunks' last times
    _bits: dict[str, int] = field(init=False)
    _before: list[int] = field(init=False)  # sources seen in chunks 0..i
    _after: list[int] = field(init=False)  # sources seen in chunks i..end

    def __post_init__(self) -> None:
        chunks = self.recording.chunks
        self._t0s = [c.t0 for c in chunks]
        self._t1max = list(itertools.accumulate((c.t1 for c in chunks), max))
        self._bits = {key.name: i for i, key in enumerate(self.recording.keys)}
        masks = [c.sources for c in chunks]
        self._before = list(itertools.accumulate(masks, lambda a, b: a | b))
        self._after = list(itertools.accumulate(reversed(masks), lambda a, b: a | b))[::-1]
        self.rewind()

    @classmethod
    def open(cls, path: Path) -> Player:
        return cls(read_recording(path))

    def rewind(self) -> None:
        self._rebuild(self.recording.start)

    def seek(self, t: float) -> None:
        """Move to recorded time t (clamped to the recording)."""
        t = max(self.recording.start, min(self.recording.end, t))
        if self.position <= t <= self.position + LOOKBACK:
            self._feed_until(t)
            self.position = t
        else:
            self._rebuild(t)

    def advance(self, seconds: float) -> None:
        self.seek(self.position + seconds)

    @property
    def at_end(self) -> bool:
        return self.position >= self.recording.end

    def first_values(self, t: float) -> dict[str, dict[str, int]]:
        """The first sample of every source at or after t, by source and column: where deltas
        "since the mark" start when the mark is older than what the store holds."""
        out: dict[str, dict[str, int]] = {}
        i = bisect.bisect_left(self._t1max, t)
        want = self._after[i] if i < len(self._after) else 0
        while i < len(self._t0s) and want:
            if self.recording.chunks[i].sources & want:
                for s in self.recording.chunk(i):
                    bit = self._bit(s)
                    if s.t >= t and want & bit and s.key.name not in out:
                        out[s.key.name] = dict(zip(s.names, s.values, strict=False))
                        want &= ~bit
            i += 1
        return out

    def _bit(self, s: Sample) -> int:
        i = self._bits.get(s.key.name)
        return 0 if i is None else 1 << i

    # --- feeding ----------------------------------------------------------------------

    def _rebuild(self, t: float) -> None:
        """A fresh store at t: the prefill, then the samples of the lookback."""
        self.store = store_for_recording(self.recording)
        self._open, self._details, self._last, self._downs = [], {}, {}, 0
        self._floor = math.floor(t - LOOKBACK)
        for s in self._prefill(self._floor):
            self._feed(s)
        self._next = bisect.bisect_left(self._t1max, self._floor)
        self._feed_until(t)
        self.position = t

    def _prefill(self, floor: float) -> list[Sample]:
        """Each source's newest samples before `floor` (and its newest detail), found by
        walking back the chunks that hold a source still missing: a few chunks at most."""
        j = bisect.bisect_left(self._t0s, floor) - 1
        if j < 0:
            return []
        want = self._before[j]
        rows: dict[str, list[Sample]] = {}
        budget = 2 * len(self._bits) + 4  # chunks decoded, whatever a crafted index says
        while j >= 0 and want and budget:
            if self.recording.chunks[j].sources & want:
                budget -= 1
                want = self._take(self.recording.chunk(j), floor, want, rows)
            j -= 1
        return sorted((s for found in rows.values() for s in found), key=lambda s: s.t)

    def _take(self, samples: list[Sample], floor: float, want: int, rows: dict[str, list[Sample]]) -> int:
        """Take the newest rows before `floor` of the sources wanted, and the newest detail with
        them (a chunk's first row of a source carries its detail)."""
        for s in reversed(samples):
            bit = self._bit(s)
            if s.t >= floor or not want & bit:
                continue
            found = rows.setdefault(s.key.name, [])
            if len(found) < PREFILL_ROWS or (s.has_detail and not any(x.has_detail for x in found)):
                found.insert(0, s)
        for name, found in rows.items():
            if len(found) >= PREFILL_ROWS:
                want &= ~(1 << self._bits[name])
        return want

    def _feed_until(self, t: float) -> None:
        chunks = self.recording.chunks
        while self._next < len(chunks) and chunks[self._next].t0 <= t:
            samples = self.recording.chunk(self._next)
            start = bisect.bisect_left(samples, self._floor, key=lambda s: s.t)
            self._open.append(_Cursor(samples, start))
            self._next += 1
        for cur in self._open:
            samples, pos = cur.samples, cur.pos
            while pos < len(samples) and samples[pos].t <= t:
                self._feed(samples[pos])
                pos += 1
            cur.pos = pos
        self._open = [c for c in self._open if c.pos < len(c.samples)]
        self._apply_downs(t)

    def _feed(self, s: Sample) -> None:
        self._apply_downs(s.t)
        name = s.key.name
        if s.t < self._last.get(name, -math.inf):
            return  # a crafted file's samples out of order: the store's rings assume time order
        self._last[name] = s.t
        if s.has_detail:
            self._details[name] = s.detail
        try:
            self.store.record(s.key, s.t, s.names, s.values, self._details.get(name))
        except (ValueError, TypeError, OverflowError) as exc:
            self.recording.warnings.add(f"samples of {name} not replayed: {exc}")

    def _apply_downs(self, t: float) -> None:
        downs = self.recording.downs
        while self._downs < len(downs) and downs[self._downs].t <= t:
            d = downs[self._downs]
            self.store.mark_unavailable(d.key, d.t, d.reason, d.applicable)
            self._downs += 1
