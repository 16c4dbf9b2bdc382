"""Where the UI's data comes from: a live sampler, a recording played back, or a store
filled beforehand (tests). The screen reads `store`, `now()` and says what it can do
through explicit capabilities (live sampling, recording, playback), never by probing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nettop.collectors.budget import Budget
from nettop.collectors.netns import NetnsTarget
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.store import Store
from nettop.collectors.tiers import Cadence, Tier

if TYPE_CHECKING:
    import psutil

    from nettop.collectors.recording import Recorder, Recording
    from nettop.collectors.replay import Player
    from nettop.collectors.sampler import Sampler

EventSink = Callable[[str, str], None]  # (source name, what happened)
STARTUP_SECONDS = 5.0


class LiveSampling(Protocol):
    """A sampler running now: its cost, its budget, whether its namespace still exists, whether
    it stopped."""

    def cpu_percent(self) -> float | None: ...

    def budget_note(self) -> str: ...

    def slowed(self) -> list[str]:
        """Costly sources read slower than their tier, and why: `tcp_states every 8 s (25 ms a read)`."""

    @property
    def gone(self) -> str | None: ...

    @property
    def failure(self) -> str | None:
        """Why the sampler stopped for good, or None while it runs."""

    @property
    def last_error(self) -> tuple[float, str] | None:
        """The newest unexpected error it restarted after: (clock time, what)."""


class RecordControl(Protocol):
    """Recording the live samples to a file (`r`)."""

    @property
    def active(self) -> Recorder | None: ...

    def start_recording(self, path: Path) -> None: ...

    def stop_recording(self) -> Path | None: ...


class Playback(Protocol):
    """A recording played back: position, speed, seeking."""

    playing: bool
    speed: float

    @property
    def recording(self) -> Recording: ...

    def tick(self) -> None: ...

    def seek(self, t: float) -> None: ...

    def first_values(self, t: float) -> dict[str, dict[str, int]]:
        """Each source's first sample at or after t: a mark older than the store still holds."""

    def describe(self) -> str: ...

    def snapshot_document(self) -> dict[str, Any]:
        """The snapshot of the moment on screen, labelled with its recording."""


