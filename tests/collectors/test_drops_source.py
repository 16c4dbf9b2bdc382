"""The drops source end to end: a real sampler counts real drops, and the Drops views, the
findings, the snapshot, the export and a recording all say the same."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from nettop.collectors import keys
from nettop.collectors.drops.source import MAX_PAIRS, OTHER, DropsSource, column
from nettop.collectors.export import NettopCollector, exposition
from nettop.collectors.findings import evaluate
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.recording import Recorder, make_header, read_recording
from nettop.collectors.replay import Player
from nettop.collectors.sampler import Sampler, default_sources
from nettop.collectors.snapshot import build_snapshot
from nettop.collectors.store import State, Store
from nettop.collectors.tiers import Cadence
from nettop.collectors.views.context import Mark, ViewContext
from nettop.collectors.views.drops import pair_rows, reason_rows

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
NO_PORTS = ("snmp", "Udp.NoPorts")


def closed_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send_to_closed_port(n: int) -> None:
    port = closed_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(n):
            s.sendto(b"x", ("127.0.0.1", port))


@pytest.fixture
def sampling(tmp_path: Path) -> Iterator[tuple[Sampler, Path]]:
    """A live sampler of every default source at 20/5 Hz, recording to a file."""
    path = tmp_path / "drops.ntr"
    recorder = Recorder(path, make_header(None, 0.05))
    recorder.open()
    sampler = Sampler(ProcRoot(), Store(), Cadence(hot=0.05, warm=0.2, cold=1.0), recorder=recorder)
    sampler.start()
    try:
        yield sampler, path
    finally:
        sampler.stop()
        recorder.close()


def wait_for(check: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)


@needs_root
def test_udp_to_a_closed_port_is_no_socket_everywhere(sampling: tuple[Sampler, Path]) -> None:
    sampler, path = sampling
    store = sampler.store
    wait_for(lambda: store.status(keys.DROPS).state is State.OK)
    assert store.status(keys.DROPS).state is State.OK, store.status(keys.DROPS).error
    n = 2000
    for _ in range(3):  # drops are host-wide: another UDP sender on this host spoils a round
        mark = Mark.take(store, time.monotonic())
        before = store.latest(keys.SNMP)[1]["Udp.NoPorts"]
        send_to_closed_port(n)
        time.sleep(0.6)  # two warm reads
        ctx = ViewContext(store, time.monotonic(), mark, rate_window=1.0)
        no_ports = store.latest(keys.SNMP)[1]["Udp.NoPorts"] - before
        rows = [r for r in pair_rows(ctx) if r.reason == "NO_SOCKET" and r.location.startswith("__udp4_lib_rcv+0x")]
        assert rows and rows[0].delta is not None and rows[0].delta >= n
        assert no_ports >= n
        if rows[0].delta == no_ports:
            break
    else:
        pytest.fail(f"NO_SOCKET {rows[0].delta} never equal to Udp.NoPorts {no_ports}")
    reason = next(r for r in reason_rows(ctx) if r.reason == "NO_SOCKET")
    assert reason.counter == "Udp(6).NoPorts" and reason.share is not None and reason.share > 0.5

    finding = next(f for f in evaluate(ctx) if f.id == "drop-reason" and f.subject == "NO_SOCKET")
    assert finding.severity == "info" and finding.title.endswith("/s at __udp4_lib_rcv")  # routine: never a warning
    assert finding.evidence["location"].startswith("__udp4_lib_rcv+0x")

    snap = build_snapshot(store, ProcRoot(), since=None, duration_s=1.0)
    no_socket = next(r for r in snap["drops"]["reasons"] if r["reason"] == "NO_SOCKET")
    assert snap["drops"]["method"] == "bpf" and no_socket["value"] >= n

    text = exposition(NettopCollector(store)).decode()
    line = next(x for x in text.splitlines() if x.startswith("nettop_drops_total{") and 'reason="NO_SOCKET"' in x
                and "__udp4_lib_rcv" in x)
    assert float(line.rsplit(" ", 1)[1]) >= n

    sampler.stop()
    sampler.recorder.close()  # type: ignore[union-attr]
    player = Player(read_recording(path))
    player.seek(player.recording.end)
    replayed = player.store.latest(keys.DROPS)[1]
    assert replayed == store.latest(keys.DROPS)[1]
    assert player.store.detail(keys.DROPS) is not None


def test_locations_past_the_cap_are_summed_into_other() -> None:
    """A flood of distinct locations cannot grow the columns: the store, a recording and the
    export stay bounded."""

    class Counter:  # what open_drop_counter returns, minus the kernel
        method, fallback_reason, untracked, closed = "bpf", None, 0, False
        format = SimpleNamespace(reasons={3: "NO_SOCKET"})

        def read(self) -> dict[tuple[int, int], int]:
            return {(0xFFFF0000 + i, 3): 1 for i in range(MAX_PAIRS + 50)}

        def close(self) -> None:
            pass

    src = DropsSource()
    src.counter = Counter()  # type: ignore[assignment]
    src.symbols._addrs, src.symbols._names = [0xFFFF0000], ["f"]  # every address is f+0x...
    (names, values), _ = src.read()
    assert len(names) == MAX_PAIRS + 1 and column("NO_SOCKET", OTHER) in names
    assert dict(zip(names, values, strict=True))[column("NO_SOCKET", OTHER)] == 50


def test_not_applicable_under_another_root(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    root = ProcRoot(tmp_path / "proc", tmp_path / "sys")
    drops = next(s for s in default_sources(root) if s.key is keys.DROPS)
    with pytest.raises(OSError, match="running kernel"):
        drops.read()


def test_a_reason_first_seen_later_rises_from_zero() -> None:
    """Its first burst is a rate, not a step from nothing: the store knows it was 0 before."""
    store = Store()
    store.declare(keys.DROPS, from_zero=True)
    store.record(keys.DROPS, 10.0, ("A@f+0x1",), [5])
    store.record(keys.DROPS, 11.0, ("A@f+0x1",), [5])
    store.record(keys.DROPS, 12.0, ("A@f+0x1", "B@g+0x2"), [5, 300])
    w = store.window(keys.DROPS, since=10.5)
    assert w is not None and w.delta("B@g+0x2").rate == pytest.approx(300.0)
    plain = Store()
    plain.record(keys.DROPS, 11.0, ("A@f+0x1",), [5])
    plain.record(keys.DROPS, 12.0, ("A@f+0x1", "B@g+0x2"), [5, 300])
    pw = plain.window(keys.DROPS, since=10.5)
    assert pw is not None and not pw.delta("B@g+0x2").rate  # without it, no rate yet
