"""What the sampler reads: the Source protocol, the procfs sources and their specs.

A source has a typed key (its name in the store and the type of its detail), a
tier (how often it is read), which of its columns are gauges, and a `read()` that
returns flat integer columns plus its detail. A procfs source is a spec: path
under /proc/net, key, tier, parser, and whether its absence is normal here.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import keys
from .errors import PartialParse, SourceNotApplicable, SourceUnavailable
from .keys import Key
from .netdev import parse_netdev_flat
from .netstat import Flat, parse_netstat_flat
from .procfs import ProcFile, ProcRoot
from .protocols import parse_protocols, parse_protocols_flat
from .snmp6 import parse_snmp6_flat
from .sockstat import parse_sockstat_flat
from .softnet import COUNTER_BITS as SOFTNET_BITS
from .softnet import GAUGES as SOFTNET_GAUGES
from .softnet import parse_softnet_flat
from .sysctl import open_global_knobs, read_sysctls
from .tiers import Tier

Reading = tuple[Flat, Any]
NO_COLUMNS: Flat = ((), [])


class Source(Protocol):
    """What the sampler reads: flat columns for the ring store plus a detail object."""

    @property
    def key(self) -> Key[Any]: ...

    @property
    def tier(self) -> Tier: ...

    @property
    def bits(self) -> int | None: ...

    @property
    def from_zero(self) -> bool: ...

    @property
    def max_share(self) -> float | None: ...

    @property
    def last_cost(self) -> float: ...

    @property
    def standby_for(self) -> Key[Any] | None: ...

    def is_gauge(self, column: str) -> bool: ...

    def read(self) -> Reading: ...

    def before_netns(self) -> None:
        """Called in the sampler thread before it enters another namespace."""

    def close(self) -> None: ...


def all_columns(_: str) -> bool:
    return True


def no_columns(_: str) -> bool:
    return False


class BaseSource:
    """Defaults for a source: counters only, nothing to close."""

    key: Key[Any]
    tier: Tier = Tier.HOT
    bits: int | None = None
    from_zero: bool = False  # its counters start at 0 when it opens: a new column was 0 before
    max_share: float | None = None  # of one core: its reads are spaced so they cost no more
    last_cost: float = 0.0  # thread CPU seconds of its last read
    standby_for: Key[Any] | None = None  # not read while this other source carries the same figures

    def is_gauge(self, column: str) -> bool:
        return False

    def read(self) -> Reading:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def before_netns(self) -> None:
        """Called in the sampler thread before it enters another namespace."""


SNMP_GAUGES = frozenset({
    "Ip.Forwarding", "Ip.DefaultTTL", "Tcp.RtoAlgorithm", "Tcp.RtoMin", "Tcp.RtoMax",
    "Tcp.MaxConn", "Tcp.CurrEstab",
})
NETSTAT_GAUGES = frozenset({"MPTcpExt.MPCurrEstab"})
IPV6_OFF = "IPv6 is disabled on this host (ipv6.disable=1 or no IPv6 module)"


def _softnet_gauge(name: str) -> bool:
    return name.rpartition("/")[2] in SOFTNET_GAUGES


def _protocols_table(raw: bytes, path: str) -> keys.ProtocolTable:
    return parse_protocols(raw, path)


@dataclass(frozen=True)
class ProcSourceSpec:
    key: Key[Any]
    path: str  # under /proc/net (or /proc/<pid>/net)
    tier: Tier
    parse: Callable[[bytes, str], Flat]
    is_gauge: Callable[[str], bool] = no_columns
    bits: int | None = None  # counter width when the kernel's counters wrap
    absent_means: str | None = None  # why the file may be missing without anything being wrong
    detail: Callable[[bytes, str], Any] | None = None  # what to keep beside the columns
    standby_for: Key[Any] | None = None  # not read while this source carries the same figures


PROC_SOURCES: tuple[ProcSourceSpec, ...] = (
    ProcSourceSpec(keys.NETSTAT, "netstat", Tier.HOT, parse_netstat_flat, NETSTAT_GAUGES.__contains__),
    ProcSourceSpec(keys.SNMP, "snmp", Tier.HOT, parse_netstat_flat, SNMP_GAUGES.__contains__),
    ProcSourceSpec(keys.SOCKSTAT, "sockstat", Tier.HOT, parse_sockstat_flat, all_columns),
    ProcSourceSpec(keys.SOFTNET, "softnet_stat", Tier.BURST, parse_softnet_flat, _softnet_gauge, SOFTNET_BITS),
    ProcSourceSpec(keys.DEV, "dev", Tier.HOT, parse_netdev_flat, standby_for=keys.LINK_STATS),
    ProcSourceSpec(keys.SNMP6, "snmp6", Tier.WARM, parse_snmp6_flat, absent_means=IPV6_OFF),
    ProcSourceSpec(keys.SOCKSTAT6, "sockstat6", Tier.WARM, parse_sockstat_flat, all_columns, absent_means=IPV6_OFF),
    ProcSourceSpec(keys.PROTOCOLS, "protocols", Tier.COLD, parse_protocols_flat, all_columns,
                   detail=_protocols_table),
)


class ProcSource(BaseSource):
    """One /proc/net file kept open and parsed to flat columns."""

    def __init__(self, spec: ProcSourceSpec, root: ProcRoot) -> None:
        self.spec = spec
        self.key = spec.key
        self.tier = spec.tier
        self.bits = spec.bits
        self.standby_for = spec.standby_for
        self.path = root.net(spec.path)
        self._file = ProcFile(self.path)

    def is_gauge(self, column: str) -> bool:
        return self.spec.is_gauge(column)

    def read(self) -> Reading:
        """Parsed columns and the detail; raises SourceUnavailable, ParseError, or PartialParse
        carrying the Reading of the good lines."""
        try:
            raw = self._file.read()
        except SourceUnavailable as exc:
            if exc.errno == errno.ENOENT and self.spec.absent_means:
                raise SourceNotApplicable(exc.errno, self.spec.absent_means) from None
            raise
        path = str(self.path)
        detail = None
        if self.spec.detail is not None:
            try:
                detail = self.spec.detail(raw, path)
            except PartialParse as exc:
                detail = exc.result  # the same bad lines as the columns', counted once below
        try:
            return self.spec.parse(raw, path), detail
        except PartialParse as exc:
            raise exc.with_result((exc.result, detail)) from None

    def close(self) -> None:
        self._file.close()


def proc_sources(root: ProcRoot) -> list[ProcSource]:
    return [ProcSource(spec, root) for spec in PROC_SOURCES]


class SysctlSource(BaseSource):
    """Cold: the audited knobs, as strings; no numeric history."""

    key = keys.SYSCTLS
    tier = Tier.COLD
    max_share = 0.002  # per-link knobs: ~30 ms a read at 1000 links, so every ~15 s

    def __init__(self, root: ProcRoot) -> None:
        self.root = root
        self.host_files: dict[str, ProcFile] = {}

    def before_netns(self) -> None:
        self.host_files = open_global_knobs(self.root)

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        if self.root.pid is not None:
            raise SourceUnavailable(0, "sysctls describe the reader's own namespace: "
                                       "use --netns to read another namespace's")
        return NO_COLUMNS, read_sysctls(self.root, host_files=self.host_files)

    def close(self) -> None:
        for f in self.host_files.values():
            f.close()
        self.host_files = {}


class NotApplicableSource(BaseSource):
    """Stands in for a source that cannot exist in this configuration, with the reason."""

    def __init__(self, source: Source, reason: str) -> None:
        self.key, self.tier, self.bits, self.reason = source.key, Tier.COLD, source.bits, reason
        self.from_zero = source.from_zero
        self._is_gauge = source.is_gauge

    def is_gauge(self, column: str) -> bool:
        return self._is_gauge(column)

    def read(self) -> Reading:
        raise SourceNotApplicable(0, self.reason)
