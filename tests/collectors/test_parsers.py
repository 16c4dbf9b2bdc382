"""Table-driven tests of the pure parsers on inline text, malformed text included."""

from __future__ import annotations

import pytest

from nettop.collectors.errors import ParseError, PartialParse
from nettop.collectors.netdev import parse_netdev, parse_netdev_flat
from nettop.collectors.netstat import parse_netstat, parse_netstat_flat
from nettop.collectors.protocols import parse_protocols, parse_protocols_flat
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.sockstat import parse_sockstat, parse_sockstat_flat
from nettop.collectors.softnet import parse_softnet, parse_softnet_flat
from nettop.collectors.sysctl import parse_mem_triple

# --- netstat / snmp -----------------------------------------------------------------

NETSTAT = (
    "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
    "TcpExt: 1 22 333\n"
    "IpExt: InNoRoutes InOctets\n"
    "IpExt: 0 18446744073709551615\n"
)


def test_netstat_names_are_section_dot_field() -> None:
    assert parse_netstat(NETSTAT) == {
        "TcpExt.SyncookiesSent": 1,
        "TcpExt.ListenOverflows": 22,
        "TcpExt.ListenDrops": 333,
        "IpExt.InNoRoutes": 0,
        "IpExt.InOctets": 2**64 - 1,
    }


def test_netstat_bytes_and_str_agree() -> None:
    assert parse_netstat(NETSTAT.encode()) == parse_netstat(NETSTAT)


def test_snmp_keeps_negative_maxconn_and_icmpmsg() -> None:
    text = ("Tcp: RtoAlgorithm RtoMin RtoMax MaxConn\nTcp: 1 200 120000 -1\n"
            "IcmpMsg: InType3 OutType3\nIcmpMsg: 5 6\n")
    got = parse_netstat(text, "snmp")
    assert got["Tcp.MaxConn"] == -1
    assert got["IcmpMsg.OutType3"] == 6


def test_netstat_unknown_columns_are_kept() -> None:
    text = "TcpExt: A B TCPFutureCounter\nTcpExt: 1 2 3\n"
    assert parse_netstat(text)["TcpExt.TCPFutureCounter"] == 3


def test_netstat_missing_columns_are_absent_not_zero() -> None:
    got = parse_netstat("TcpExt: SyncookiesSent\nTcpExt: 4\n")
    assert "TcpExt.ListenOverflows" not in got


@pytest.mark.parametrize(
    "text, bad_lines, kept",
    [
        ("TcpExt: A B\nTcpExt: 1\n", [2], {}),  # fewer values than names
        ("TcpExt: A B\nTcpExt: 1 2 3\n", [2], {}),  # more values than names
        ("TcpExt: A B\nIpExt: 1 2\n", [1, 2], {}),  # values of another section
        ("TcpExt: A B\nTcpExt: 1 x\n", [2], {"TcpExt.A": 1}),  # not a number: that value only
        ("TcpExt: A B\nTcpExt: 1 2.5\n", [2], {"TcpExt.A": 1}),  # not an integer
        ("TcpExt: A B\n", [1], {}),  # header without values
        ("A B\nA 1\n", [1, 2], {}),  # no section prefix
    ],
)
def test_netstat_malformed_is_parse_error(text: str, bad_lines: list[int], kept: dict[str, int]) -> None:
    with pytest.raises(PartialParse) as info:
        parse_netstat(text, "/proc/net/netstat")
    assert [i.line_no for i in info.value.issues] == bad_lines
    assert info.value.line_no == bad_lines[0]
    assert f"/proc/net/netstat:{bad_lines[0]}:" in str(info.value)
    assert info.value.result == kept


def test_netstat_empty_file_has_no_counters() -> None:
    assert parse_netstat_flat("") == ((), [])


# --- snmp6 --------------------------------------------------------------------------


def test_snmp6_splits_at_the_prefix() -> None:
    got = parse_snmp6("Ip6InReceives   42\nIcmp6InType133  7\nUdpLite6InErrors 0\nUdp6InDatagrams 9\n")
    assert got == {"Ip6.InReceives": 42, "Icmp6.InType133": 7, "UdpLite6.InErrors": 0, "Udp6.InDatagrams": 9}


@pytest.mark.parametrize("text", ["Ip6InReceives\n", "Ip6InReceives 1 2\n", "Ip6InReceives x\n"])
def test_snmp6_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_snmp6(text)


# --- protocols ----------------------------------------------------------------------

PROTOCOLS = (
    "protocol  size sockets  memory press maxhdr  slab module     cl co di\n"
    "UNIX-STREAM 1152      2      -1   NI       0   yes  kernel      y  n  n\n"
    "TCP       2304      1     197   yes    192   yes  kernel      y  y  y\n"
)


def test_protocols_keeps_kernel_tokens_and_numbers() -> None:
    got = parse_protocols(PROTOCOLS)
    assert got["TCP"]["memory"] == 197
    assert got["TCP"]["press"] == "yes"
    assert got["UNIX-STREAM"]["memory"] == -1
    assert got["UNIX-STREAM"]["press"] == "NI"
    assert got["TCP"]["co"] == "y"


def test_protocols_flat_has_press_only_where_implemented() -> None:
    names, values = parse_protocols_flat(PROTOCOLS)
    flat = dict(zip(names, values, strict=False))
    assert flat["TCP/press"] == 1
    assert "UNIX-STREAM/press" not in flat
    assert flat["TCP/memory"] == 197


