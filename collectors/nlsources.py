"""Netlink sources of rtnetlink: links, link stats, qdiscs, classes, routing.

All sockets are opened lazily by the sampler thread, so they belong to the
namespace that thread has entered. Each source returns flat columns for the
ring store plus a typed detail (keys.py) that the snapshot and the UI read.
"""

from __future__ import annotations

import dataclasses
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import keys
from .errors import ParseError, SourceUnavailable
from .netlink import (
    NETLINK_ROUTE,
    NETLINK_SOCK_DIAG,
    NLMSGHDR,
    RTM_GETLINK,
    RTM_GETQDISC,
    RTM_GETSTATS,
    RTM_GETTCLASS,
    Dumper,
    attr_string,
    iter_attrs,
    open_socket,
)
from .netstat import Flat
from .nlinfo import Address, Route, Routing
from .nlstats import (
    CLASSFUL,
    LINK_STATS64_FIELDS,
    TC_COUNTERS,
    TC_GAUGES,
    TcStats,
    decode_link_stats,
    decode_tc,
    format_handle,
    qdisc_options,
    stats_request,
    tc_request,
)
from .procfs import describe_os_error
from .qpeak import QdiscPeaks, open_peaks
from .sources import NO_COLUMNS, BaseSource, Reading, Source
from .tiers import Tier

if TYPE_CHECKING:
    from .netns import NetnsTarget

NLMSG_HEADER = NLMSGHDR.size  # len, type, flags, seq (differs per dump), pid

IFINFOMSG = struct.Struct("=BBHiII")
IFLA_IFNAME = 3
ENODEV, EINVAL = 19, 22


def unavailable(exc: OSError, what: str) -> SourceUnavailable:
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
            raise unavailable(exc, what) from exc

    def dump(self, dumper: Callable[[], Dumper], msg_type: int, payload: bytes, what: str) -> list[bytes]:
        try:
            return [msg for _t, msg in dumper().dump(msg_type, payload)]
        except SourceUnavailable:
            raise
        except OSError as exc:
            self.close()  # a socket that failed mid-dump is not reused
            raise unavailable(exc, what) from exc

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


def decoded(what: str, fn: Callable[[], Reading]) -> Reading:
    """Run a decoder; a malformed message is a ParseError of the source, not a crash."""
    try:
        return fn()
    except (struct.error, IndexError, ValueError, KeyError, TypeError) as exc:
        raise ParseError(what, 0, "", f"undecodable netlink message: {exc}") from None


class NetlinkSource(BaseSource):
    """Common shape of the netlink sources: they share one context (sockets, names)."""

    def __init__(self, ctx: NetlinkContext) -> None:
        self.ctx = ctx

    def close(self) -> None:
        self.ctx.close()


class LinkInfoSource(NetlinkSource):
    """Cold: every link fully decoded by pyroute2 (kind, master, peer, operstate, mtu ...)."""

    key = keys.LINKS
    tier = Tier.COLD
    max_share = 0.002  # pyroute2 decodes every attribute: ~0.2 s a read at 1000 links, so every ~90 s

    def read(self) -> Reading:
        msgs = self.ctx.dump(self.ctx.route, RTM_GETLINK, IFINFOMSG.pack(0, 0, 0, 0, 0, 0), "link dump")

        def decode() -> Reading:
            from .nlinfo import decode_link
            links = {link.index: link for link in map(decode_link, msgs)}
            self.ctx.names = {i: link.name for i, link in links.items()}
            return NO_COLUMNS, links
        return decoded("links", decode)