class DataSource(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def root(self) -> ProcRoot: ...

    @property
    def netns(self) -> NetnsTarget | None: ...

    def now(self) -> float: ...

    def wall(self, t: float) -> float:
        """The wall-clock time (epoch seconds) of a sample time."""

    def origin(self) -> float | None:
        """Where the first mark goes when samples predate the UI (a recording); None: now."""

    def start(self, on_event: EventSink | None = None) -> None: ...

    def stop(self) -> None: ...

    @property
    def live(self) -> LiveSampling | None: ...

    @property
    def recorder(self) -> RecordControl | None: ...

    @property
    def playback(self) -> Playback | None: ...


@dataclass
class RecordedSource:
    """Samples already in the store (tests, screenshots): no sampler, nothing to record."""

    store: Store
    root: ProcRoot
    netns: NetnsTarget | None = None
    clock: Callable[[], float] = time.monotonic
    first_sample: float | None = None
    wall_origin: float = 1_790_000_000.0  # the wall time of clock time 0: screens stay the same

    def now(self) -> float:
        return self.clock()

    def wall(self, t: float) -> float:
        return self.wall_origin + t

    def origin(self) -> float | None:
        return self.first_sample

    def start(self, on_event: EventSink | None = None) -> None:
        pass

    def stop(self) -> None:
        pass

    live: LiveSampling | None = None
    recorder: RecordControl | None = None
    playback: Playback | None = None


@dataclass
class LiveSource:
    """A sampler thread filling the store; it can record what it samples."""

    store: Store
    root: ProcRoot
    netns: NetnsTarget | None = None
    cadence: Cadence = field(default_factory=Cadence)
    budget: Budget | None = None
    clock: Callable[[], float] = time.monotonic
    sampler: Sampler | None = None
    active: Recorder | None = None
    _proc: psutil.Process | None = field(default=None, repr=False)
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def live(self) -> LiveSampling:
        return self

    @property
    def recorder(self) -> RecordControl:
        return self

    playback: Playback | None = None

    def now(self) -> float:
        return self.clock()

    def wall(self, t: float) -> float:
        return time.time() - (self.clock() - t)

    def origin(self) -> float | None:
        return None

    def start(self, on_event: EventSink | None = None) -> None:
        from nettop.collectors.sampler import Sampler

        self.sampler = Sampler(self.root, self.store, self.cadence, netns=self.netns, on_event=on_event,
                               budget=self.budget, recorder=self.active)
        self.root = self.sampler.root
        self.sampler.start()

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()
        self.stop_recording()

    def cpu_percent(self) -> float | None:
        """nettop's own CPU, sampler and UI together, since the last call; start-up (imports,
        first frame) is not steady state, so nothing is shown for the first seconds."""
        if time.monotonic() - self._started <= STARTUP_SECONDS:
            return None
        if self._proc is None:
            import psutil  # off the path to the first frame

            self._proc = psutil.Process(os.getpid())
            self._proc.cpu_percent(None)
            return None
        return self._proc.cpu_percent(None)

    @property
    def gone(self) -> str | None:
        return self.sampler.gone if self.sampler else None

    @property
    def failure(self) -> str | None:
        failed = self.sampler.failed if self.sampler else None
        return None if failed is None else f"{type(failed).__name__}: {failed}"

    @property
    def last_error(self) -> tuple[float, str] | None:
        return self.sampler.last_error if self.sampler else None

    def slowed(self) -> list[str]:
        from nettop.widgets.i18n import tr

        if self.sampler is None:
            return []
        return [tr("{name} every {every:.0f} s ({cost:.0f} ms a read)", name=name, every=interval, cost=cost * 1e3)
                for name, (interval, cost) in sorted(self.sampler.slowed.items())]

    def budget_note(self) -> str:
        if self.budget is None or self.budget.fraction is None or not self.budget.limited:
            return ""
        from nettop.widgets.i18n import tr

        return tr("(budget {limit} of a core)", limit=f"{100 * self.budget.fraction:g}%")

    def start_recording(self, path: Path) -> None:
        from nettop.collectors.recording import Recorder, make_header

        recorder = Recorder(path, make_header(self.netns.spec if self.netns else None, self.cadence.of(Tier.BURST)))
        recorder.open()
        self.active = recorder
        if self.sampler is not None:
            self.sampler.recorder = recorder

    def stop_recording(self) -> Path | None:
        recorder, self.active = self.active, None
        if self.sampler is not None:
            self.sampler.recorder = None
        if recorder is None:
            return None
        recorder.close()
        return recorder.path


def live_source(root: ProcRoot, netns: NetnsTarget | None, interval: float,
                budget: float | None = 0.02) -> LiveSource:
    rate = 1.0 / interval
    # the full-rate ring holds about a minute at the rate asked (less for very wide sources, see
    # Store.max_ring_bytes); the per-second ring an hour
    return LiveSource(Store(short_capacity=int(60 * rate) + 10, long_seconds=3600, max_ring_bytes=8 << 20),
                      root, netns, cadence=Cadence.for_interval(interval),
                      budget=Budget(interval, budget) if budget else None)


class ReplaySource:
    """A recording played back: the same store and views the app reads from a live source."""

    def __init__(self, player: Player, path: Path, speed: float = 1.0, playing: bool = True) -> None:
        self.player = player
        self.path = path
        self.root = ProcRoot()
        self.netns: NetnsTarget | None = None
        self.speed = speed
        self.playing = playing
        self._wall = time.monotonic()

    live: LiveSampling | None = None
    recorder: RecordControl | None = None

    @property
    def playback(self) -> Playback:
        return self

    @property
    def store(self) -> Store:
        return self.player.store

    @property
    def recording(self) -> Recording:
        return self.player.recording

    def now(self) -> float:
        return self.player.position

    def wall(self, t: float) -> float:
        return self.player.recording.wall(t)

    def origin(self) -> float | None:
        return self.player.recording.start

    def start(self, on_event: EventSink | None = None) -> None:
        self._wall = time.monotonic()

    def stop(self) -> None:
        pass

    def tick(self) -> None:
        """Advance the playback by the wall time since the last tick, times the speed."""
        now = time.monotonic()
        if self.playing and not self.player.at_end:
            self.player.advance((now - self._wall) * self.speed)
        self._wall = now

    def seek(self, t: float) -> None:
        self.player.seek(t)
        self._wall = time.monotonic()

    def first_values(self, t: float) -> dict[str, dict[str, int]]:
        return self.player.first_values(t)

    def snapshot_document(self) -> dict[str, Any]:
        from nettop.collectors.snapshot import recorded_snapshot

        return recorded_snapshot(self.player, self.path)

    def describe(self) -> str:
        rec = self.player.recording
        stamp = dt.datetime.fromtimestamp(rec.wall(self.player.position)).strftime("%Y-%m-%d %H:%M:%S")
        offset = self.player.position - rec.start
        total = rec.end - rec.start
        state = "paused" if not self.playing else ("end" if self.player.at_end else f"{self.speed:g}x")
        return f"REPLAY {state} {stamp} (+{hms(offset)} of {hms(total)})"


def hms(seconds: float) -> str:
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
