"""Where the UI's data comes from: a live sampler, or a store filled beforehand.

The app only reads `store`, `now()` and the status fields, so tests hand it
recorded samples with a frozen clock and no threads.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from nettop.collectors.budget import Budget
from nettop.collectors.netns import NetnsTarget
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sources import Cadence
from nettop.collectors.store import Store

if TYPE_CHECKING:
    import psutil

    from nettop.collectors.sampler import Sampler


STARTUP_SECONDS = 5.0


class SourceDefaults:
    """What a data source says when it has nothing to add (shared by live, recorded, replay)."""

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
class DataSource(SourceDefaults):
    store: Store
    root: ProcRoot
    netns: NetnsTarget | None = None
    clock: Callable[[], float] = time.monotonic

    def now(self) -> float:
        return self.clock()


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
        self.stop_recording()

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

    recorder: Any = None

    def start_recording(self, path: Path) -> None:
        from nettop.collectors.recording import Recorder, make_header

        recorder = Recorder(path, make_header(self.netns.spec if self.netns else None, self.cadence.hot))
        recorder.open()
        self.recorder = recorder
        if self.sampler is not None:
            self.sampler.recorder = recorder

    def stop_recording(self) -> Path | None:
        recorder, self.recorder = self.recorder, None
        if self.sampler is not None:
            self.sampler.recorder = None
        if recorder is None:
            return None
        recorder.close()
        return recorder.path

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


class ReplaySource(SourceDefaults):
    """A recording played back: the same interface the app reads from a live source."""

    def __init__(self, path: Path, speed: float = 1.0, playing: bool = True) -> None:
        from nettop.collectors.replay import Player

        self.player = Player.open(path)
        self.path = path
        self.root = ProcRoot()
        self.netns = None
        self.speed = speed
        self.playing = playing
        self._wall = time.monotonic()

    @property
    def store(self) -> Store:
        return self.player.store

    @property
    def recording(self) -> Any:
        return self.player.recording

    def now(self) -> float:
        return self.player.position

    def origin(self) -> float | None:
        return self.player.recording.start

    def start(self, on_event: Callable[[str, str], None] | None = None) -> None:
        self._wall = time.monotonic()

    def tick(self) -> None:
        """Advance the playback by the wall time since the last tick, times the speed."""
        now = time.monotonic()
        if self.playing and not self.player.at_end:
            self.player.advance((now - self._wall) * self.speed)
        self._wall = now

    def seek(self, t: float) -> None:
        self.player.seek(t)
        self._wall = time.monotonic()

    def describe(self) -> str:
        rec = self.player.recording
        stamp = dt.datetime.fromtimestamp(rec.wall(self.player.position)).strftime("%Y-%m-%d %H:%M:%S")
        offset = self.player.position - rec.start
        total = rec.end - rec.start
        state = "paused" if not self.playing else ("end" if self.player.at_end else f"{self.speed:g}x")
        return f"REPLAY {state} {stamp} (+{_hms(offset)} of {_hms(total)})"


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def parse_hms(text: str) -> float:
    """`00:05:00`, `5:00` or `300` (seconds from the start)."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.replace(".", "", 1).isdigit() for p in parts):
        raise ValueError(f"expected HH:MM:SS, MM:SS or seconds, got {text!r}")
    value = 0.0
    for p in parts:
        value = value * 60 + float(p)
    return value
