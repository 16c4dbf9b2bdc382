"""The sampler: reads every source on its tier's cadence into the store.

It runs in a plain thread. One bad read never stops it: an unreadable source is
marked unavailable with its reason and retried on the cold cadence; a malformed
one is counted and its sample skipped. Watching another network namespace, the
thread enters it first, so every file and socket it opens belongs there.
"""

from __future__ import annotations

import ctypes
import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import netns as netns_mod
from .budget import Budget
from .errors import ParseError, SourceUnavailable
from .netstat import Flat
from .procfs import ProcFile, ProcRoot
from .sources import SYSCTL_SOURCE, Cadence, Source, Tier, proc_sources
from .store import Store
from .sysctl import open_global_knobs, read_sysctls

PR_SET_NAME = 15


def _name_thread(name: bytes) -> None:
    """Name the OS thread, so `top -H` and our CPU benchmark can tell the sampler apart."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)
    except (OSError, AttributeError):
        pass


class SysctlSource:
    """Cold: the audited knobs, as strings; no numeric history."""

    name = SYSCTL_SOURCE
    tier = Tier.COLD
    bits = None

    def __init__(self, root: ProcRoot) -> None:
        self.root = root
        self.host_files: dict[str, ProcFile] = {}

    def before_netns(self) -> None:
        """Called in the sampler thread before it enters another namespace."""
        self.host_files = open_global_knobs(self.root)

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> tuple[Flat, Any]:
        if self.root.pid is not None:
            raise SourceUnavailable(0, "sysctls describe the reader's own namespace: "
                                       "use --netns to read another namespace's")
        return ((), []), read_sysctls(self.root, host_files=self.host_files)

    def close(self) -> None:
        for f in self.host_files.values():
            f.close()
        self.host_files = {}


class UnavailableSource:
    """A source that cannot work in this configuration, with the reason it says."""

    tier = Tier.COLD
    bits = None

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason

    def is_gauge(self, column: str) -> bool:
        return False

    def read(self) -> tuple[Flat, Any]:
        raise SourceUnavailable(0, self.reason)

    def close(self) -> None:
        pass


def default_sources(root: ProcRoot, netns: netns_mod.NetnsTarget | None = None) -> list[Source]:
    """The procfs sources, the sysctls, and netlink/sysfs when they describe the same kernel."""
    from .nlsources import netlink_sources

    sources: list[Source] = [*proc_sources(root), SysctlSource(root)]
    if root.live:
        bql_reason = ("BQL lives in sysfs, which shows the host's devices, not those of "
                      f"namespace {netns.spec}" if netns is not None else None)
        sources += netlink_sources(root.sys, bql_reason)
    else:
        reason = f"netlink describes the running kernel, not the files under {root.proc}"
        sources += [UnavailableSource(n, reason)
                    for n in ("links", "link_stats", "qdiscs", "classes", "listeners", "tcp_states", "routing", "bql")]
    return sources


@dataclass
class Sampler:
    root: ProcRoot
    store: Store
    cadence: Cadence = field(default_factory=Cadence)
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[str, str], None] | None = None  # (source, message) on up/down changes
    netns: netns_mod.NetnsTarget | None = None
    sources: list[Source] | None = None
    budget: Budget | None = None  # CPU budget of the hot tier; None: sample at the cadence asked
    recorder: Any = None  # a recording.Recorder taking every sample as it comes

    def __post_init__(self) -> None:
        if self.netns is not None and self.root.pid is None:
            self.root = dataclasses.replace(self.root, thread_self=True)
        if self.sources is None:
            self.sources = default_sources(self.root, self.netns)
        for src in self.sources:
            self.store.declare(src.name, src.is_gauge, src.bits)
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._netns_inode: int | None = None
        self.gone: str | None = None  # why the watched namespace went away
        self.failed: BaseException | None = None

    @property
    def all_sources(self) -> list[Source]:
        assert self.sources is not None
        return self.sources

    # --- one pass ----------------------------------------------------------------

    def _down(self, name: str, reason: str) -> None:
        t = self.clock()
        if self.store.mark_unavailable(name, t, reason):
            if self.recorder is not None:
                self.recorder.down(name, t, reason)
            if self.on_event:
                self.on_event(name, f"unavailable: {reason}")

    def sample_source(self, src: Source) -> None:
        t = self.clock()
        try:
            (names, values), detail = src.read()
        except SourceUnavailable as exc:
            self._down(src.name, str(exc.strerror or exc))
            return
        except ParseError as exc:
            self.store.parse_error(src.name, str(exc))
            return
        came_back = self.store.record(src.name, t, names, values, detail)
        if self.recorder is not None:
            self.recorder.sample(src.name, t, names, values, detail)
        if came_back and self.on_event:
            self.on_event(src.name, "available again")

    def tick(self) -> float:
        """Read whatever is due; return the time of the next due read."""
        now = self.clock()
        for src in self.all_sources:
            if self._due.get(src.name, 0.0) <= now:
                self.sample_source(src)
                down = self.store.is_down(src.name)
                step = self.cadence.cold if down else self.cadence.of(src.tier)
                self._due[src.name] = max(self._due.get(src.name, now) + step, now)
        if self._netns_inode is not None and self._due.get("netns", 0.0) <= now:
            self._check_netns()
            self._due["netns"] = now + self.cadence.of(Tier.WARM)
        return min(self._due.values())

    # --- namespaces ----------------------------------------------------------------

    def enter_netns(self) -> None:
        """Called in the sampler thread before anything is opened."""
        if self.netns is None:
            return
        for src in self.all_sources:
            if isinstance(src, SysctlSource):
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
            self._down(src.name, reason)
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
                self.cadence.hot = self.budget.observe(cpu1 - cpu0, wall1 - wall0)
                cpu0, wall0 = cpu1, wall1
            wake = next_due if until is None else min(next_due, until)
            self._stop.wait(max(0.0, wake - now))

    def _thread_main(self, until: float | None) -> None:
        _name_thread(b"nettop-sampler")
        try:
            self.enter_netns()
            self.run(until)
        except BaseException as exc:  # reported by join(); a sampler must not die silently
            self.failed = exc
        finally:
            for src in self.all_sources:
                src.close()

    def start(self, until: float | None = None) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._thread_main, args=(until,),
                                        name="nettop-sampler", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.failed is not None:
            raise self.failed

    def stop(self) -> None:
        self._stop.set()
        self.join()
        for src in self.all_sources:
            src.close()
