"""The sampler: reads every source on its tier's cadence into the store.

It runs in a plain thread. One bad read never stops it: an unreadable source is
marked unavailable with its reason and retried on the cold cadence; a malformed
one has its bad lines counted and the rest of its sample recorded. Watching another network namespace, the
thread enters it first, so every file and socket it opens belongs there.
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import netns as netns_mod
from .budget import Budget
from .errors import ParseError, PartialParse, SourceNotApplicable, SourceUnavailable
from .keys import Key
from .procfs import ProcRoot
from .sources import NotApplicableSource, Source, SysctlSource, proc_sources
from .store import Store
from .tiers import Cadence, Tier

PR_SET_NAME = 15


def _name_thread(name: bytes) -> None:
    """Name the OS thread, so `top -H` and our CPU benchmark can tell the sampler apart."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)
    except (OSError, AttributeError):
        pass


MAX_RESTARTS = 3  # unexpected errors in a row before the sampler gives up and says so
RESTART_DELAY = 1.0

# The budget never slows the hot tier below 1 Hz: three missed reads of the slowest cadence a
# tier can have, and its figures are stale.
MISSED_READS = 3
DUE_SLACK = 1e-6  # seconds: reads due on the same grid tick, up to rounding, share one wake-up
SLOWED_FROM = 5.0  # seconds: a source read at least this often is not worth a word in the status line
SLOWED_BY = 1.25  # a paced source is "slowed" once its reads are this much further apart than its tier's


def stale_after(cadence: Cadence, tier: Tier) -> float:
    return MISSED_READS * max(1.0, cadence.of(tier))


class SampleSink(Protocol):
    """Takes every sample as it comes (a recorder)."""

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None: ...

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool) -> None: ...


def default_sources(root: ProcRoot, netns: netns_mod.NetnsTarget | None = None) -> list[Source]:
    """The procfs sources, the sysctls, and netlink/sysfs when they describe the same kernel."""
    from .conn.source import ConnectionsSource
    from .drops.source import DropsSource
    from .nlsources import netlink_sources

    sources: list[Source] = [*proc_sources(root), SysctlSource(root)]
    net = netlink_sources(root.sys, netns)
    drops: Source = DropsSource(netns.spec if netns is not None else None)
    net.append(ConnectionsSource())
    if not root.live:
        reason = f"netlink describes the running kernel, not the files under {root.proc}"
        net = [NotApplicableSource(src, reason) for src in net]
        drops = NotApplicableSource(drops, f"drop reasons come from the running kernel, not the files under "
                                           f"{root.proc}")
    return [*sources, *net, drops]


