"""Every parser on real /proc files from this kernel and on variants of other kernels.

tests/fixtures/README.md says where each file comes from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nettop.collectors.errors import ParseError, PartialParse
from nettop.collectors.netdev import parse_netdev
from nettop.collectors.netstat import parse_netstat
from nettop.collectors.protocols import parse_protocols
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.sockstat import parse_sockstat
from nettop.collectors.softnet import parse_softnet

FIXTURES = Path(__file__).parent.parent / "fixtures"
CAPTURED = ["linux-6.18-host", "linux-6.18-netns"]


def read(rel: str) -> bytes:
    return (FIXTURES / rel).read_bytes()


def raw_tokens(rel: str) -> int:
    """Value tokens in a netstat-format file: what the parser must account for."""
    lines = read(rel).decode().splitlines()
    return sum(len(v.split()) - 1 for v in lines[1::2])


@pytest.mark.parametrize("kind", CAPTURED)
def test_captured_netstat_and_snmp(kind: str) -> None:
    netstat = parse_netstat(read(f"{kind}/netstat"))
    snmp = parse_netstat(read(f"{kind}/snmp"))
    assert len(netstat) == raw_tokens(f"{kind}/netstat")
    assert len(snmp) == raw_tokens(f"{kind}/snmp")
    assert {"TcpExt.ListenOverflows", "IpExt.InOctets", "MPTcpExt.MPCurrEstab"} <= set(netstat)
    assert snmp["Tcp.MaxConn"] == -1
    assert snmp["Tcp.ActiveOpens"] > 0  # both captures made TCP connections


@pytest.mark.parametrize("kind", CAPTURED)
def test_captured_snmp6(kind: str) -> None:
    got = parse_snmp6(read(f"{kind}/snmp6"))
    lines = [line for line in read(f"{kind}/snmp6").decode().splitlines() if line.strip()]
    assert len(got) == len(lines)
    assert all("." in k for k in got)
    assert {k.split(".")[0] for k in got} >= {"Ip6", "Icmp6", "Udp6", "UdpLite6"}


@pytest.mark.parametrize("kind", CAPTURED)
def test_captured_protocols(kind: str) -> None:
    got = parse_protocols(read(f"{kind}/protocols"))
    assert got["TCP"]["press"] in ("yes", "no")
    assert got["UNIX-STREAM"]["memory"] == -1  # the overlong name shifts the row; columns still line up
    assert got["PACKET"]["press"] == "NI"
    assert "sp" not in got["TCP"]  # sendpage left the table in 6.5


@pytest.mark.parametrize("kind", CAPTURED)
def test_captured_sockstat(kind: str) -> None:
    four = parse_sockstat(read(f"{kind}/sockstat"))
    six = parse_sockstat(read(f"{kind}/sockstat6"))
    assert set(four["TCP"]) == {"inuse", "orphan", "tw", "alloc", "mem"}
    assert "UDPLITE" in four and "UDPLITE6" in six


@pytest.mark.parametrize("kind", CAPTURED)
def test_captured_softnet_has_index_and_queue_columns(kind: str) -> None:
    rows = parse_softnet(read(f"{kind}/softnet_stat"))
    assert [r.cpu for r in rows] == [0, 1]
    assert {"input_qlen", "process_qlen", "backlog_len"} <= set(rows[0].fields)
    assert rows[0].fields["processed"] > 0


def test_captured_dev() -> None:
    host = parse_netdev(read("linux-6.18-host/dev"))
    assert set(host) == {"lo", "ifb0", "ifb1", "eth0"}
    assert host["lo"]["rx_bytes"] == host["lo"]["tx_bytes"]  # loopback counts both ways
    odd = parse_netdev(read("linux-6.18-netns-oddnames/dev"))
    assert set(odd) == {"lo", "abcdefghijklmno", "eth0.100", "veth-a_b", "wlän0"}
    assert odd["abcdefghijklmno"]["tx_bytes"] == 159155964


def test_older_netstat_has_fewer_counters_and_no_mptcp() -> None:
    old = parse_netstat(read("variants/netstat-linux-3.10"))
    new = parse_netstat(read("linux-6.18-host/netstat"))
    assert len(old) < len(new)
    assert not any(k.startswith("MPTcpExt.") for k in old)
    assert "TcpExt.ListenOverflows" in old and "TcpExt.TCPMemoryPressuresChrono" not in old


def test_extra_columns_are_kept() -> None:
    assert "TcpExt.TCPFutureCounter" in parse_netstat(read("variants/netstat-extra-columns"))


def test_missing_value_is_a_parse_error_naming_the_line() -> None:
    with pytest.raises(ParseError) as info:
        parse_netstat(read("variants/netstat-missing-value"), "netstat-missing-value")
    assert info.value.line_no == 2
    assert isinstance(info.value, PartialParse)  # the sections after it are kept
    whole = parse_netstat(read("linux-6.18-host/netstat"))
    assert info.value.result == {k: v for k, v in whole.items() if not k.startswith("TcpExt.")}


def test_alias_names_with_colons() -> None:
    got = parse_netdev(read("variants/dev-alias-names"))
    assert list(got) == ["lo", "eth0", "eth0:1", "eth0:web", "a:b"]
    assert got["eth0:web"]["rx_bytes"] == 123456789012 and got["eth0:1"]["tx_packets"] == 16


def test_a_softnet_row_shorter_than_any_kernel_wrote_costs_that_cpu() -> None:
    with pytest.raises(PartialParse) as info:
        parse_softnet(read("variants/softnet_stat-short-row"), "softnet_stat")
    assert [r.cpu for r in info.value.result] == [0, 1, 3]
    assert info.value.line_no == 3 and "8 columns" in str(info.value)


def test_snmp_big_counters() -> None:
    got = parse_netstat(read("variants/snmp-big-counters"))
    assert got["Ip.InReceives"] == 5000000123
    assert got["Ip.OutRequests"] == 2**32
    assert max(got.values()) > 2**63
    assert got["Tcp.MaxConn"] == -1


def test_old_snmp_versions() -> None:
    v310 = parse_netstat(read("variants/snmp-linux-3.10"))
    v32 = parse_netstat(read("variants/snmp-linux-3.2"))
    assert "Udp.IgnoredMulti" not in v310 and "Udp.InCsumErrors" in v310
    assert "Udp.InCsumErrors" not in v32


def test_icmpmsg_split_over_two_line_pairs() -> None:
    got = parse_netstat(read("variants/snmp-icmpmsg-split"))
    icmpmsg = [k for k in got if k.startswith("IcmpMsg.")]
    assert len(icmpmsg) == raw_tokens("variants/snmp-icmpmsg-split") - sum(
        1 for k in got if not k.startswith("IcmpMsg."))
    assert len(icmpmsg) > 16


@pytest.mark.parametrize("width, has_rps, has_index", [(9, False, False), (10, True, False),
                                                       (11, True, False), (13, True, True),
                                                       (15, True, True)])
def test_softnet_widths(width: int, has_rps: bool, has_index: bool) -> None:
    rows = parse_softnet(read(f"variants/softnet_stat-{width}col"))
    assert len(rows) == 4
    assert ("received_rps" in rows[0].fields) is has_rps
    assert [r.cpu for r in rows] == [0, 1, 2, 3]
    assert any(r.fields["processed"] > 2**31 for r in rows)


def test_softnet_offline_cpu_and_mixed_width() -> None:
    assert [r.cpu for r in parse_softnet(read("variants/softnet_stat-offline-cpu"))] == [0, 1, 3]
    mixed = parse_softnet(read("variants/softnet_stat-mixed-width"))
    assert [len(r.fields) for r in mixed] == [7, 6, 7, 9]  # widths 13, 11, 13, 15
    assert [r.cpu for r in mixed] == [0, 1, 2, 3]
    assert mixed[3].cpu == 3 and mixed[3].fields["process_qlen"] == 0x40


def test_older_protocols_table() -> None:
    got = parse_protocols(read("variants/protocols-linux-3.10"))
    assert "sp" in got["PACKET"]
    assert got["UNIX"]["sockets"] == 211


def test_rhel_style_sockstat_without_udplite() -> None:
    got = parse_sockstat(read("variants/sockstat-rhel7"))
    assert "UDPLITE" not in got and got["TCP"]["tw"] == 9911
    assert "UDPLITE6" not in parse_sockstat(read("variants/sockstat6-rhel7"))


def test_old_dev_formats() -> None:
    old = parse_netdev(read("variants/dev-linux-2.6"))
    assert old["eth0"]["rx_bytes"] == 4294901760 and old["eth1"]["collisions"] == 41
    odd = parse_netdev(read("variants/dev-odd-names"))
    assert any(v["rx_bytes"] > 2**32 for v in odd.values())
    assert any("." in name for name in odd) and any(not name.isascii() for name in odd)


def test_snmp6_of_an_older_kernel() -> None:
    old = parse_snmp6(read("variants/snmp6-linux-4.19"))
    new = parse_snmp6(read("linux-6.18-host/snmp6"))
    assert "Ip6.InReceives" in old and len(old) != len(new)


def test_every_fixture_file_is_covered() -> None:
    """A fixture nobody parses is dead weight: each must be named by a test above."""
    source = "".join(p.read_text() for p in Path(__file__).parent.parent.rglob("test_*.py"))
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix not in (".md", ".py")]
    for path in files:
        rel = path.relative_to(FIXTURES).as_posix()
        named = rel in source or path.name in source or f'{{kind}}/{path.name}' in source or \
            f'"{path.stem}"' in source
        width_named = "softnet_stat-" in path.name and "col" in path.name
        assert named or width_named, f"{rel} is not used by any test"
