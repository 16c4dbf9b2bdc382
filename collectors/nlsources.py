"""Netlink and sysfs sources: links, qdiscs, classes, listeners, TCP states, BQL.

All sockets are opened lazily by the sampler thread, so they belong to the
namespace that thread has entered. Each source returns flat columns for the
ring store plus a `detail` object that the snapshot and the UI read.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .errors import ParseError, SourceUnavailable
from .netlink import (NETLINK_ROUTE, NETLINK_SOCK_DIAG, RTM_GETLINK, RTM_GETQDISC, RTM_GETSTATS,
                      RTM_GETTCLASS, SOCK_DIAG_BY_FAMILY, Dumper, attr_string, iter_attrs, open_socket)
from .netstat import Flat
from .nlstats import (ALL_STATES, CLASSFUL, LINK_STATS64_FIELDS, TC_COUNTERS, TC_GAUGES, TCP_LISTEN, DiagSocket,
                      TcStats, count_states, decode_diag, decode_link_stats, decode_tc, diag_request,
                      format_handle, stats_request, tc_request)
from .procfs import describe_os_error
from .sources import Tier

IFINFOMSG = struct.Struct("=BBHiII")
IFLA_IFNAME = 3

Reading = tuple[Flat, Any]


def _unavailable(exc: OSError, what: str) -> SourceUnavailable:
    reason = describe_os_error(exc) if exc.filename else f"{what}: {exc.strerror or exc}"
    return SourceUnavailable(exc.errno or 0, reason)


@dataclass
class NetlinkContext:
    """Sockets and the link-name table shared by the netlink sources of one sampler."""

    _route: Dumper | None = None
    _diag: Dumper | None = None
    names: dict[int, str] = field(default_factory=dict)  # ifindex -> name
    qdiscs: list[TcStats] = field(default_factory=list)  # the newest qdisc dump

    def route(self) -> Dumper:
        if self._route is None:
            self._route = Dumper(self._open(NETLINK_ROUTE, "rtnetlink"))
        return self._route

    def diag(self) -> Dumper:
        if self._diag is None:
            self._diag = Dumper(self._open(NETLINK_SOCK_DIAG, "sock_diag"))
        return self._diag

    @staticmethod
    def _open(protocol: int, what: str) -> socket.socket:
        try:
            return open_socket(protocol)
        except OSError as exc:
            raise _unavailable(exc, what) from exc

    def dump(self, dumper: Callable[[], Dumper], msg_type: int, payload: bytes, what: str) -> list[bytes]:
        try:
            return [msg for _t, msg in dumper().dump(msg_type, payload)]
        except SourceUnavailable:
            raise
        except OSError as exc:
            self.close()  # a socket that failed mid-dump is not reused
            raise _unavailable(exc, what) from exc

    def refresh_names(self) -> None:
        """ifindex -> name from a link dump, decoding only IFLA_IFNAME."""
        names = {}
        for msg in self.dump(self.route, RTM_GETLINK, IFINFOMSG.pack(0, 0, 0, 0, 0, 0), "link dump"):
            index = IFINFOMSG.unpack_from(msg, 16)[3]
            for atype, start, end in iter_attrs(msg, 16 + IFINFOMSG.size, len(msg)):
                if atype == IFLA_IFNAME:
                    names[index] = attr_string(msg, start, end)
                    break
        self.names = names

    def name(self, index: int) -> str:
        return self.names.get(index, f"if{index}")

    def close(self) -> None:
        for d in (self._route, self._diag):
            if d is not None:
                d.close()
        self._route = self._diag = None


def _wrap_decode(what: str, fn: Callable[[], Reading]) -> Reading:
    try:
        return fn()
    except (struct.error, IndexError, ValueError) as exc:
        raise ParseError(what, 0, "", f"undecodable netlink message: {exc}") from None


class NetlinkSource:
    """Common shape of the netlink sources (the sampler's Source protocol)."""

    name = ""
    tier = Tier.HOT
    bits: int | None = None

    def __init__(self, ctx: NetlinkContext) -> None:
        self.ctx = ctx

    def is_gauge(self, column: str) -> bool:
        return False

    def close(self) -> None:
        self.ctx.close()


class LinkInfoSource(NetlinkSource):
    """Cold: every link fully decoded by pyroute2 (kind, master, peer, operstate, mtu ...)."""

    name = "links"
    tier = Tier.COLD

    def read(self) -> Reading:
        msgs = self.ctx.dump(self.ctx.route, RTM_GETLINK, IFINFOMSG.pack(0, 0, 0, 0, 0, 0), "link dump")

        def decode() -> Reading:
            from .nlinfo import decode_link
            links = {link.index: link for link in map(decode_link, msgs)}
            self.ctx.names = {i: link.name for i, link in links.items()}
            return ((), []), links
        return _wrap_decode("links", decode)


class LinkStatsSource(NetlinkSource):
    """Hot: 64-bit stats of every link through RTM_GETSTATS (no attribute decoding)."""

    name = "link_stats"

    def read(self) -> Reading:
        msgs = self.ctx.dump(self.ctx.route, RTM_GETSTATS, stats_request(), "RTM_GETSTATS")

        def decode() -> Reading:
            stats = [s for s in map(decode_link_stats, msgs) if s is not None]
            if any(index not in self.ctx.names for index, _ in stats):
                self.ctx.refresh_names()  # a link appeared since the last name dump
            names: list[str] = []
            values: list[int] = []
            for index, counters in stats:
                names += _link_columns(self.ctx.name(index), len(counters))
                values += counters
            return (tuple(names), values), None
        return _wrap_decode("link_stats", decode)


@lru_cache(maxsize=8192)
def _link_columns(name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{name}/{f}" for f in LINK_STATS64_FIELDS[:count])


@lru_cache(maxsize=8192)
def _tc_columns(entity: str) -> tuple[str, ...]:
    return tuple(f"{entity}/{f}" for f in TC_COUNTERS + TC_GAUGES)


def _tc_flat(records: list[TcStats], entity: Callable[[TcStats], str]) -> Flat:
    names: list[str] = []
    values: list[int] = []
    for r in records:
        names += _tc_columns(entity(r))
        values += r.values()
    return tuple(names), values


def tc_entity(ctx_name: Callable[[int], str], r: TcStats) -> str:
    """Column prefix of a qdisc or class: `DEV HANDLE`, e.g. `eth0 1:10`."""
    return f"{ctx_name(r.ifindex)} {format_handle(r.handle)}"


class QdiscSource(NetlinkSource):
    """Hot: every qdisc's TCA_STATS2 (bytes, packets, drops, overlimits, requeues, backlog)."""

    name = "qdiscs"

    def is_gauge(self, column: str) -> bool:
        return column.rpartition("/")[2] in TC_GAUGES

    def read(self) -> Reading:
        msgs = self.ctx.dump(self.ctx.route, RTM_GETQDISC, tc_request(), "RTM_GETQDISC")

        def decode() -> Reading:
            records = [decode_tc(m) for m in msgs]
            if any(r.ifindex not in self.ctx.names for r in records):
                self.ctx.refresh_names()
            self.ctx.qdiscs = records
            return _tc_flat(records, lambda r: tc_entity(self.ctx.name, r)), records
        return _wrap_decode("qdiscs", decode)


class ClassSource(NetlinkSource):
    """Hot: classes of every link that has a classful qdisc (the kernel wants an ifindex)."""

    name = "classes"

    def __init__(self, ctx: NetlinkContext) -> None:
        super().__init__(ctx)
        self.options: dict[tuple[int, int], dict[str, int]] = {}  # htb rate/ceil, decoded once

    def is_gauge(self, column: str) -> bool:
        return column.rpartition("/")[2] in TC_GAUGES

    def read(self) -> Reading:
        indexes = sorted({q.ifindex for q in self.ctx.qdiscs if q.kind in CLASSFUL})
        msgs: list[bytes] = []
        for index in indexes:
            try:
                msgs += self.ctx.dump(self.ctx.route, RTM_GETTCLASS, tc_request(index), "RTM_GETTCLASS")
            except SourceUnavailable as exc:
                if exc.errno not in (19, 22):  # ENODEV/EINVAL: the link left between dumps
                    raise

        def decode() -> Reading:
            records = [decode_tc(m) for m in msgs]
            for rec, msg in zip(records, msgs):
                key = (rec.ifindex, rec.handle)
                if rec.kind == "htb" and key not in self.options:
                    from .nlinfo import decode_htb_class_options
                    self.options[key] = decode_htb_class_options(msg)
            live = {(r.ifindex, r.handle) for r in records}
            self.options = {k: v for k, v in self.options.items() if k in live}
            return _tc_flat(records, lambda r: tc_entity(self.ctx.name, r)), (records, dict(self.options))
        return _wrap_decode("classes", decode)


class ListenerSource(NetlinkSource):
    """Hot: TCP listeners' accept queue (idiag_rqueue) and backlog (idiag_wqueue)."""

    name = "listeners"

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        msgs: list[bytes] = []
        for family in (socket.AF_INET, socket.AF_INET6):
            msgs += self.ctx.dump(self.ctx.diag, SOCK_DIAG_BY_FAMILY, diag_request(family, 1 << TCP_LISTEN),
                                  "sock_diag")

        def decode() -> Reading:
            socks = [decode_diag(m) for m in msgs]
            names: list[str] = []
            values: list[int] = []
            for s in socks:
                names += [f"{s.local}/accept_queue", f"{s.local}/backlog"]
                values += [s.rqueue, s.wqueue]
            return (tuple(names), values), socks
        return _wrap_decode("listeners", decode)


class TcpStatesSource(NetlinkSource):
    """Warm: how many TCP sockets are in each state (v4 and v6)."""

    name = "tcp_states"
    tier = Tier.WARM

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        msgs: list[bytes] = []
        for family in (socket.AF_INET, socket.AF_INET6):
            msgs += self.ctx.dump(self.ctx.diag, SOCK_DIAG_BY_FAMILY, diag_request(family, ALL_STATES),
                                  "sock_diag")

        def decode() -> Reading:
            counts = count_states(msgs)
            return (tuple(counts), list(counts.values())), counts
        return _wrap_decode("tcp_states", decode)


RTM_GETADDR, RTM_GETROUTE = 22, 26
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
RT_TABLE_MAIN = 254


@dataclass(frozen=True)
class Address:
    ifindex: int
    address: str
    prefixlen: int


@dataclass(frozen=True)
class Route:
    dst: str  # "0.0.0.0" for the default route
    dst_len: int
    gateway: str | None
    oif: int | None


@dataclass
class Routing:
    addresses: list[Address]
    routes: list[Route]  # IPv4 main table


class RoutingSource(NetlinkSource):
    """Cold: IPv4 addresses and main-table routes, for the multi-NIC rules of `nettop doctor`."""

    name = "routing"
    tier = Tier.COLD

    def read(self) -> Reading:
        addr_msgs = self.ctx.dump(self.ctx.route, RTM_GETADDR, IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0),
                                  "address dump")
        route_msgs = self.ctx.dump(self.ctx.route, RTM_GETROUTE, RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0),
                                   "route dump")

        def decode() -> Reading:
            from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
            from pyroute2.netlink.rtnl.rtmsg import rtmsg

            addresses = []
            for raw in addr_msgs:
                a = ifaddrmsg(raw)
                a.decode()
                address = a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
                if address:
                    addresses.append(Address(a["index"], address, a["prefixlen"]))
            routes = []
            for raw in route_msgs:
                r = rtmsg(raw)
                r.decode()
                if (r.get_attr("RTA_TABLE") or r["table"]) == RT_TABLE_MAIN:
                    routes.append(Route(r.get_attr("RTA_DST") or "0.0.0.0", r["dst_len"],
                                        r.get_attr("RTA_GATEWAY"), r.get_attr("RTA_OIF")))
            return ((), []), Routing(addresses, routes)
        return _wrap_decode("routing", decode)