@dataclass
class Sampler:
    root: ProcRoot
    store: Store
    cadence: Cadence = field(default_factory=Cadence)
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str, str], None] | None = None  # (source name, message) on up/down changes
    netns: netns_mod.NetnsTarget | None = None
    sources: list[Source] | None = None
    budget: Budget | None = None  # CPU budget of the hot tier; None: sample at the cadence asked
    recorder: SampleSink | None = None

    def __post_init__(self) -> None:
        if self.netns is not None and self.root.pid is None:
            self.root = dataclasses.replace(self.root, thread_self=True)
        if self.sources is None:
            self.sources = default_sources(self.root, self.netns)
        for src in self.sources:
            self.store.declare(src.key, src.is_gauge, src.bits, from_zero=src.from_zero,
                               max_age=stale_after(self.cadence, src.tier))
        self._due: dict[str, float] = {}
        self._burst_probe = next((src.key.name for src in self.sources if src.tier is Tier.BURST), None)
        self._tier_cpu: dict[Tier, float] = {}  # CPU of each tier's reads since the budget last looked
        self._paced_cpu = 0.0  # CPU of the self-pacing sources' reads: counted by their average share
        self._reads: dict[str, int] = {}  # reads of each source so far
        self._paced_share: dict[str, float] = {}  # each paced source's CPU share at its pace
        self.costs: dict[str, float] = {}  # CPU seconds per read of each source (smoothed)
        self.slowed: dict[str, tuple[float, float]] = {}  # costly sources read slower: (interval, cost)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._netns_inode: int | None = None
        self.gone: str | None = None  # why the watched namespace went away
        self.failed: BaseException | None = None  # why the thread stopped for good
        self.last_error: tuple[float, str] | None = None  # the newest unexpected error, restarted after

    @property
    def all_sources(self) -> list[Source]:
        assert self.sources is not None
        return self.sources

    # --- one pass ----------------------------------------------------------------

    def _down(self, key: Key[Any], reason: str, applicable: bool = True) -> None:
        t = self.clock()
        if self.store.mark_unavailable(key, t, reason, applicable):
            if self.recorder is not None:
                self.recorder.down(key, t, reason, applicable)
            if self.on_event and applicable:
                self.on_event(key.name, f"unavailable: {reason}")

    def _good_part(self, key: Key[Any], exc: PartialParse) -> Any:
        """Count the bad lines of a partial read; its good part, None when nothing is left
        (an empty sample would only drop the history kept)."""
        if exc.more:
            self.store.parse_error(key, f"{exc.path}: {exc.more} more bad lines in this read", exc.more)
        for issue in exc.issues:
            self.store.parse_error(key, str(issue))
        try:
            (names, _values), _detail = exc.result
        except (TypeError, ValueError):
            return None
        return exc.result if names else None

    def sample_source(self, src: Source) -> None:
        t = self.clock()
        try:
            (names, values), detail = src.read()
        except SourceNotApplicable as exc:
            self._down(src.key, str(exc.strerror or exc), applicable=False)
            return
        except SourceUnavailable as exc:
            self._down(src.key, str(exc.strerror or exc))
            return
        except PartialParse as exc:  # some lines were bad: count them, keep the rest
            good = self._good_part(src.key, exc)
            if good is None:
                return
            (names, values), detail = good
        except ParseError as exc:
            self.store.parse_error(src.key, str(exc))
            return
        except Exception as exc:  # noqa: BLE001  # a bug in one source must not stop the others
            self._down(src.key, f"internal error: {type(exc).__name__}: {exc}")
            return
        try:
            came_back = self.store.record(src.key, t, names, values, detail)
        except (ValueError, TypeError, OverflowError) as exc:
            self.store.parse_error(src.key, f"{src.key.name}: cannot store the sample: {exc}")
            return
        if self.recorder is not None:
            self.recorder.sample(src.key, t, names, values, detail)
        if came_back and self.on_event:
            self.on_event(src.key.name, "available again")

    def sampling(self) -> dict[str, Any]:
        """What the sampler does now: each tier's interval, what each source costs, and the costly
        sources reading slower than their tier (for the status line and the snapshot)."""
        return {"burst_interval_s": round(self.cadence.of(Tier.BURST), 4),
                "counter_interval_s": round(self.cadence.of(Tier.HOT), 4),
                "cost_us": {name: round(c * 1e6) for name, c in sorted(self.costs.items())},
                "slowed": {name: {"interval_s": round(i, 2), "cost_ms": round(c * 1e3, 2)}
                           for name, (i, c) in sorted(self.slowed.items())}}

    def tick(self) -> float:
        """Read whatever is due; return the time of the next due read."""
        now = self.clock()
        for src in self.all_sources:
            name = src.key.name
            if self._due.get(name, 0.0) <= now + DUE_SLACK:
                step = self._read(src)
                self._due[name] = self._on_grid(max(self._due.get(name, now) + step, now), src.tier)
        if self._netns_inode is not None and self._due.get("netns", 0.0) <= now:
            self._check_netns()
            self._due["netns"] = now + self.cadence.of(Tier.WARM)
        return min(self._due.values())

    def _on_grid(self, due: float, tier: Tier) -> float:
        """Slower tiers wake with a burst tick, not on their own: every wake-up costs CPU (about
        0.1 ms of this thread's on a VM, whatever is read)."""
        if tier is Tier.BURST:
            return due
        burst = self._due.get(self._burst_probe) if self._burst_probe else None
        if burst is None:
            return due
        step = self.cadence.of(Tier.BURST)
        # the tick at or before the due time: a tier is never read less often than asked (counters
        # at >= 1 Hz however slow the gauges), at most one burst step more often
        return due if due <= burst else burst + step * math.floor((due - burst) / step + 1e-9)

    def _read(self, src: Source) -> float:
        """Read one source (or stand it by), account what it cost; its next step."""
        name = src.key.name
        standby = src.standby_for
        if standby is not None and self.store.status(standby).ok:
            self._down(src.key, f"not read while {standby.name} carries the same counters", applicable=False)
            self.costs.pop(name, None)
            return self.cadence.of(Tier.WARM)  # checked again soon: it takes over if the other fails
        cpu0 = time.thread_time()
        self.sample_source(src)
        spent = time.thread_time() - cpu0
        reads = self._reads[name] = self._reads.get(name, 0) + 1
        first = reads == 1
        # the second read starts the average afresh: a first one pays for imports and cold caches
        before = self.costs.get(name) if reads > 2 else None
        self.costs[name] = spent if before is None else 0.7 * before + 0.3 * spent
        if src.max_share:
            self._paced_cpu += spent
        else:
            self._tier_cpu[src.tier] = self._tier_cpu.get(src.tier, 0.0) + spent
        if self.store.is_unavailable(src.key):
            return self.cadence.cold
        step = self.cadence.of(src.tier)
        # a costly source (10k connections) spaces its reads, never the others'
        if not src.max_share or first:
            return step
        spaced = self.costs[name] / src.max_share
        self._paced_share[name] = self.costs[name] / max(step, spaced)
        if spaced > step * SLOWED_BY and spaced >= SLOWED_FROM:
            self.slowed[name] = (spaced, self.costs[name])
            self.store.set_max_age(src.key, MISSED_READS * max(1.0, spaced))
        elif self.slowed.pop(name, None) is not None:
            self.store.set_max_age(src.key, stale_after(self.cadence, src.tier))
        return max(step, spaced)

    # --- namespaces ----------------------------------------------------------------

    def enter_netns(self) -> None:
        """Called in the sampler thread before anything is opened."""
        if self.netns is None:
            return
        for src in self.all_sources:
            src.before_netns()
        netns_mod.enter(self.netns)
        self._netns_inode = self.netns.inode()

    def _check_netns(self) -> None:
        assert self.netns is not None and self._netns_inode is not None
        reason = netns_mod.gone_reason(self.netns, self._netns_inode)
        if reason is None:
            return
        self.gone = reason
        for src in self.all_sources:
            self._down(src.key, reason)
        self._stop.set()

    # --- loops ---------------------------------------------------------------------

    def run(self, until: float | None = None) -> None:
        """Sample until `until` (a clock time), until stopped, or until the namespace goes."""
        cpu0, wall0 = time.thread_time(), time.monotonic()
        while not self._stop.is_set():
            next_due = self.tick()
            now = self.clock()
            if until is not None and now >= until:
                break
            if self.budget is not None:
                cpu1, wall1 = time.thread_time(), time.monotonic()
                # a paced source's read counts at its average share, not as the spike of its window
                paced = sum(self._paced_share.values()) * (wall1 - wall0)
                self._tier_cpu[Tier.COLD] = self._tier_cpu.get(Tier.COLD, 0.0) + paced  # left to them
                self.cadence.burst, self.cadence.hot = self.budget.observe(
                    cpu1 - cpu0 - self._paced_cpu + paced, wall1 - wall0, self._tier_cpu)
                self._tier_cpu = {}
                self._paced_cpu = 0.0
                cpu0, wall0 = cpu1, wall1
            wake = next_due if until is None else min(next_due, until)
            self._stop.wait(max(0.0, wake - now))

    def _thread_main(self, until: float | None) -> None:
        _name_thread(b"nettop-sampler")
        try:
            self.enter_netns()
            self._run_restarting(until)
        except BaseException as exc:  # noqa: BLE001  # reported by join(); a sampler must not die silently
            self.failed = exc
        finally:
            for src in self.all_sources:
                src.close()

    def _run_restarting(self, until: float | None) -> None:
        """Run; after an unexpected error, say so and start again, up to MAX_RESTARTS times."""
        for attempt in range(MAX_RESTARTS + 1):
            try:
                self.run(until)
                return
            except Exception as exc:
                self.last_error = (self.clock(), f"{type(exc).__name__}: {exc}")
                if attempt == MAX_RESTARTS or self._stop.is_set():
                    raise
                if self.on_event:
                    self.on_event("sampler", f"error, restarting: {self.last_error[1]}")
                self._stop.wait(RESTART_DELAY)

    def start(self, until: float | None = None) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._thread_main, args=(until,),
                                        name="nettop-sampler", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the thread; its failure, if any, is raised here."""
        self._wait()
        if self.failed is not None:
            raise self.failed

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def stop(self) -> None:
        """Stop and close everything; a failure stays in `failed` for the caller to report."""
        self._stop.set()
        self.stop_when_done()

    def stop_when_done(self) -> None:
        """Wait for a run started with `until` to end; `failed` and `gone` say how it ended."""
        self._wait()
        for src in self.all_sources:
            src.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
