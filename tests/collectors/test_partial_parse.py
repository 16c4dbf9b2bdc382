"""One bad line costs that line (or that value), never the file: every parser on real files
with one line damaged keeps all the others, and says which line it dropped and why."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nettop.collectors.errors import MAX_ISSUES, ParseError, PartialParse
from nettop.collectors.netdev import parse_netdev, parse_netdev_flat
from nettop.collectors.netstat import Flat, parse_netstat, parse_netstat_flat
from nettop.collectors.protocols import parse_protocols, parse_protocols_flat
from nettop.collectors.snmp6 import parse_snmp6, parse_snmp6_flat
from nettop.collectors.sockstat import parse_sockstat, parse_sockstat_flat
from nettop.collectors.softnet import parse_softnet, parse_softnet_flat
from nettop.collectors.sysctl import parse_mem_triple

FIXTURES = Path(__file__).parent.parent / "fixtures"
HOST = FIXTURES / "linux-6.18-host"


def lines_of(rel: str) -> list[bytes]:
    return (FIXTURES / rel).read_bytes().split(b"\n")


def partial(fn: Callable[[bytes, str], Any], data: bytes, path: str = "/proc/net/x") -> PartialParse:
    with pytest.raises(PartialParse) as info:
        fn(data, path)
    return info.value


def flat_dict(flat: Flat) -> dict[str, int]:
    names, values = flat
    assert len(names) == len(set(names)) == len(values)
    return dict(zip(names, values, strict=True))


# --- netstat / snmp: header and values pairs --------------------------------------------


def test_netstat_bad_values_line_costs_its_section_only() -> None:
    lines = lines_of("linux-6.18-host/netstat")
    whole = parse_netstat(b"\n".join(lines))
    lines[3] = lines[3] + b" 7"  # IpExt: one value more than names
    exc = partial(parse_netstat, b"\n".join(lines), "/proc/net/netstat")
    assert [(i.path, i.line_no) for i in exc.issues] == [("/proc/net/netstat", 4)]
    assert "19 values for 18 names" in str(exc)
    assert exc.result == {k: v for k, v in whole.items() if not k.startswith("IpExt.")}


def test_netstat_bad_token_costs_that_value_only() -> None:
    lines = lines_of("linux-6.18-host/snmp")
    whole = parse_netstat(b"\n".join(lines))
    tokens = lines[1].split()
    tokens[3] = b"12x4"  # Ip.InReceives
    lines[1] = b" ".join(tokens)
    exc = partial(parse_netstat, b"\n".join(lines), "/proc/net/snmp")
    assert exc.result == {k: v for k, v in whole.items() if k != "Ip.InReceives"}
    assert exc.line_no == 2 and "Ip.InReceives=12x4" in str(exc)


def test_netstat_lost_header_line_resynchronises_on_the_next_header() -> None:
    lines = lines_of("linux-6.18-host/netstat")
    whole = parse_netstat(b"\n".join(lines))
    del lines[0]  # TcpExt's header: its values line is left alone
    exc = partial(parse_netstat, b"\n".join(lines))
    assert [i.line_no for i in exc.issues] == [1]
    assert exc.result == {k: v for k, v in whole.items() if not k.startswith("TcpExt.")}


def test_icmpmsg_split_losing_one_values_line_keeps_the_other_pair() -> None:
    lines = lines_of("variants/snmp-icmpmsg-split")
    whole = parse_netstat(b"\n".join(lines))
    first = next(i for i, line in enumerate(lines) if line.startswith(b"IcmpMsg:"))
    first_names = {f"IcmpMsg.{t.decode()}" for t in lines[first].split()[1:]}
    del lines[first + 1]
    exc = partial(parse_netstat, b"\n".join(lines))
    assert [i.line_no for i in exc.issues] == [first + 1]
    assert exc.result == {k: v for k, v in whole.items() if k not in first_names}
    assert any(k.startswith("IcmpMsg.Out") for k in exc.result)


def test_netstat_repeated_section_keeps_the_first() -> None:
    text = b"TcpExt: A B\nTcpExt: 1 2\nTcpExt: A C\nTcpExt: 3 4\n"
    exc = partial(parse_netstat, text)
    assert exc.result == {"TcpExt.A": 1, "TcpExt.B": 2, "TcpExt.C": 4}
    assert exc.line_no == 4 and "first kept" in str(exc)


def test_the_missing_value_variant_keeps_the_other_sections() -> None:
    exc = partial(parse_netstat_flat, (FIXTURES / "variants/netstat-missing-value").read_bytes())
    kept = flat_dict(exc.result)
    assert exc.line_no == 2 and exc.bad_lines == 1
    assert "IpExt.InOctets" in kept and "MPTcpExt.MPCurrEstab" in kept
    assert not any(k.startswith("TcpExt.") for k in kept)


# --- item 5: values no kernel prints -------------------------------------------------------


@pytest.mark.parametrize("token", [b"1" * 309, b"9" * 5000, b"1e308", b"18446744073709551616", b"-9223372036854775809",
                                   b"1_0", b"+5", b"0x10", b"nan", b"inf", b"\x00", b"\xd9\xa3"])
def test_a_value_no_kernel_prints_costs_that_value(token: bytes) -> None:
    text = b"Tcp: RtoMin MaxConn X\nTcp: 200 -1 " + token + b"\n"
    exc = partial(parse_netstat, text)
    assert exc.result == {"Tcp.RtoMin": 200, "Tcp.MaxConn": -1}


def test_the_extremes_a_kernel_prints_are_values() -> None:
    text = "Tcp: A B C\nTcp: 18446744073709551615 -9223372036854775808 0\n"
    assert parse_netstat(text) == {"Tcp.A": 2**64 - 1, "Tcp.B": -(2**63), "Tcp.C": 0}
    dev = DEV_HEADER + "eth0: " + " ".join(["18446744073709551615"] * 16) + "\n"
    assert parse_netdev(dev)["eth0"]["rx_bytes"] == 2**64 - 1


def test_negative_where_the_kernel_prints_unsigned_is_a_bad_value() -> None:
    exc = partial(parse_snmp6, b"Ip6InReceives 5\nIp6InHdrErrors -1\nIp6OutRequests 18446744073709551616\n")
    assert exc.result == {"Ip6.InReceives": 5} and [i.line_no for i in exc.issues] == [2, 3]
    dev = DEV_HEADER + "eth0: 1 2 3 -4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    exc = partial(parse_netdev, dev.encode())
    assert exc.result["eth0"] == {k: v for k, v in parse_netdev(DEV_ROW)["eth0"].items() if k != "rx_dropped"}


# --- snmp6 / sockstat ------------------------------------------------------------------------


def test_snmp6_bad_line_costs_that_line_and_a_repeat_keeps_the_first() -> None:
    lines = lines_of("linux-6.18-host/snmp6")
    whole = parse_snmp6(b"\n".join(lines))
    lines[4] = b"Ip6InAddrErrors 1 2"
    lines.append(b"Ip6InReceives 1")
    exc = partial(parse_snmp6_flat, b"\n".join(lines))
    assert [i.line_no for i in exc.issues] == [5, len(lines)]
    assert flat_dict(exc.result) == {k: v for k, v in whole.items() if k != "Ip6.InAddrErrors"}


def test_sockstat_bad_value_costs_that_pair_and_bad_line_that_line() -> None:
    text = b"sockets: used 9\nTCP: inuse 1 orphan x tw 8\nUDP inuse 3\nRAW: inuse 2\nRAW: inuse 7\n"
    exc = partial(parse_sockstat, text)
    assert exc.result == {"sockets": {"used": 9}, "TCP": {"inuse": 1, "tw": 8}, "RAW": {"inuse": 2}}
    assert [i.line_no for i in exc.issues] == [2, 3, 5]
    assert flat_dict(partial(parse_sockstat_flat, text).result)["TCP/tw"] == 8


# --- softnet_stat (item 3) -------------------------------------------------------------------


def _row(*words: int) -> str:
    return " ".join(f"{w:08x}" for w in words)


def test_softnet_rows_shorter_than_any_kernel_wrote_are_bad_rows() -> None:
    text = "\n".join([_row(1, 2, 3, 0, 0, 0, 0, 0, 0), _row(4, 5, 6, 0, 0, 0, 0, 0), _row(7, 8, 9, 0, 0, 0, 0, 0, 0)])
    exc = partial(parse_softnet, text.encode())
    assert [r.cpu for r in exc.result] == [0, 2]  # the short row still holds CPU 1's place
    assert exc.line_no == 2 and "8 columns" in str(exc)


def test_softnet_bad_row_costs_that_cpu_only() -> None:
    lines = lines_of("variants/softnet_stat-9col")
    whole = flat_dict(parse_softnet_flat(b"\n".join(lines)))
    lines[1] = lines[1].replace(b"0", b"g", 1)
    exc = partial(parse_softnet_flat, b"\n".join(lines))
    assert flat_dict(exc.result) == {k: v for k, v in whole.items() if not k.startswith("cpu1/")}
    lines[1] = b""  # an empty row is a lost CPU too, not a shift of the others
    assert flat_dict(partial(parse_softnet_flat, b"\n".join(lines)).result) == flat_dict(exc.result)


@pytest.mark.parametrize("word", ["-0000001", "+0000001", "0x000001", "0000_001", "00000001" * 3])
def test_softnet_words_are_plain_hex(word: str) -> None:
    text = " ".join([word] + ["00000000"] * 8) + "\n" + _row(*range(9)) + "\n"
    assert [r.cpu for r in partial(parse_softnet, text.encode()).result] == [1]


def test_softnet_repeated_cpu_index_keeps_the_first() -> None:
    row = [1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]
    exc = partial(parse_softnet, f"{_row(*row)}\n{_row(9, *row[1:])}\n".encode())
    assert [(r.cpu, r.fields["processed"]) for r in exc.result] == [(5, 1)]


# --- /proc/net/dev (item 2) ------------------------------------------------------------------

DEV_HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|"
    "bytes    packets errs drop fifo colls carrier compressed\n"
)
DEV_ROW = DEV_HEADER + "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"


def test_dev_alias_names_split_at_the_last_colon() -> None:
    text = DEV_HEADER + (
        "eth0:1: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
        "eth0:2:123456789012 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  # counter glued to the colon
        "  a:b:c:    7 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    )
    got = parse_netdev(text)
    assert list(got) == ["eth0:1", "eth0:2", "a:b:c"]
    assert got["eth0:1"]["tx_compressed"] == 16 and got["eth0:2"]["rx_bytes"] == 123456789012
    assert "eth0:2/rx_bytes" in parse_netdev_flat(text)[0]


def test_dev_bad_row_costs_that_row_and_bad_counter_that_counter() -> None:
    lines = lines_of("linux-6.18-host/dev")
    whole = parse_netdev(b"\n".join(lines))
    lines[2] = lines[2] + b" 17"  # lo: 17 counters
    lines[3] = lines[3].replace(b"ifb0:", b"ifb0: x")  # ifb0: 17 tokens, too
    eth0 = next(i for i, line in enumerate(lines) if b"eth0:" in line)
    tokens = lines[eth0].split()
    tokens[2] = b"2.5"  # rx_packets
    lines[eth0] = b" ".join(tokens)
    exc = partial(parse_netdev, b"\n".join(lines))
    assert [i.line_no for i in exc.issues] == [3, 4, eth0 + 1]
    assert set(exc.result) == {"ifb1", "eth0"} and exc.result["ifb1"] == whole["ifb1"]
    assert exc.result["eth0"] == {k: v for k, v in whole["eth0"].items() if k != "rx_packets"}


def test_dev_repeated_interface_keeps_the_first_and_damaged_header_assumes_the_usual_columns() -> None:
    text = DEV_ROW + "eth0: 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9\n"
    exc = partial(parse_netdev, text.encode())
    assert exc.result == parse_netdev(DEV_ROW) and exc.line_no == 4
    damaged = DEV_ROW.replace("|bytes    packets", " bytes    packets")
    exc = partial(parse_netdev, damaged.encode())
    assert exc.result == parse_netdev(DEV_ROW) and exc.line_no == 2


def test_dev_lost_first_header_line_costs_nothing_else() -> None:
    lines = lines_of("linux-6.18-host/dev")
    exc = partial(parse_netdev, b"\n".join(lines[1:]))
    assert exc.line_no == 1 and exc.result == parse_netdev(b"\n".join(lines))


def test_dev_old_kernels_no_statistics_row_is_no_row_and_no_error() -> None:
    assert parse_netdev(DEV_ROW + "  sit0: No statistics available.\n") == parse_netdev(DEV_ROW)


@pytest.mark.parametrize("name", [b"et/h0", b"et\x00h0", b"eth 0"])
def test_dev_names_no_kernel_allows(name: bytes) -> None:
    text = DEV_ROW.encode() + name + b": " + b" ".join([b"1"] * 16) + b"\n"
    assert partial(parse_netdev, text).result == parse_netdev(DEV_ROW)


# --- protocols -------------------------------------------------------------------------------


def test_protocols_bad_row_costs_that_row() -> None:
    lines = lines_of("linux-6.18-host/protocols")
    whole = parse_protocols(b"\n".join(lines))
    bad = next(i for i, line in enumerate(lines) if line.startswith(b"TCP "))
    lines[bad] = lines[bad].replace(b"2304", b"23x4")
    lines.append(lines[bad + 1])  # a protocol twice
    exc = partial(parse_protocols, b"\n".join(lines))
    assert [i.line_no for i in exc.issues] == [bad + 1, len(lines)]
    assert exc.result == {k: v for k, v in whole.items() if k != "TCP"}
    assert "TCP/sockets" not in flat_dict(partial(parse_protocols_flat, b"\n".join(lines)).result)


def test_protocols_lost_header_reads_the_leading_columns() -> None:
    lines = lines_of("linux-6.18-host/protocols")
    whole = parse_protocols(b"\n".join(lines))
    exc = partial(parse_protocols, b"\n".join(lines[1:]))
    assert exc.line_no == 1 and set(exc.result) == set(whole)
    assert exc.result["TCP"]["sockets"] == whole["TCP"]["sockets"] and "cl" not in exc.result["TCP"]


# --- item 6: empty files, long lines, floods of bad lines ------------------------------------

FLAT_PARSERS = [parse_netstat_flat, parse_snmp6_flat, parse_sockstat_flat, parse_softnet_flat, parse_netdev_flat,
                parse_protocols_flat]


@pytest.mark.parametrize("fn", FLAT_PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("data", [b"", b"\n", b"  \n\n \t\n"], ids=["empty", "newline", "blank"])
def test_an_empty_file_has_no_columns_and_no_error(fn: Callable[[bytes, str], Flat], data: bytes) -> None:
    assert fn(data, "x") == ((), [])


def _huge_rows() -> dict[str, bytes]:
    n = 10**6
    zeros = b" 0" * n
    return {
        "netstat": b"TcpExt: " + b" ".join(b"C%d" % i for i in range(n)) + b"\nTcpExt:" + zeros + b"\n",
        "snmp6": b"Ip6InReceives" + zeros + b"\n",
        "sockstat": b"TCP:" + b" inuse 1" * n + b"\n",
        "softnet_stat": b"00000001 " * n + b"\n",
        "dev": DEV_HEADER.encode() + b"eth0:" + zeros + b"\n",
        "protocols": b"protocol size sockets memory\nTCP" + zeros + b"\n",
    }


@pytest.mark.parametrize("fn", FLAT_PARSERS, ids=lambda f: f.__name__)
def test_a_row_of_a_million_columns_costs_that_row_and_no_more_memory(fn: Callable[[bytes, str], Flat]) -> None:
    name = {parse_netstat_flat: "netstat", parse_snmp6_flat: "snmp6", parse_sockstat_flat: "sockstat",
            parse_softnet_flat: "softnet_stat", parse_netdev_flat: "dev", parse_protocols_flat: "protocols"}[fn]
    good = (HOST / name).read_bytes()
    data = good + _huge_rows()[name]
    tracemalloc.start()
    try:
        exc = partial(fn, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "longer than" in str(exc.issues[-1]) or exc.bad_lines >= 1
    assert flat_dict(exc.result) == flat_dict(fn(good, "x"))
    assert peak < 3 * len(data) + (4 << 20), peak  # the file and its lines, not a token list


def test_a_flood_of_bad_lines_is_counted_not_kept() -> None:
    exc = partial(parse_snmp6_flat, b"Ip6InReceives 1\n" + b"junk\n" * 100_000)
    assert len(exc.issues) == MAX_ISSUES and exc.bad_lines == 100_000
    assert flat_dict(exc.result) == {"Ip6.InReceives": 1}
    assert exc.messages()[0].endswith(f"{100_000 - MAX_ISSUES} more bad lines in this read")
    assert len(exc.messages()) == MAX_ISSUES + 1 and "x:2:" not in exc.messages()[-1]


def test_an_error_keeps_a_bounded_piece_of_its_line() -> None:
    exc = partial(parse_snmp6, b"Ip6InReceives 1\nIp6X " + b"9" * 50_000 + b"\n")
    assert len(exc.issues[0].line) <= 200 and len(str(exc)) < 400


def test_all_lines_bad_is_still_a_parse_error_with_nothing_kept() -> None:
    with pytest.raises(ParseError) as info:
        parse_sockstat(b"\x00\xff garbage\n")
    assert isinstance(info.value, PartialParse) and info.value.result == {}


def test_mem_triple_takes_kernel_integers_only() -> None:
    assert parse_mem_triple("1 2 3") == {"low": 1, "pressure": 2, "high": 3}
    for bad in ("1 2 1_0", "1 2 " + "9" * 400, "1 2 3.0"):
        with pytest.raises(ValueError):
            parse_mem_triple(bad)


def test_a_name_twice_in_one_header_keeps_the_first_and_names_stay_unique() -> None:
    """Found by the fuzz test: a section whose own header repeats a name was taken whole."""
    from nettop.collectors.errors import PartialParse
    from nettop.collectors.netstat import parse_netstat_flat

    with pytest.raises(PartialParse) as caught:
        parse_netstat_flat(b"IpExt: A B C B D\nIpExt: 1 2 3 4 5\nTcpExt: X Y\nTcpExt: 1 2\n")
    names, values = caught.value.result
    assert len(set(names)) == len(names) == len(values)
    assert dict(zip(names, values, strict=True)) == {"IpExt.A": 1, "IpExt.B": 2, "IpExt.C": 3, "IpExt.D": 5,
                                                     "TcpExt.X": 1, "TcpExt.Y": 2}