BQL_FIELDS = ("limit", "inflight", "limit_max", "limit_min")


class BqlSource:
    """Warm: byte queue limits of every tx queue, from sysfs."""

    name = "bql"
    tier = Tier.WARM
    bits = None

    def __init__(self, sysfs: Path, netns_reason: str | None = None) -> None:
        self.base = sysfs / "class" / "net"
        self.netns_reason = netns_reason

    def is_gauge(self, column: str) -> bool:
        return True

    def read(self) -> Reading:
        if self.netns_reason:
            raise SourceUnavailable(0, self.netns_reason)
        try:
            devices = sorted(os.listdir(self.base))
        except OSError as exc:
            raise _unavailable(exc, "sysfs") from exc
        names: list[str] = []
        values: list[int] = []
        queues: dict[str, dict[str, int]] = {}
        for dev in devices:
            qdir = self.base / dev / "queues"
            try:
                entries = os.listdir(qdir)
            except OSError:
                continue  # vanished, or a device without queues
            queues[dev] = {"tx": sum(e.startswith("tx-") for e in entries),
                           "rx": sum(e.startswith("rx-") for e in entries)}
            for q in sorted(e for e in entries if e.startswith("tx-")):
                for f in BQL_FIELDS:
                    try:
                        value = int((qdir / q / "byte_queue_limits" / f).read_bytes())
                    except (OSError, ValueError):
                        continue
                    names.append(f"{dev} {q}/{f}")
                    values.append(value)
        return (tuple(names), values), queues

    def close(self) -> None:
        pass


def netlink_sources(sysfs: Path, bql_reason: str | None = None) -> list[Any]:
    ctx = NetlinkContext()
    return [LinkInfoSource(ctx), LinkStatsSource(ctx), QdiscSource(ctx), ClassSource(ctx),
            ListenerSource(ctx), TcpStatesSource(ctx), RoutingSource(ctx), BqlSource(sysfs, bql_reason)]


__all__ = ["netlink_sources", "NetlinkContext", "DiagSocket"]