@lru_cache(maxsize=8192)
def _link_columns(name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{name}/{f}" for f in LINK_STATS64_FIELDS[:count])


class LinkStatsSource(NetlinkSource):
    """Hot: 64-bit stats of every link through RTM_GETSTATS (no attribute decoding)."""

    key = keys.LINK_STATS

    def __init__(self, ctx: NetlinkContext) -> None:
        super().__init__(ctx)
        self._seen: dict[bytes, tuple[int, tuple[int, ...]] | None] = {}

    def read(self) -> Reading:
        msgs = self.ctx.dump(self.ctx.route, RTM_GETSTATS, stats_request(), "RTM_GETSTATS")

        def decode() -> Reading:
            seen: dict[bytes, tuple[int, tuple[int, ...]] | None] = {}
            for msg in msgs:  # an idle link's message is the same bytes as last read: not decoded again
                body = msg[NLMSG_HEADER:]
                seen[body] = self._seen[body] if body in self._seen else decode_link_stats(msg)
            self._seen = seen
            stats = [s for s in seen.values() if s is not None]
            if any(index not in self.ctx.names for index, _ in stats):
                self.ctx.refresh_names()  # a link appeared since the last name dump
            names: list[str] = []
            values: list[int] = []
            for index, counters in stats:
                names += _link_columns(self.ctx.name(index), len(counters))
                values += counters
            return (tuple(names), values), None
        return decoded("link_stats", decode)


@lru_cache(maxsize=8192)
def _tc_columns(entity: str) -> tuple[str, ...]:
    return tuple(f"{entity}/{f}" for f in TC_COUNTERS + TC_GAUGES)


@lru_cache(maxsize=8192)
def _tc_record_columns(dev: str, handle: int) -> tuple[str, ...]:
    return _tc_columns(f"{dev} {format_handle(handle)}")


def _tc_flat(records: list[TcStats], name: Callable[[int], str]) -> Flat:
    """Columns `DEV HANDLE/field` (e.g. `eth0 1:10/drops`); each record keeps its device's name."""
    names: list[str] = []
    values: list[int] = []
    for r in records:
        r.dev = name(r.ifindex)
        names += _tc_record_columns(r.dev, r.handle)
        values += r.values()
    return tuple(names), values


def is_backlog(column: str) -> bool:
    return column.rpartition("/")[2] in TC_GAUGES


class QdiscSource(NetlinkSource):
    """Hot: every qdisc's TCA_STATS2 (bytes, packets, drops, overlimits, requeues, backlog), and
    its limits (TCA_OPTIONS), decoded once per qdisc: they name what bound when it drops."""

    key = keys.QDISCS
    tier = Tier.BURST

    def __init__(self, ctx: NetlinkContext) -> None:
        super().__init__(ctx)
        self.options: dict[tuple[int, int, str], dict[str, int]] = {}
        self.peaks: QdiscPeaks | None = None
        self._reads = 0
        self._seen: dict[bytes, TcStats] = {}  # message body (after the header) -> its record

    def is_gauge(self, column: str) -> bool:
        return is_backlog(column)

    def read(self) -> Reading:
        self._reads += 1
        if self._reads == 2 and self.peaks is None:  # not before the first frame: BTF takes ~60 ms
            self.peaks = open_peaks()
        peaks = self.peaks.take() if self.peaks is not None else {}
        msgs = self.ctx.dump(self.ctx.route, RTM_GETQDISC, tc_request(), "RTM_GETQDISC")
        return decoded("qdiscs", lambda: self._decode(msgs, peaks))

    def close(self) -> None:
        if self.peaks is not None:
            self.peaks.close()
            self.peaks = None
        super().close()

    def _decode(self, msgs: list[bytes], peaks: dict[tuple[int, int, int], int]) -> Reading:
        records: list[TcStats] = []
        seen: dict[bytes, TcStats] = {}
        options: dict[tuple[int, int, str], dict[str, int]] = {}
        for msg in msgs:
            body = msg[NLMSG_HEADER:]  # the same bytes as last read: an idle qdisc, decoded then
            rec = self._seen.get(body)
            if rec is None:
                rec = decode_tc(msg)
                found = self.options.get((rec.ifindex, rec.handle, rec.kind))
                rec.options = qdisc_options(msg) if found is None else found
            seen[body] = rec
            options[rec.ifindex, rec.handle, rec.kind] = rec.options
            peak = peaks.get((rec.ifindex, rec.handle, rec.parent), 0) if peaks else 0
            # the queue's highest since the last read, not only now (a copy: `rec` is kept as read)
            records.append(dataclasses.replace(rec, backlog_bytes=peak) if peak > rec.backlog_bytes else rec)
        self._seen = seen  # qdiscs that left are forgotten
        self.options = options
        if any(r.ifindex not in self.ctx.names for r in records):
            self.ctx.refresh_names()
        self.ctx.qdiscs = records
        return _tc_flat(records, self.ctx.name), records


class ClassSource(NetlinkSource):
    """Hot: classes of every link that has a classful qdisc (the kernel wants an ifindex)."""

    key = keys.CLASSES
    tier = Tier.BURST

    def __init__(self, ctx: NetlinkContext) -> None:
        super().__init__(ctx)
        self.options: dict[tuple[int, int], dict[str, int]] = {}  # htb rate/ceil, decoded once

    def is_gauge(self, column: str) -> bool:
        return is_backlog(column)

    def read(self) -> Reading:
        indexes = sorted({q.ifindex for q in self.ctx.qdiscs if q.kind in CLASSFUL})
        msgs: list[bytes] = []
        for index in indexes:
            try:
                msgs += self.ctx.dump(self.ctx.route, RTM_GETTCLASS, tc_request(index), "RTM_GETTCLASS")
            except SourceUnavailable as exc:
                if exc.errno not in (ENODEV, EINVAL):  # the link left between dumps
                    raise
        return decoded("classes", lambda: self._decode(msgs))

    def _decode(self, msgs: list[bytes]) -> Reading:
        records = [decode_tc(m) for m in msgs]
        for rec, msg in zip(records, msgs, strict=True):
            key = (rec.ifindex, rec.handle)
            if rec.kind == "htb" and key not in self.options:
                from .nlinfo import decode_htb_class_options
                self.options[key] = decode_htb_class_options(msg)
            rec.options = self.options.get(key, {})
        live = {(r.ifindex, r.handle) for r in records}
        self.options = {k: v for k, v in self.options.items() if k in live}
        return _tc_flat(records, self.ctx.name), records


RTM_GETADDR, RTM_GETROUTE = 22, 26
IFADDRMSG = struct.Struct("=BBBBI")
RTMSG = struct.Struct("=BBBBBBBBI")
RT_TABLE_MAIN = 254


class RoutingSource(NetlinkSource):
    """Cold: IPv4 addresses and main-table routes, for the multi-NIC rules of `nettop doctor`."""

    key = keys.ROUTING
    tier = Tier.COLD

    def read(self) -> Reading:
        addr_msgs = self.ctx.dump(self.ctx.route, RTM_GETADDR, IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0),
                                  "address dump")
        route_msgs = self.ctx.dump(self.ctx.route, RTM_GETROUTE, RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0),
                                   "route dump")
        return decoded("routing", lambda: (NO_COLUMNS, Routing(_addresses(addr_msgs), _routes(route_msgs))))