def test_protocols_reads_columns_from_its_own_header() -> None:
    text = "protocol  size sockets  memory press maxhdr  slab module     cl sp\nTCP 1 2 3 no 4 yes kernel y n\n"
    assert parse_protocols(text)["TCP"]["sp"] == "n"


@pytest.mark.parametrize("text", [
    "TCP 1 2 3 no 4 yes kernel\n",  # no header
    "protocol size sockets memory\nTCP 1 2\n",  # short row
    "protocol size sockets memory\nTCP 1 2 lots\n",  # memory not a number
])
def test_protocols_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_protocols(text)


# --- sockstat -----------------------------------------------------------------------

SOCKSTAT = "sockets: used 9\nTCP: inuse 1 orphan 0 tw 8 alloc 1 mem 5\nFRAG: inuse 0 memory 0\n"


def test_sockstat_structured_and_flat() -> None:
    assert parse_sockstat(SOCKSTAT)["TCP"] == {"inuse": 1, "orphan": 0, "tw": 8, "alloc": 1, "mem": 5}
    names, values = parse_sockstat_flat(SOCKSTAT)
    assert dict(zip(names, values, strict=False))["sockets/used"] == 9


@pytest.mark.parametrize("text", ["TCP: inuse\n", "TCP inuse 1\n", "TCP: inuse one\n"])
def test_sockstat_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_sockstat(text)


# --- softnet_stat -------------------------------------------------------------------


def _row(*words: int) -> str:
    return " ".join(f"{w:08x}" for w in words)


def test_softnet_uses_index_column_when_present() -> None:
    # CPU 1 offline: the second row is CPU 2, which only the 13th column says.
    text = _row(10, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + "\n" + _row(20, 3, 4, 0, 0, 0, 0, 0, 0, 5, 6, 7, 2) + "\n"
    rows = parse_softnet(text)
    assert [r.cpu for r in rows] == [0, 2]
    assert rows[1].fields["dropped"] == 3
    assert rows[1].fields["received_rps"] == 5
    assert rows[1].fields["backlog_len"] == 7


def test_softnet_old_rows_number_cpus_by_position() -> None:
    text = _row(1, 2, 3, 0, 0, 0, 0, 0, 0) + "\n" + _row(4, 5, 6, 0, 0, 0, 0, 0, 0) + "\n"
    rows = parse_softnet(text)
    assert [r.cpu for r in rows] == [0, 1]
    assert "received_rps" not in rows[0].fields  # absent, not 0


def test_softnet_values_above_2_31() -> None:
    rows = parse_softnet(_row(0x9A3B4C5D, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) + "\n")
    assert rows[0].fields["processed"] == 0x9A3B4C5D


def test_softnet_rows_of_different_widths() -> None:
    text = _row(*range(1, 12)) + "\n" + _row(*range(1, 16)) + "\n"
    names, _ = parse_softnet_flat(text)
    assert "cpu0/flow_limit_count" in names and "cpu0/process_qlen" not in names
    assert "cpu13/process_qlen" in names  # the second row names itself CPU 13 (column 12)


def test_softnet_words_not_eight_digits_still_parse() -> None:
    fields = parse_softnet("1 2 3 0 0 0 0 0 ABCDEF\n")[0].fields
    assert fields == {"processed": 1, "dropped": 2, "time_squeeze": 3, "cpu_collision": 0xABCDEF}


@pytest.mark.parametrize("text", ["zz 00 00\n", "00000001 00000002\n", "1 2 3\n"])
def test_softnet_malformed(text: str) -> None:
    with pytest.raises(ParseError):
        parse_softnet(text)


# --- /proc/net/dev ------------------------------------------------------------------

DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|"
    "bytes    packets errs drop fifo colls carrier compressed\n"
)


def test_dev_odd_names_and_big_counters() -> None:
    text = DEV_HEADER + (
        "eth0.100: 5000000000 2 0 0 0 0 0 0 7 8 0 0 0 0 0 0\n"
        "abcdefghijklmno:123456789012345 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        "  veth-a_b:    1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
    ) + "wl\xe4n0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    got = parse_netdev(text)
    assert got["eth0.100"]["rx_bytes"] == 5_000_000_000
    assert got["abcdefghijklmno"]["rx_bytes"] == 123456789012345
    assert got["veth-a_b"]["tx_packets"] == 1
    assert got["wl\xe4n0"]["tx_compressed"] == 16
    names, values = parse_netdev_flat(text)
    assert dict(zip(names, values, strict=False))["eth0.100/tx_packets"] == 8


def test_dev_invalid_utf8_name_is_escaped_not_lost() -> None:
    text = DEV_HEADER.encode() + b"wl\xe4n0: " + b" ".join([b"1"] * 16) + b"\n"
    assert list(parse_netdev(text)) == ["wl\\xe4n0"]


@pytest.mark.parametrize("row", [
    "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",  # no colon
    "eth0: 1 2 3\n",  # too few counters
    "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n",  # not a number
])
def test_dev_malformed(row: str) -> None:
    with pytest.raises(ParseError):
        parse_netdev(DEV_HEADER + row)


def test_dev_missing_header() -> None:
    with pytest.raises(ParseError):
        parse_netdev("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n")


# --- sysctl values ------------------------------------------------------------------


def test_mem_triple() -> None:
    assert parse_mem_triple("383457 511277 766914") == {"low": 383457, "pressure": 511277, "high": 766914}
    with pytest.raises(ValueError):
        parse_mem_triple("1 2")
