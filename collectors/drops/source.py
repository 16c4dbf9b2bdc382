"""The `drops` source: the kernel's own drop reasons, counted live by code location.

One column per (reason, location) pair, named `REASON@function+0xoffset`, cumulative since
the counter was opened; the set of columns only grows, and past MAX_PAIRS new pairs of a
reason are added into `REASON@other`, so a flood of distinct locations cannot grow the
store, a recording or the export without bound. The counter opens on the first read, in
the sampler's thread; when it cannot (not root, no tracefs, a kernel before 5.17) the
source is down with the reason and retried on the cold cadence like any other.
"""

from __future__ import annotations

from .. import keys
from ..errors import SourceNotApplicable, SourceUnavailable
from ..sources import BaseSource, Reading
from ..tiers import Tier
from .counters import DropCounter, open_drop_counter
from .info import HOST_WIDE, OTHER, UNTRACKED_COLUMN, DropsInfo, column, split_column  # noqa: F401  # re-exported
from .ksyms import Symbolizer
from .tracepoint import DropsUnavailable

MAX_PAIRS = 128


class DropsSource(BaseSource):
    key = keys.DROPS
    tier = Tier.WARM
    from_zero = True  # counted from the open: a reason seen for the first time was 0 before

    def __init__(self, netns: str | None = None, live: bool = True, allow_bpf: bool = True) -> None:
        self.netns = netns
        self.live = live
        self.allow_bpf = allow_bpf
        self.counter: DropCounter | None = None
        self.symbols = Symbolizer()
        self.columns: dict[tuple[int, int], str] = {}  # (location, reason number) -> column

    def _open(self) -> DropCounter:
        if self.counter is None or self.counter.closed:
            try:
                self.counter = open_drop_counter(allow_bpf=self.allow_bpf)
            except DropsUnavailable as exc:
                raise SourceUnavailable(0, f"drop reasons: {exc.reason}") from None
            except OSError as exc:
                raise SourceUnavailable(exc.errno or 0, f"drop reasons: {exc.strerror or exc}") from None
            self.columns.clear()
        return self.counter

    def read(self) -> Reading:
        if not self.live:
            raise SourceNotApplicable(0, "drop reasons come from the running kernel, not from files")
        counter = self._open()
        try:
            counts = counter.read()
        except OSError as exc:
            self.close()
            raise SourceUnavailable(exc.errno or 0, f"drop reasons: reading the counts: {exc}") from None
        totals: dict[str, int] = {}
        for key, n in counts.items():
            name = self._column(key, counter)
            totals[name] = totals.get(name, 0) + n
        if counter.untracked:
            totals[UNTRACKED_COLUMN] = counter.untracked
        names = tuple(sorted(totals))
        return (names, [totals[n] for n in names]), self._info(counter)

    def _column(self, key: tuple[int, int], counter: DropCounter) -> str:
        name = self.columns.get(key)
        if name is None:
            location, number = key
            reason = counter.format.reasons.get(number, f"REASON_{number}")
            if len(self.columns) < MAX_PAIRS:
                name = column(reason, self.symbols.name(location))
            else:
                name = column(reason, OTHER)
            self.columns[key] = name
        return name

    def _info(self, counter: DropCounter) -> DropsInfo:
        notes = []
        if counter.fallback_reason:
            notes.append(f"sampled, BPF not loaded: {counter.fallback_reason.splitlines()[0]}")
        if self.columns and self.symbols.note:  # (the note loads kallsyms: only once there is a drop)
            notes.append(self.symbols.note)
        if self.netns:
            notes.append(HOST_WIDE)
        return DropsInfo(counter.method, "; ".join(notes))

    def close(self) -> None:
        if self.counter is not None:
            self.counter.close()
            self.counter = None
