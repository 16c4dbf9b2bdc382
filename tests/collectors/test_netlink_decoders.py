"""The struct decoders against pyroute2's full decoding, on recorded and on live messages."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest
from pyroute2.netlink.rtnl.ifstatsmsg import ifstatsmsg
from pyroute2.netlink.rtnl.tcmsg import tcmsg

from nettop.collectors.netlink import (
    NETLINK_ROUTE,
    NETLINK_SOCK_DIAG,
    RTM_GETQDISC,
    RTM_GETSTATS,
    SOCK_DIAG_BY_FAMILY,
    Dumper,
    iter_attrs,
    open_socket,
)
from nettop.collectors.nlinfo import decode_link, link_relations
from nettop.collectors.nlstats import (
    LINK_STATS64_FIELDS,
    TCP_LISTEN,
    decode_diag,
    decode_link_stats,
    decode_tc,
    diag_request,
    format_handle,
    stats_request,
    tc_request,
)

RECORDED = Path(__file__).parent.parent / "fixtures" / "netlink"


def recorded(name: str) -> bytes:
    return bytes.fromhex((RECORDED / f"{name}.hex").read_text())


@pytest.mark.parametrize("name, kind, details", [
    ("link-vlan", "vlan", {"vlan_id": 100, "protocol": 0x8100}),
    ("link-bond", "bond", {"mode": "802.3ad"}),
    ("link-team", "team", {}),
    ("link-ipvlan", "ipvlan", {"mode": "l3"}),
    ("link-dummy", "dummy", {}),
])
def test_recorded_link_kinds(name: str, kind: str, details: dict[str, object]) -> None:
    link = decode_link(recorded(name))
    assert link.kind == kind
    assert link.details == details


def test_recorded_hierarchy_bond_team_vlan_ipvlan() -> None:
    eth0 = decode_link(recorded("link-vlan"))
    eth0.index, eth0.name, eth0.kind, eth0.link, eth0.details = 2, "eth0", None, None, {}
    links = {link.index: link for link in map(decode_link, (
        recorded("link-vlan"), recorded("link-bond"), recorded("link-bond-port"), recorded("link-team"),
        recorded("link-team-port"), recorded("link-ipvlan")))}
    links[2] = eth0
    rel = link_relations(links)
    assert rel[7] == {"master": "bond0"} and links[7].slave_kind == "bond"
    assert rel[9] == {"master": "team0"} and links[9].slave_kind == "team"
    assert rel[5]["lower"] == "eth0" and rel[10]["lower"] == "eth0"


def test_recorded_fq_codel_extra_stats() -> None:
    rec = decode_tc(recorded("qdisc-fq_codel"))
    assert rec.kind == "fq_codel" and rec.bytes == 6_000_000_000
    assert rec.backlog_packets == 12 and rec.backlog_bytes == 18168 and rec.drops == 21 and rec.requeues == 5
    assert rec.xstats["drop_overlimit"] == 17 and rec.xstats["new_flow_count"] == 981
    assert rec.xstats["memory_usage"] == 94208


def test_packet_counter_past_2_32_uses_pkt64() -> None:
    msg = bytearray(recorded("qdisc-fq_codel"))
    extra = struct.pack("=HHQ", 12, 8, 5_000_000_000)  # TCA_STATS_PKT64 inside TCA_STATS2
    for atype, start, end in iter_attrs(bytes(msg), 16 + 20, len(msg)):
        if atype == 7:
            pos = start - 4
            struct.pack_into("=H", msg, pos, end - pos + len(extra))
            msg[end:end] = extra
            struct.pack_into("=I", msg, 0, len(msg))
            break
    assert decode_tc(bytes(msg)).packets == 5_000_000_000


@pytest.mark.parametrize("handle, text", [(0xFFFFFFFF, "root"), (0xFFFFFFF1, "ingress"), (0, "0:"),
                                          (0x10000, "1:"), (0x10010, "1:10"), (0xABCD0001, "abcd:1")])
def test_handles_print_as_tc_prints_them(handle: int, text: str) -> None:
    assert format_handle(handle) == text


def test_truncated_messages_do_not_crash_the_attribute_walk() -> None:
    msg = recorded("qdisc-fq_codel")
    for cut in range(36, len(msg)):
        rec = decode_tc(msg[:cut])  # attributes cut short are skipped, the header still decodes
        assert rec.ifindex == 2


# --- live messages of this kernel, decoded both ways -----------------------------------


def test_link_stats_match_pyroute2_field_by_field() -> None:
    dumper = Dumper(open_socket(NETLINK_ROUTE))
    try:
        msgs = [m for _t, m in dumper.dump(RTM_GETSTATS, stats_request())]
    finally:
        dumper.close()
    assert msgs
    for msg in msgs:
        index, ours = decode_link_stats(msg)  # type: ignore[misc]
        full = ifstatsmsg(msg)
        full.decode()
        theirs = full.get_attr("IFLA_STATS_LINK_64")
        assert full["ifindex"] == index
        for name, value in zip(LINK_STATS64_FIELDS, ours, strict=False):
            if name in theirs:  # pyroute2 0.9 lacks rx_nohandler and rx_otherhost_dropped
                assert theirs[name] == value, name


def test_qdisc_stats_match_pyroute2_field_by_field() -> None:
    dumper = Dumper(open_socket(NETLINK_ROUTE))
    try:
        msgs = [m for _t, m in dumper.dump(RTM_GETQDISC, tc_request())]
    finally:
        dumper.close()
    assert msgs
    for msg in msgs:
        ours = decode_tc(msg)
        full = tcmsg(msg)
        full.decode()
        stats2 = full.get_attr("TCA_STATS2")
        basic, queue = stats2.get_attr("TCA_STATS_BASIC"), stats2.get_attr("TCA_STATS_QUEUE")
        assert (ours.ifindex, ours.handle, ours.parent, ours.kind) == (
            full["index"], full["handle"], full["parent"], full.get_attr("TCA_KIND"))
        assert (ours.bytes, ours.packets) == (basic["bytes"], basic["packets"])
        assert (ours.backlog_packets, ours.backlog_bytes, ours.drops, ours.requeues, ours.overlimits) == (
            queue["qlen"], queue["backlog"], queue["drops"], queue["requeues"], queue["overlimits"])


def test_listener_decoder_on_a_live_listener() -> None:
    server = socket.create_server(("127.0.0.1", 0), backlog=5)
    port = server.getsockname()[1]
    dumper = Dumper(open_socket(NETLINK_SOCK_DIAG))
    try:
        msgs = [m for _t, m in dumper.dump(SOCK_DIAG_BY_FAMILY, diag_request(socket.AF_INET, 1 << TCP_LISTEN))]
    finally:
        dumper.close()
        server.close()
    mine = [d for d in map(decode_diag, msgs) if d.local == f"127.0.0.1:{port}"]
    assert len(mine) == 1
    assert mine[0].wqueue == 5 and mine[0].rqueue == 0 and mine[0].state == TCP_LISTEN


def test_an_idle_qdisc_is_decoded_once_and_a_moving_one_every_read() -> None:
    from nettop.collectors.nlsources import NetlinkContext, QdiscSource

    msg = recorded("qdisc-fq_codel")
    ifindex = decode_tc(msg).ifindex

    def with_seq(m: bytes, seq: int) -> bytes:  # each dump numbers its messages anew
        return m[:8] + struct.pack("=I", seq) + m[12:]

    src = QdiscSource(NetlinkContext(names={ifindex: "eth0"}))
    (_n1, v1), first = src._decode([with_seq(msg, 1)], {})
    (_n2, v2), again = src._decode([with_seq(msg, 2)], {})
    assert again[0] is first[0] and v2 == v1  # same bytes after the header: not decoded again
    # a peak from the kernel shows in this read only, never in the kept record
    rec = first[0]
    key = (rec.ifindex, rec.handle, rec.parent)
    (_n3, _v3), peaked = src._decode([with_seq(msg, 3)], {key: rec.backlog_bytes + 1000})
    assert peaked[0].backlog_bytes == rec.backlog_bytes + 1000 and first[0].backlog_bytes == 18168
    # counters moved: a new record with the new figures
    at = msg.find(struct.pack("=Q", 6_000_000_000))
    moved = msg[:at] + struct.pack("=Q", 6_000_001_000) + msg[at + 8:]
    (_n4, _v4), fresh = src._decode([with_seq(moved, 4)], {})
    assert fresh[0] is not first[0] and fresh[0].bytes == 6_000_001_000
