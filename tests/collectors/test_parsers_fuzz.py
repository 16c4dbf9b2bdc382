"""Hypothesis: whatever the kernel (or a broken fixture) hands a parser, only ParseError escapes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettop.collectors.errors import ParseError
from nettop.collectors.netdev import parse_netdev, parse_netdev_flat
from nettop.collectors.netstat import parse_netstat
from nettop.collectors.protocols import parse_protocols, parse_protocols_flat
from nettop.collectors.snmp6 import parse_snmp6
from nettop.collectors.sockstat import parse_sockstat
from nettop.collectors.softnet import parse_softnet, parse_softnet_flat

FIXTURES = Path(__file__).parent.parent / "fixtures" / "linux-6.18-host"
PARSERS = {
    "netstat": [parse_netstat],
    "snmp": [parse_netstat],
    "snmp6": [parse_snmp6],
    "protocols": [parse_protocols, parse_protocols_flat],
    "sockstat": [parse_sockstat],
    "sockstat6": [parse_sockstat],
    "softnet_stat": [parse_softnet, parse_softnet_flat],
    "dev": [parse_netdev, parse_netdev_flat],
}
ALL = [(name, fn) for name, fns in PARSERS.items() for fn in fns]
IDS = [f"{name}-{fn.__name__}" for name, fn in ALL]


def only_parse_errors(fn, data: bytes) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(ParseError):
        fn(data)


@pytest.mark.parametrize("name, fn", ALL, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=5000))
def test_truncated(name: str, fn, cut: int) -> None:  # type: ignore[no-untyped-def]
    data = (FIXTURES / name).read_bytes()
    only_parse_errors(fn, data[:cut])


@pytest.mark.parametrize("name, fn", ALL, ids=IDS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated(name: str, fn, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    """Random whitespace, huge numbers, stray bytes spliced in at random places."""
    raw = bytearray((FIXTURES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw)))
        insert = data.draw(st.one_of(
            st.sampled_from([b" ", b"\t", b"\n", b"\n\n", b"  ", b":", b"|", b"-", b"\x00", b"\xff"]),
            st.integers(-(2**70), 2**70).map(lambda n: str(n).encode()),
            st.binary(max_size=8),
        ))
        raw[pos:pos] = insert
    only_parse_errors(fn, bytes(raw))


@pytest.mark.parametrize("name, fn", ALL, ids=IDS)
@settings(max_examples=100, deadline=None)
@given(blob=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_arbitrary_bytes(name: str, fn, blob: bytes) -> None:  # type: ignore[no-untyped-def]
    only_parse_errors(fn, blob)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=1, max_size=40))
def test_netstat_round_trip_of_huge_values(values: list[int]) -> None:
    names = [f"C{i}" for i in range(len(values))]
    text = f"TcpExt: {' '.join(names)}\nTcpExt: {' '.join(map(str, values))}\n"
    assert list(parse_netstat(text).values()) == values
