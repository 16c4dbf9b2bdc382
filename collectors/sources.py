"""The procfs sources: which file, which parser, how often, which columns are gauges."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from .netstat import Flat, parse_netstat_flat
from .netdev import parse_netdev_flat
from .procfs import ProcFile, ProcRoot
from .protocols import parse_protocols_flat
from .snmp6 import parse_snmp6_flat
from .sockstat import parse_sockstat_flat
from .softnet import COUNTER_BITS as SOFTNET_BITS
from .softnet import GAUGES as SOFTNET_GAUGES
from .softnet import parse_softnet_flat


class Tier(enum.Enum):
    """How often a source is read: its cost against how fast it changes."""

    HOT = "hot"  # every tick
    WARM = "warm"  # about once a second
    COLD = "cold"  # about every ten seconds


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


SNMP_GAUGES = frozenset({
    "Ip.Forwarding", "Ip.DefaultTTL", "Tcp.RtoAlgorithm", "Tcp.RtoMin", "Tcp.RtoMax",
    "Tcp.MaxConn", "Tcp.CurrEstab",
})
NETSTAT_GAUGES = frozenset({"MPTcpExt.MPCurrEstab"})


def _all(_: str) -> bool:
    return True


def _none(_: str) -> bool:
    return False


@dataclass(frozen=True)
class ProcSourceSpec:
    name: str  # also the file name under /proc/net
    tier: Tier
    parse: Callable[[bytes, str], Flat]
    is_gauge: Callable[[str], bool] = _none
    bits: int | None = None  # counter width when the kernel's counters wrap


def _softnet_gauge(name: str) -> bool:
    return name.rpartition("/")[2] in SOFTNET_GAUGES


PROC_SOURCES: tuple[ProcSourceSpec, ...] = (
    ProcSourceSpec("netstat", Tier.HOT, parse_netstat_flat, NETSTAT_GAUGES.__contains__),
    ProcSourceSpec("snmp", Tier.HOT, parse_netstat_flat, SNMP_GAUGES.__contains__),
    ProcSourceSpec("sockstat", Tier.HOT, parse_sockstat_flat, _all),
    ProcSourceSpec("softnet_stat", Tier.HOT, parse_softnet_flat, _softnet_gauge, SOFTNET_BITS),
    ProcSourceSpec("dev", Tier.HOT, parse_netdev_flat),
    ProcSourceSpec("snmp6", Tier.WARM, parse_snmp6_flat),
    ProcSourceSpec("sockstat6", Tier.WARM, parse_sockstat_flat, _all),
    ProcSourceSpec("protocols", Tier.COLD, parse_protocols_flat, _all),
)


class Source(Protocol):
    """What the sampler reads: flat columns for the ring store plus a detail object."""

    name: str
    tier: Tier
    bits: int | None

    def is_gauge(self, column: str) -> bool: ...

    def read(self) -> tuple[Flat, Any]: ...

    def close(self) -> None: ...


class ProcSource:
    """One /proc/net file kept open and parsed to flat columns."""

    def __init__(self, spec: ProcSourceSpec, root: ProcRoot) -> None:
        self.spec = spec
        self.name = spec.name
        self.tier = spec.tier
        self.path = root.net(spec.name)
        self._file = ProcFile(self.path)
        self.is_gauge = spec.is_gauge
        self.bits = spec.bits

    def read(self) -> tuple[Flat, Any]:
        """Parsed columns and the raw text; raises SourceUnavailable or ParseError."""
        raw = self._file.read()
        return self.spec.parse(raw, str(self.path)), raw

    def close(self) -> None:
        self._file.close()


def proc_sources(root: ProcRoot) -> list[ProcSource]:
    return [ProcSource(spec, root) for spec in PROC_SOURCES]
