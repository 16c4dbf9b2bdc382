"""Hypothesis on real files (captured and variants): whatever a line becomes, only ParseError
(or its PartialParse) escapes, what comes out is well-formed, and every line not touched keeps
its values.

Which lines a column comes from is said per format by `entity`: the section of a netstat
pair, the counter of a snmp6 line, the protocol of a sockstat or protocols line, the CPU of
a softnet row, the interface of a dev row. A column keeps its value when none of its
entity's lines was touched and the damaged line does not now claim that entity (a name
seen twice keeps its first line, so a damaged line may shadow a later good one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nettop.collectors.errors import ParseError, PartialParse
from nettop.collectors.netdev import parse_netdev, parse_netdev_flat
from nettop.collectors.netstat import Flat, parse_netstat, parse_netstat_flat
from nettop.collectors.protocols import parse_protocols, parse_protocols_flat
from nettop.collectors.snmp6 import parse_snmp6, parse_snmp6_flat
from nettop.collectors.sockstat import parse_sockstat, parse_sockstat_flat
from nettop.collectors.softnet import parse_softnet, parse_softnet_flat
from nettop.collectors.text import S64_MIN, U64_END

FIXTURES = Path(__file__).parent.parent / "fixtures"
ALL = "*"  # a header line: every column may change


def _first(line: bytes) -> str:
    tokens = line.split()
    return tokens[0].decode("ascii", "replace") if tokens else ""


def _section(line: bytes) -> str:
    return _first(line).removesuffix(":")


def _snmp6(line: bytes) -> str:
    name = _first(line)
    for prefix in ("UdpLite6", "Icmp6", "Udp6", "Ip6"):
        if name.startswith(prefix):
            return f"{prefix}.{name[len(prefix):]}"
    return name


def _dev(line: bytes) -> str:
    return line.rpartition(b":")[0].strip().decode("utf-8", "backslashreplace")


def _softnet(line: bytes, row: int) -> str:
    words = line.split()
    try:
        return f"cpu{int(words[12], 16)}" if len(words) > 12 else f"cpu{row}"
    except ValueError:
        return f"cpu{row}"


@dataclass(frozen=True)
class Format:
    parse: Callable[[bytes, str], Flat]
    files: tuple[str, ...]
    line_entity: Callable[[bytes, int], str]  # (line, its row number) -> what it holds
    column_entity: Callable[[str], str]
    headers: int = 0  # leading lines that name every column

    def data(self, rel: str) -> bytes:
        return (FIXTURES / rel).read_bytes()


def _by_slash(name: str) -> str:
    return name.rpartition("/")[0]


FORMATS = {
    "netstat": Format(parse_netstat_flat, ("linux-6.18-host/netstat", "linux-6.18-netns/netstat",
                                           "linux-6.18-host/snmp", "variants/netstat-linux-3.10",
                                           "variants/netstat-extra-columns", "variants/snmp-big-counters",
                                           "variants/snmp-icmpmsg-split", "variants/snmp-linux-3.2"),
                      lambda line, _: _section(line), lambda name: name.partition(".")[0]),
    "snmp6": Format(parse_snmp6_flat, ("linux-6.18-host/snmp6", "variants/snmp6-linux-4.19"),
                    lambda line, _: _snmp6(line), lambda name: name),
    "sockstat": Format(parse_sockstat_flat, ("linux-6.18-host/sockstat", "linux-6.18-host/sockstat6",
                                             "variants/sockstat-rhel7"),
                       lambda line, _: _section(line), lambda name: name.partition("/")[0]),
    "softnet": Format(parse_softnet_flat, ("linux-6.18-host/softnet_stat", "variants/softnet_stat-9col",
                                           "variants/softnet_stat-11col", "variants/softnet_stat-offline-cpu",
                                           "variants/softnet_stat-mixed-width"),
                      _softnet, lambda name: name.partition("/")[0]),
    "dev": Format(parse_netdev_flat, ("linux-6.18-host/dev", "linux-6.18-netns-oddnames/dev",
                                      "variants/dev-odd-names", "variants/dev-linux-2.6"),
                  lambda line, _: _dev(line), _by_slash, headers=2),
    "protocols": Format(parse_protocols_flat, ("linux-6.18-host/protocols", "variants/protocols-linux-3.10"),
                        lambda line, _: _first(line), _by_slash, headers=1),
}


def parse_any(fn: Callable[[bytes, str], Flat], data: bytes) -> dict[str, int]:
    """The columns of a clean or partial parse, checked for shape."""
    try:
        names, values = fn(data, "fuzz")
    except PartialParse as exc:
        assert exc.issues and all(isinstance(i, ParseError) for i in exc.issues)
        names, values = exc.result
    assert isinstance(names, tuple) and len(names) == len(values) == len(set(names))
    assert all(type(v) is int and S64_MIN <= v < U64_END for v in values)
    return dict(zip(names, values, strict=True))


def entities(fmt: Format, lines: list[bytes]) -> list[str]:
    out = []
    for row, line in enumerate(lines):
        out.append(ALL if row < fmt.headers else fmt.line_entity(line, row - fmt.headers))
    return out


PIECES = st.one_of(
    st.sampled_from([b" ", b"\t", b"  ", b":", b"|", b"-", b"\x00", b"\xff", b"x", b"0x", b"1e308", b"+", b"_",
                     b"\r", b"\x0b", b"9" * 400, b"18446744073709551616", b"-9223372036854775809"]),
    st.integers(-(2**70), 2**70).map(lambda n: str(n).encode()),
    st.binary(max_size=12).map(lambda b: b.replace(b"\n", b" ")),
)


@st.composite
def damaged(draw: st.DrawFn, fmt: Format) -> tuple[bytes, list[bytes], int, bytes]:
    """(original file, its lines, the index of the damaged line, the damaged line)."""
    rel = draw(st.sampled_from(fmt.files))
    original = fmt.data(rel)
    lines = original.split(b"\n")
    k = draw(st.sampled_from([i for i, line in enumerate(lines) if line.strip()]))
    line = lines[k]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(line)))
        j = draw(st.integers(i, min(len(line), i + 24)))
        line = line[:i] + draw(PIECES) + line[j:] if draw(st.booleans()) else line[:i] + line[j:]
    return original, lines, k, line


def check_untouched(fmt: Format, original: bytes, lines: list[bytes], touched: set[int],
                    claimed: set[str], data: bytes) -> None:
    before = parse_any(fmt.parse, original)
    after = parse_any(fmt.parse, data)
    owners = entities(fmt, lines)
    if any(owners[k] == ALL for k in touched):
        return
    lost = {owners[k] for k in touched} | claimed
    for name, value in before.items():
        if fmt.column_entity(name) not in lost:
            assert after.get(name) == value, name


@pytest.mark.parametrize("kind", list(FORMATS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_line_costs_that_line_only(kind: str, data: st.DataObject) -> None:
    fmt = FORMATS[kind]
    original, lines, k, line = data.draw(damaged(fmt))
    mutated = [*lines[:k], line, *lines[k + 1:]]
    claimed = {fmt.line_entity(line, k - fmt.headers)} if k >= fmt.headers else {ALL}
    check_untouched(fmt, original, lines, {k}, claimed, b"\n".join(mutated))


@pytest.mark.parametrize("kind", list(FORMATS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_file_cut_short_keeps_its_whole_lines(kind: str, data: st.DataObject) -> None:
    """A file that shrank between two reads of its pages: cut anywhere."""
    fmt = FORMATS[kind]
    original = fmt.data(data.draw(st.sampled_from(fmt.files)))
    cut = data.draw(st.integers(0, len(original)))
    lines = original.split(b"\n")
    kept = original[:cut].count(b"\n")  # lines before the cut are whole
    touched = set(range(kept, len(lines)))
    claimed = {fmt.line_entity(original[:cut].split(b"\n")[-1], kept - fmt.headers)} if kept >= fmt.headers \
        else {ALL}
    check_untouched(fmt, original, lines, touched, claimed, original[:cut])


DICT_PARSERS = [parse_netstat, parse_snmp6, parse_sockstat, parse_softnet, parse_netdev, parse_protocols]
FLAT_PARSERS = [f.parse for f in FORMATS.values()]


@pytest.mark.parametrize("fn", DICT_PARSERS + FLAT_PARSERS, ids=lambda f: f.__name__)
@settings(max_examples=60, deadline=None)
@given(blob=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode),
                      st.lists(PIECES, max_size=60).map(b"".join)))
def test_arbitrary_bytes_raise_only_parse_errors(fn: Callable[[bytes, str], object], blob: bytes) -> None:
    with contextlib.suppress(ParseError):
        fn(blob, "fuzz")


@pytest.mark.parametrize("kind", list(FORMATS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_splices_anywhere_give_well_formed_columns(kind: str, data: st.DataObject) -> None:
    """Newlines and separators spliced in anywhere, several lines at once."""
    fmt = FORMATS[kind]
    raw = bytearray(fmt.data(data.draw(st.sampled_from(fmt.files))))
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw)))
        raw[pos:pos] = data.draw(st.one_of(PIECES, st.sampled_from([b"\n", b"\n\n", b"\n \n"])))
    parse_any(fmt.parse, bytes(raw))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(min_value=S64_MIN, max_value=U64_END - 1), min_size=1, max_size=40))
def test_netstat_round_trip_of_extreme_values(values: list[int]) -> None:
    names = [f"C{i}" for i in range(len(values))]
    text = f"TcpExt: {' '.join(names)}\nTcpExt: {' '.join(map(str, values))}\n"
    assert list(parse_netstat(text).values()) == values


def _rows_as_flat(data: bytes) -> dict[str, int]:
    try:
        rows = parse_softnet(data, "fuzz")
    except PartialParse as exc:
        rows = exc.result
    return {f"cpu{r.cpu}/{k}": v for r in rows for k, v in r.fields.items()}


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_softnet_rows_and_columns_agree_on_damaged_files(data: st.DataObject) -> None:
    """parse_softnet (rows) and parse_softnet_flat (the fast path first) read the same."""
    _, lines, k, line = data.draw(damaged(FORMATS["softnet"]))
    mutated = b"\n".join([*lines[:k], line, *lines[k + 1:]])
    assert _rows_as_flat(mutated) == parse_any(parse_softnet_flat, mutated)
