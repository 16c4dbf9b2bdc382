"""Struct decoders for the hot netlink messages: link stats, tc stats, inet_diag.

Each takes one whole message (nlmsghdr included) as recorded from a dump, so
tests feed them recorded bytes. Field layouts are the kernel's UAPI structs:
rtnl_link_stats64 (if_link.h), gnet_stats_basic/queue (gen_stats.h),
tc_htb_xstats (pkt_sched.h), inet_diag_msg (inet_diag.h).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass, field

from .netlink import NLA_TYPE_MASK, NLMSGHDR, RTATTR, attr_string, iter_attrs

HDR = NLMSGHDR.size

# --- links: RTM_GETSTATS with IFLA_STATS_LINK_64 -------------------------------------

IF_STATS_MSG = struct.Struct("=BBHII")  # family, pad1, pad2, ifindex, filter_mask
IFLA_STATS_LINK_64 = 1
STATS_MASK_LINK_64 = 1 << (IFLA_STATS_LINK_64 - 1)
LINK_STATS64_FIELDS = (
    "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
    "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
    "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
    "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
    "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
    "rx_nohandler", "rx_otherhost_dropped",
)


def stats_request() -> bytes:
    return IF_STATS_MSG.pack(0, 0, 0, 0, STATS_MASK_LINK_64)


def decode_link_stats(msg: bytes) -> tuple[int, tuple[int, ...]] | None:
    """(ifindex, counters in LINK_STATS64_FIELDS order, as many as the kernel sent)."""
    ifindex = struct.unpack_from("=I", msg, HDR + 4)[0]
    for atype, start, end in iter_attrs(msg, HDR + IF_STATS_MSG.size, len(msg)):
        if atype == IFLA_STATS_LINK_64:
            count = min((end - start) // 8, len(LINK_STATS64_FIELDS))
            return ifindex, struct.unpack_from(f"={count}Q", msg, start)
    return None


# --- qdiscs and classes: RTM_GETQDISC / RTM_GETTCLASS --------------------------------

TCMSG = struct.Struct("=BBHiIII")  # family, pad1, pad2, ifindex, handle, parent, info
TCA_KIND, TCA_OPTIONS, TCA_STATS, TCA_XSTATS, TCA_STATS2 = 1, 2, 3, 4, 7
TCA_STATS_BASIC, TCA_STATS_RATE_EST, TCA_STATS_QUEUE = 1, 2, 3
TCA_STATS_APP, TCA_STATS_RATE_EST64, TCA_STATS_PKT64 = 4, 5, 8
GNET_BASIC = struct.Struct("=QI")  # bytes, packets
GNET_QUEUE = struct.Struct("=5I")  # qlen, backlog, drops, requeues, overlimits
U64 = struct.Struct("=Q")
HTB_XSTATS = struct.Struct("=IIIii")  # lends, borrows, giants, tokens, ctokens
FQ_CODEL_XSTATS = struct.Struct("=10I")  # type (0: qdisc), then tc_fq_codel_qd_stats
FQ_CODEL_QD_FIELDS = ("maxpacket", "drop_overlimit", "ecn_mark", "new_flow_count", "new_flows_len",
                      "old_flows_len", "ce_mark", "memory_usage", "drop_overmemory")
CLASSFUL = frozenset({"htb", "hfsc", "cbq", "drr", "qfq", "prio", "mqprio", "mq", "ets", "multiq", "taprio"})
TC_COUNTERS = ("bytes", "packets", "drops", "overlimits", "requeues")
TC_GAUGES = ("backlog_bytes", "backlog_packets")


def tc_request(ifindex: int = 0) -> bytes:
    return TCMSG.pack(0, 0, 0, ifindex, 0, 0, 0)


@dataclass
class TcStats:
    ifindex: int
    handle: int
    parent: int
    kind: str = ""
    dev: str = ""  # the device's name when it was read (the columns are named after it)
    bytes: int = 0
    packets: int = 0
    drops: int = 0
    overlimits: int = 0
    requeues: int = 0
    backlog_bytes: int = 0
    backlog_packets: int = 0
    xstats: dict[str, int] = field(default_factory=dict)
    options: dict[str, int] = field(default_factory=dict)  # htb class rate, ceil, quantum (bytes/s)

    def values(self) -> tuple[int, ...]:
        """In TC_COUNTERS + TC_GAUGES order."""
        return (self.bytes, self.packets, self.drops, self.overlimits, self.requeues,
                self.backlog_bytes, self.backlog_packets)


def decode_tc(msg: bytes) -> TcStats:
    """One RTM_NEWQDISC/RTM_NEWTCLASS message; attributes walked inline (hot path)."""
    _fam, _p1, _p2, ifindex, handle, parent, _info = TCMSG.unpack_from(msg, HDR)
    rec = TcStats(ifindex, handle, parent)
    xstats = b""
    unpack_attr = RTATTR.unpack_from
    off, end = HDR + TCMSG.size, len(msg)
    while off + 4 <= end:
        length, atype = unpack_attr(msg, off)
        if length < 4 or off + length > end:
            break
        atype &= NLA_TYPE_MASK
        start, stop = off + 4, off + length
        if atype == TCA_KIND:
            rec.kind = attr_string(msg, start, stop)
        elif atype == TCA_STATS2:
            _decode_stats2(msg, start, stop, rec)
        elif atype == TCA_XSTATS:
            xstats = msg[start:stop]
        off += (length + 3) & ~3
    if xstats:
        rec.xstats = decode_xstats(rec.kind, xstats)
    return rec


def _decode_stats2(msg: bytes, off: int, end: int, rec: TcStats) -> None:
    unpack_attr = RTATTR.unpack_from
    while off + 4 <= end:
        length, stype = unpack_attr(msg, off)
        if length < 4 or off + length > end:
            return
        stype &= NLA_TYPE_MASK
        size = length - 4
        if stype == TCA_STATS_BASIC and size >= GNET_BASIC.size:
            rec.bytes, packets = GNET_BASIC.unpack_from(msg, off + 4)
            rec.packets = max(rec.packets, packets)
        elif stype == TCA_STATS_PKT64 and size >= 8:
            rec.packets = U64.unpack_from(msg, off + 4)[0]  # sent only past 2^32
        elif stype == TCA_STATS_QUEUE and size >= GNET_QUEUE.size:
            (rec.backlog_packets, rec.backlog_bytes, rec.drops, rec.requeues,
             rec.overlimits) = GNET_QUEUE.unpack_from(msg, off + 4)
        off += (length + 3) & ~3


def decode_xstats(kind: str, xstats: bytes) -> dict[str, int]:
    """Kind-specific extra stats (TCA_XSTATS) of the qdiscs and classes we know."""
    if kind == "htb" and len(xstats) == HTB_XSTATS.size:
        return dict(zip(("lends", "borrows", "giants", "tokens", "ctokens"), HTB_XSTATS.unpack(xstats), strict=False))
    if kind == "fq_codel" and len(xstats) >= FQ_CODEL_XSTATS.size:
        words = FQ_CODEL_XSTATS.unpack_from(xstats)
        if words[0] == 0:  # TCA_FQ_CODEL_XSTATS_QDISC; class stats have another layout
            return dict(zip(FQ_CODEL_QD_FIELDS, words[1:], strict=False))
    return {}


# TCA_OPTIONS of the qdiscs whose limit can bind (include/uapi/linux/pkt_sched.h)
FIFO_KINDS = frozenset({"pfifo", "bfifo", "pfifo_head_drop"})
TBF_QOPT = struct.Struct("=12x12xIII")  # rate, peakrate (tc_ratespec), limit, buffer, mtu
RATESPEC_RATE = struct.Struct("=8xI")  # tc_ratespec's rate (bytes/s, 32 bits)
HTB_GLOB = struct.Struct("=IIIII")  # version, rate2quantum, defcls, debug, direct_pkts
SFQ_QOPT = struct.Struct("=IiIII")  # quantum, perturb_period, limit, divisor, flows
NETEM_QOPT = struct.Struct("=II")  # latency, limit
NESTED_U32 = {  # kind: {attribute type: option name}
    "fq_codel": {1: "target_us", 2: "limit", 9: "memory_limit"},
    "codel": {1: "target_us", 2: "limit"},
    "fq": {1: "limit", 2: "flow_limit"},
    "pie": {2: "limit"},
    "fq_pie": {1: "limit"},
}


def qdisc_options(msg: bytes) -> dict[str, int]:
    """The limits of a qdisc, from its TCA_OPTIONS: `limit` (packets, or bytes for bfifo and
    tbf), tbf's `rate` (bytes/s), fq_codel's `target_us` and `memory_limit`, htb's `default`."""
    kind, options = "", b""
    for atype, start, end in iter_attrs(msg, HDR + TCMSG.size, len(msg)):
        if atype == TCA_KIND:
            kind = attr_string(msg, start, end)
        elif atype == TCA_OPTIONS:
            options = msg[start:end]
    return _options(kind, options) if options else {}