def _addresses(msgs: list[bytes]) -> list[Address]:
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg

    out = []
    for raw in msgs:
        a = ifaddrmsg(raw)
        a.decode()
        address = a.get_attr("IFA_LOCAL") or a.get_attr("IFA_ADDRESS")
        if address:
            out.append(Address(a["index"], address, a["prefixlen"]))
    return out


def _routes(msgs: list[bytes]) -> list[Route]:
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    out = []
    for raw in msgs:
        r = rtmsg(raw)
        r.decode()
        if (r.get_attr("RTA_TABLE") or r["table"]) == RT_TABLE_MAIN:
            dst = r.get_attr("RTA_DST") or "0.0.0.0"  # noqa: S104  # the default route's destination, not a bind
            out.append(Route(dst, r["dst_len"], r.get_attr("RTA_GATEWAY"),
                             r.get_attr("RTA_OIF")))
    return out


def netlink_sources(sysfs: Path, netns: NetnsTarget | None = None) -> list[Source]:
    """Every netlink and sysfs source of one sampler, sharing one netlink context."""
    from .bql import BqlSource
    from .diagsources import ListenerSource, TcpStatesSource

    ctx = NetlinkContext()
    bql_reason = (f"BQL lives in sysfs, which shows the host's devices, not those of namespace {netns.spec}"
                  if netns is not None else None)
    return [LinkInfoSource(ctx), LinkStatsSource(ctx), QdiscSource(ctx), ClassSource(ctx),
            ListenerSource(ctx), TcpStatesSource(ctx), RoutingSource(ctx), BqlSource(sysfs, bql_reason)]
