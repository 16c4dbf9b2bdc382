"""Typed keys: the one way to name a source in the store, with the type of its detail.

A source keeps flat integer columns (the ring store) and, beside them, a *detail*:
the structured records a dump decoded (links, qdiscs, listeners ...). The key says
which type that detail has, so `store.detail(QDISCS)` is a `list[TcStats] | None`,
and it carries the codec that recording and replay use for every key alike:
msgspec turns a detail into plain builtins and validates them back into the type,
so a crafted recording can only ever give a well-typed detail or a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from .conn.model import ConnDetail
from .drops.info import DropsInfo
from .nlinfo import Link, Routing
from .nlstats import DiagSocket, TcStats
from .sysctl import SysctlReading

T = TypeVar("T")


class CodecError(ValueError):
    """A recorded detail does not have its key's type."""


@dataclass(frozen=True, eq=False)
class Key(Generic[T]):
    """A source's name in the store and the type of its detail (None: it keeps none)."""

    name: str
    detail_type: Any = None

    def encode(self, value: T) -> object:
        return msgspec.to_builtins(value)

    def decode(self, obj: object) -> T:
        try:
            value: T = msgspec.convert(obj, self.detail_type, strict=False)
        except msgspec.ValidationError as exc:
            raise CodecError(f"{self.name}: {exc}") from None
        return value

    @property
    def has_detail(self) -> bool:
        return self.detail_type is not None

    def __repr__(self) -> str:
        return f"Key({self.name!r})"


REGISTRY: dict[str, Key[Any]] = {}


def register(key: Key[T]) -> Key[T]:
    if key.name in REGISTRY:
        raise ValueError(f"two keys named {key.name!r}")
    REGISTRY[key.name] = key
    return key


def by_name(name: str) -> Key[Any] | None:
    """The key a recording names; None for a source this nettop does not know."""
    return REGISTRY.get(name)


ProtocolTable = dict[str, dict[str, int | str]]
QueueCounts = dict[str, dict[str, int]]  # device -> {"tx": n, "rx": n}

# /proc/net files: columns only, except the protocols table
NETSTAT: Key[None] = register(Key("netstat"))
SNMP: Key[None] = register(Key("snmp"))
SNMP6: Key[None] = register(Key("snmp6"))
SOCKSTAT: Key[None] = register(Key("sockstat"))
SOCKSTAT6: Key[None] = register(Key("sockstat6"))
SOFTNET: Key[None] = register(Key("softnet_stat"))
DEV: Key[None] = register(Key("dev"))
PROTOCOLS: Key[ProtocolTable] = register(Key("protocols", ProtocolTable))
SYSCTLS: Key[SysctlReading] = register(Key("sysctl", SysctlReading))

# netlink and sysfs
LINKS: Key[dict[int, Link]] = register(Key("links", dict[int, Link]))
LINK_STATS: Key[None] = register(Key("link_stats"))
QDISCS: Key[list[TcStats]] = register(Key("qdiscs", list[TcStats]))
CLASSES: Key[list[TcStats]] = register(Key("classes", list[TcStats]))
LISTENERS: Key[list[DiagSocket]] = register(Key("listeners", list[DiagSocket]))
TCP_STATES: Key[dict[str, int]] = register(Key("tcp_states", dict[str, int]))
ROUTING: Key[Routing] = register(Key("routing", Routing))
BQL: Key[QueueCounts] = register(Key("bql", QueueCounts))

# the kernel's drop reasons (skb:kfree_skb), by "REASON@function+0xoffset"
DROPS: Key[DropsInfo] = register(Key("drops", DropsInfo))
# every TCP connection and UDP socket (sock_diag): gauges, the busiest ones and their groups
CONNECTIONS: Key[ConnDetail] = register(Key("connections", ConnDetail))

COUNTER_KEYS: tuple[Key[None], ...] = (NETSTAT, SNMP, SNMP6)