def _options(kind: str, raw: bytes) -> dict[str, int]:
    if kind in FIFO_KINDS and len(raw) >= 4:
        return {"limit": struct.unpack_from("=I", raw)[0]}
    if kind == "sfq" and len(raw) >= SFQ_QOPT.size:
        return {"limit": SFQ_QOPT.unpack_from(raw)[2]}
    if kind == "netem" and len(raw) >= NETEM_QOPT.size:
        return {"limit": NETEM_QOPT.unpack_from(raw)[1]}
    nested = {atype: raw[start:end] for atype, start, end in iter_attrs(raw, 0, len(raw))}
    if kind == "tbf" and 1 in nested and len(nested[1]) >= TBF_QOPT.size:
        out = {"limit": TBF_QOPT.unpack_from(nested[1])[0], "rate": RATESPEC_RATE.unpack_from(nested[1])[0]}
        if len(nested.get(4, b"")) >= 8:  # TCA_TBF_RATE64: rates past 32 bits
            out["rate"] = U64.unpack_from(nested[4])[0]
        return out
    if kind == "htb" and len(nested.get(2, b"")) >= HTB_GLOB.size:
        return {"default": HTB_GLOB.unpack_from(nested[2])[2]}
    names = NESTED_U32.get(kind, {})
    return {name: struct.unpack_from("=I", nested[a])[0] for a, name in names.items() if len(nested.get(a, b"")) >= 4}


