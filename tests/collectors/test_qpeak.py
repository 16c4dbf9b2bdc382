"""The kernel-kept queue peaks: a burst's full height whatever the sampling rate, ours only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dropnet import bpf_objects

from conftest import Topology, root_only
from nettop.collectors import netns as netns_mod
from nettop.collectors.qpeak import QdiscPeaks, open_peaks

pytestmark = root_only

ROOT = 0xFFFFFFFF
HTB_ROOT = 0x10000  # 1:


def in_namespace(ns: str, fn: Callable[[], object]) -> object:
    """Run fn in a thread that entered ns (setns changes only the calling thread)."""
    out: list[object] = []

    def run() -> None:
        netns_mod.enter(netns_mod.resolve(ns))
        out.append(fn())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return out[0]


def burst(count: int = 40, size: int = 1200) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(count):
            s.sendto(b"b" * size, ("10.77.0.2", 9))


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "walked"])
def test_a_burst_is_seen_at_its_full_height_after_it_drained(topology: Topology, batched: bool) -> None:
    def watch() -> tuple[dict[tuple[int, int, int], int], dict[tuple[int, int, int], int], int]:
        peaks = QdiscPeaks()
        peaks._batch = batched  # the walk is what kernels before 5.6 get
        try:
            burst()
            # the 1 Mbit class drains 10 x 1242 B in ~100 ms; sampled now, the queue is full
            seen = peaks.take()
            again = peaks.take()
            return seen, again, socket.if_nametoindex("v0")
        finally:
            peaks.close()

    seen, again, v0 = in_namespace(topology.a, watch)  # type: ignore[misc]
    pfifo_full = 10 * (1200 + 28 + 14)  # the pfifo under 1:20 holds 10 packets, then drops
    assert seen.get((v0, HTB_ROOT, ROOT), 0) >= 0.9 * pfifo_full, seen
    assert again == {}, "a take forgets what it returned"


def test_queues_of_other_namespaces_are_not_counted(topology: Topology) -> None:
    peaks = QdiscPeaks()  # this thread: the test's own namespace
    try:
        in_namespace(topology.a, burst)
        assert peaks.take() == {}
    finally:
        peaks.close()


def ours() -> list[tuple[str, int, str]]:
    return [(kind, *o) for kind in ("prog", "map") for o in bpf_objects(kind) if o[1] == "nettop_qpeak"]


def test_closing_leaves_no_program_or_map_behind(topology: Topology) -> None:
    before = set(ours())  # another nettop may be running: only what this tracker made counts
    peaks = open_peaks()
    assert peaks is not None
    made = set(ours()) - before
    assert {kind for kind, _, _ in made} == {"prog", "map"} and len(made) == 2, made
    peaks.close()
    assert peaks.closed
    deadline = time.monotonic() + 5  # the map is freed after an RCU grace period
    while made & set(ours()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not made & set(ours())


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETTOP_NO_QPEAK", "1")
    assert open_peaks() is None


FORMAT_WITHOUT_TXQ = """name: qdisc_enqueue
ID: 1
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:struct Qdisc * qdisc;\toffset:8;\tsize:8;\tsigned:0;
\tfield:int ifindex;\toffset:16;\tsize:4;\tsigned:1;
"""


@pytest.mark.parametrize("event", [None, FORMAT_WITHOUT_TXQ, "", "\\x00garbage\\n" * 1000])
def test_a_kernel_without_what_it_needs_gets_sampled_queues_not_an_error(tmp_path: Path, event: str | None) -> None:
    """Before 5.15 there is no qdisc_enqueue event; other kernels lay its fields out otherwise."""
    if event is not None:
        (tmp_path / "events" / "qdisc" / "qdisc_enqueue").mkdir(parents=True)
        (tmp_path / "events" / "qdisc" / "qdisc_enqueue" / "format").write_text(event)
        (tmp_path / "events" / "qdisc" / "qdisc_enqueue" / "id").write_text("1\n")
    before = set(ours())
    assert open_peaks(tmp_path) is None
    assert set(ours()) <= before