def format_handle(handle: int) -> str:
    """A tc handle as tc prints it: `1:`, `1:10`, `0:` (none given), `root`, `ingress`."""
    if handle == 0xFFFFFFFF:
        return "root"
    if handle == 0xFFFFFFF1:
        return "ingress"
    major, minor = handle >> 16, handle & 0xFFFF
    return f"{major:x}:" if minor == 0 else f"{major:x}:{minor:x}"


# --- listening sockets: inet_diag ------------------------------------------------------

INET_DIAG_REQ_V2 = struct.Struct("=BBBBI48s")  # family, protocol, ext, pad, states, sockid
INET_DIAG_MSG = struct.Struct("=BBBB2s2s16s16sIQIIIII")
TCP_STATES = ("", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT",
              "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV")
TCP_LISTEN = 10
ALL_STATES = 0xFFFFFFFF


def diag_request(family: int, states: int, protocol: int = socket.IPPROTO_TCP) -> bytes:
    return INET_DIAG_REQ_V2.pack(family, protocol, 0, 0, states, bytes(48))


@dataclass(frozen=True)
class DiagSocket:
    family: int
    state: int
    local: str  # "127.0.0.1:8080" or "[::1]:8080"
    rqueue: int  # LISTEN: accept queue now
    wqueue: int  # LISTEN: the effective backlog, min(requested, somaxconn)
    inode: int
    uid: int


def decode_diag(msg: bytes) -> DiagSocket:
    (family, state, _timer, _retrans, sport, _dport, src, _dst, _ifindex, _cookie, _expires,
     rqueue, wqueue, uid, inode) = INET_DIAG_MSG.unpack_from(msg, HDR)
    port = int.from_bytes(sport, "big")
    if family == socket.AF_INET6:
        local = f"[{ipaddress.IPv6Address(src)}]:{port}"
    else:
        local = f"{ipaddress.IPv4Address(src[:4])}:{port}"
    return DiagSocket(family, state, local, rqueue, wqueue, inode, uid)


def count_states(msgs: list[bytes]) -> dict[str, int]:
    """TCP sockets by state from an all-states dump (state is byte 1 of inet_diag_msg)."""
    counts: dict[str, int] = {}
    for msg in msgs:
        state = msg[HDR + 1]
        if state == 12:  # NEW_SYN_RECV: a request socket, what ss and netstat call SYN_RECV
            state = 3
        name = TCP_STATES[state] if state < len(TCP_STATES) else str(state)
        counts[name] = counts.get(name, 0) + 1
    return counts
