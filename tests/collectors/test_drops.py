"""The drop counters (collectors/drops): real drops generated in throw-away network namespaces.

Needs root (tests that need the kernel are skipped otherwise). Traffic goes only
to loopback or to addresses inside namespaces these tests create. Drop counts are
host-wide, so each comparison retries a few times if something else on the host
dropped packets at the same (location, reason) meanwhile.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dropnet as nt
import kfree_skb_formats as fx
import pytest

from nettop.collectors.drops import bpfsys as bs
from nettop.collectors.drops import counters as d
from nettop.collectors.drops import tracepoint as tp
from nettop.collectors.drops.ksyms import Symbolizer

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
Counts = dict[tuple[int, int], int]


def reason_no(counter: d.DropCounter, name: str) -> int:
    return {v: k for k, v in counter.format.reasons.items()}[name]


def delta(before: Counts, after: Counts, reason: int) -> dict[int, int]:
    """Per-location increase of one reason between two reads."""
    return {loc: n - before.get((loc, r), 0) for (loc, r), n in after.items()
            if r == reason and n - before.get((loc, r), 0) > 0}


def retry(attempt: Callable[[], bool], tries: int = 3) -> None:
    for _ in range(tries - 1):
        if attempt():
            return
    assert attempt()


@pytest.fixture
def counter() -> Iterator[d.DropCounter]:
    with d.open_drop_counter() as c:
        assert c.method == "bpf", c.fallback_reason
        yield c


# ----------------------------------------------------------------- parsing
def test_parse_format_6_18_has_rx_sk_and_reason_at_36() -> None:
    fmt = tp.parse_format(fx.FORMAT_6_18)
    assert fmt.offsets["location"] == (16, 8) and fmt.offsets["rx_sk"] == (24, 8)
    assert fmt.offsets["reason"] == (36, 4) and fmt.offsets["protocol"] == (32, 2)
    assert fmt.reasons[2] == "NOT_SPECIFIED" and fmt.reasons[3] == "NO_SOCKET"
    assert fmt.reasons[40] == "TCP_LISTEN_OVERFLOW" and fmt.reasons[64] == "QDISC_DROP"


def test_parse_format_6_1_no_rx_sk() -> None:
    fmt = tp.parse_format(fx.FORMAT_6_1)
    assert "rx_sk" not in fmt.offsets
    assert fmt.offsets["reason"] == (28, 4) and fmt.offsets["location"] == (16, 8)
    assert fmt.reasons[1] == "NOT_SPECIFIED" and fmt.reasons[2] == "NO_SOCKET"
    assert fmt.reasons[45] == "QDISC_DROP" and fmt.reasons[46] == "CPU_BACKLOG"
    assert "TCP_LISTEN_OVERFLOW" not in fmt.reasons.values()


def test_parse_format_5_17_not_specified_is_zero() -> None:
    fmt = tp.parse_format(fx.FORMAT_5_17)
    assert fmt.reasons == {0: "NOT_SPECIFIED", 1: "NO_SOCKET", 2: "PKT_TOO_SMALL", 3: "TCP_CSUM",
                           4: "SOCKET_FILTER", 5: "UDP_CSUM", 6: "MAX"}


def test_parse_format_5_15_has_no_reason() -> None:
    fmt = tp.parse_format(fx.FORMAT_5_15)
    assert fmt.offsets["location"] == (16, 8) and "reason" not in fmt.offsets and fmt.reasons == {}


@needs_root
def test_reason_names_from_btf_when_format_has_none() -> None:
    fmt = tp.parse_format(fx.FORMAT_5_19)
    assert fmt.offsets["reason"] == (28, 4) and fmt.reasons == {}
    live = tp.read_format(tp.DEFAULT_TRACEFS).reasons
    assert tp.with_btf_reasons(fmt).reasons.items() >= live.items()  # same numbers, same names


@needs_root
def test_live_format_matches_parse() -> None:
    assert tp.read_format(tp.DEFAULT_TRACEFS).offsets == tp.parse_format(fx.FORMAT_6_18).offsets


def test_program_uses_format_offsets() -> None:
    for text in (fx.FORMAT_6_1, fx.FORMAT_6_18):
        fmt = tp.parse_format(text)
        code = d.build_program(fmt, map_fd=7)
        assert len(code) % 8 == 0 and 20 < len(code) // 8 < 50
        assert bs.ldx_mem(4, bs.R1, bs.R6, fmt.offsets["reason"][0]) in code
        assert bs.ldx_mem(8, bs.R1, bs.R6, 16) in code


# ----------------------------------------------------------- unavailability
def _fake_tracefs(tmp: Path, fmt_text: str) -> Path:
    ev = tmp / "events/skb/kfree_skb"
    ev.mkdir(parents=True)
    (ev / "format").write_text(fmt_text)
    (ev / "id").write_text("1339\n")
    return tmp


def test_unavailable_without_reason_field(tmp_path: Path) -> None:
    with pytest.raises(tp.DropsUnavailable, match=r"5\.17"):
        d.open_drop_counter(_fake_tracefs(tmp_path, fx.FORMAT_5_15))


def test_unavailable_without_tracefs(tmp_path: Path) -> None:
    with pytest.raises(tp.DropsUnavailable, match="tracefs not mounted"):
        d.open_drop_counter(tmp_path)


def test_unavailable_without_tracepoint(tmp_path: Path) -> None:
    (tmp_path / "events").mkdir()
    with pytest.raises(tp.DropsUnavailable, match="absent"):
        d.open_drop_counter(tmp_path)


def _unprivileged(*setpriv: str) -> str:
    code = ("from nettop.collectors.drops import counters as d, tracepoint as tp\n"
            "try:\n    d.open_drop_counter()\nexcept tp.DropsUnavailable as e:\n    print(e.reason)\n")
    return nt.run("setpriv", *setpriv, "--", sys.executable, "-c", code).strip()


@needs_root
@pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv")
def test_unavailable_when_not_root() -> None:
    assert "not permitted" in _unprivileged("--reuid", "65534", "--regid", "65534", "--clear-groups")
    # uid 0 without capabilities passes tracefs permissions but bpf()/perf_event_open() refuse
    assert "not permitted" in _unprivileged("--bounding-set", "-all", "--inh-caps", "-all")


@needs_root
def test_verifier_log_in_exception() -> None:
    bad = tp.TracepointFormat({"location": (3, 8), "reason": (36, 4)}, {})  # misaligned ctx read
    map_fd = bs.map_create(bs.BPF_MAP_TYPE_PERCPU_HASH, 16, 8, 4, "nettop_test")
    try:
        with pytest.raises(bs.BpfLoadError, match=r"verifier log:\n.*(ctx|context)"):
            bs.prog_load(bs.BPF_PROG_TYPE_TRACEPOINT, d.build_program(bad, map_fd), "nettop_bad")
    finally:
        os.close(map_fd)


# -------------------------------------------------------------- real drops
def _udp_round(counters: list[d.DropCounter], n: int) -> tuple[int, list[dict[int, int]]]:
    """Send n datagrams to a closed port in a new namespace: (NoPorts delta, NO_SOCKET deltas)."""
    with nt.netns() as (ns,):
        before = [c.read() for c in counters]
        ports0 = nt.snmp(ns, "Udp", "NoPorts")
        assert nt.udp_send(ns, "127.0.0.1", 9, n) == n
        time.sleep(0.2)
        ports = nt.snmp(ns, "Udp", "NoPorts") - ports0
        after = [c.read() for c in counters]
    return ports, [delta(b, a, reason_no(c, "NO_SOCKET")) for c, b, a in zip(counters, before, after, strict=True)]


@needs_root
def test_udp_closed_port_counts_match_noports(counter: d.DropCounter) -> None:
    n = 3000

    def attempt() -> bool:
        ports, (by_loc,) = _udp_round([counter], n)
        loc, count = max(by_loc.items(), key=lambda kv: kv[1])
        assert ports >= n and count >= n
        assert Symbolizer().name(loc).startswith("__udp4_lib_rcv+0x")
        return count == ports

    retry(attempt)


@needs_root
def test_fallback_close_to_bpf_on_udp(counter: d.DropCounter) -> None:
    n = 3000
    fmt, tp_id = tp.load_event(tp.DEFAULT_TRACEFS)
    with d.open_drop_counter(allow_bpf=False) as exact, \
            d.PerfSampleDropCounter(fmt, tp_id, period=32, adaptive=False) as sampled:
        assert isinstance(exact, d.PerfSampleDropCounter) and exact.fallback_reason == "BPF disabled"
        ncpu = len(sampled.periods)

        def attempt() -> bool:
            ports, (bpf, ex, smp) = _udp_round([counter, exact, sampled], n)
            b, e, s = (sum(x.values()) for x in (bpf, ex, smp))
            assert exact.untracked == 0 and b >= n
            assert abs(s - b) <= 32 * ncpu, (b, s)  # totals are exact; attribution is sampled
            assert sampled.samples < n / 16 < exact.samples
            return b == ports and e == b

        retry(attempt)


@needs_root
def test_env_var_disables_bpf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(d.NO_BPF_ENV, "1")
    with d.open_drop_counter() as c:
        assert c.method == "perf-sample"


@needs_root
def test_qdisc_drop_on_veth(counter: d.DropCounter) -> None:
    def attempt() -> bool:
        with nt.netns(2) as (a, b):
            nt.veth_pair(a, b, "10.253.0.1", "10.253.0.2")
            nt.run("tc", "-n", a, "qdisc", "add", "dev", "va", "root", "handle", "1:", "tbf",
                   "rate", "1mbit", "burst", "1600", "limit", "100000")
            nt.run("tc", "-n", a, "qdisc", "add", "dev", "va", "parent", "1:1", "handle", "10:", "pfifo", "limit", "5")
            before = counter.read()
            nt.udp_send(a, "10.253.0.2", 9, 1000, size=1000)
            time.sleep(0.2)
            dropped = nt.qdisc_drops(a, "va", "10:")
            by_loc = delta(before, counter.read(), reason_no(counter, "QDISC_DROP"))
        assert dropped > 500
        return max(by_loc.values(), default=0) == dropped

    retry(attempt)


LISTENER = """
import socket, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)  # child made on first data
srv.listen(1)                                                    # never accept()ed
clients = []
for _ in range(30):
    s = socket.socket(); s.setblocking(False); s.connect_ex(srv.getsockname()); clients.append(s)
time.sleep(0.2)
for s in clients:
    try:
        s.send(b"hello")
    except OSError:
        pass
time.sleep(1.0)
"""


@needs_root
def test_tcp_accept_queue_overflow(counter: d.DropCounter) -> None:
    # Plain SYNs refused on a full accept queue are consume_skb()'d (no reason);
    # TCP_LISTEN_OVERFLOW (6.15+) is the ACK/data that finds the accept queue full.
    with nt.netns() as (ns,):
        before, over0 = counter.read(), nt.netstat(ns, "TcpExt", "ListenOverflows")
        nt.in_ns(ns, LISTENER)
        time.sleep(0.1)
        overflows = nt.netstat(ns, "TcpExt", "ListenOverflows") - over0
        by_loc = delta(before, counter.read(), reason_no(counter, "TCP_LISTEN_OVERFLOW"))
    assert 1 <= sum(by_loc.values()) <= overflows


@needs_root
def test_map_full_counts_untracked() -> None:
    fmt, tp_id = tp.load_event(tp.DEFAULT_TRACEFS)
    with d.BpfDropCounter(fmt, tp_id, max_entries=1) as c, nt.netns() as (ns,):
        nt.udp_send(ns, "127.0.0.1", 9, 300)
        nt.udp_send(ns, "::1", 9, 300)  # another location: the map has room for one key
        time.sleep(0.1)
        counts = c.read()
        assert len(counts) <= 1 and c.untracked >= 300
        assert sum(counts.values()) + c.untracked >= 600


# ------------------------------------------------------------------- cleanup
def _our_fds() -> list[str]:
    links = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
             if os.path.exists(f"/proc/self/fd/{fd}")]
    return sorted(x for x in links if any(k in x for k in ("bpf-prog", "bpf-map", "perf_event")))


def _exists(kind: str, obj_id: str) -> bool:
    return subprocess.run(["bpftool", kind, "show", "id", obj_id], capture_output=True).returncode == 0


def _gone(ids: tuple[str, str]) -> bool:
    for _ in range(50):  # programs and maps are freed after an RCU grace period
        if not _exists("prog", ids[0]) and not _exists("map", ids[1]):
            return True
        time.sleep(0.1)
    return False


def _ids(c: d.DropCounter) -> tuple[str, str] | None:
    if isinstance(c, d.BpfDropCounter) and shutil.which("bpftool"):
        ids = c.prog_info()["prog_id"], bs.fdinfo(c.map_fd)["map_id"]
        assert _exists("prog", ids[0]) and _exists("map", ids[1])
        return ids
    return None


@needs_root
@pytest.mark.parametrize("allow_bpf", [True, False])
def test_close_releases_everything(allow_bpf: bool) -> None:
    base = _our_fds()
    c = d.open_drop_counter(allow_bpf=allow_bpf)
    assert len(_our_fds()) > len(base)
    ids = _ids(c)
    c.close()
    c.close()  # idempotent
    assert _our_fds() == base
    with pytest.raises(ValueError):
        c.read()
    assert ids is None or _gone(ids)


@needs_root
def test_garbage_collection_releases_fds() -> None:
    base = _our_fds()
    c = d.open_drop_counter()
    ids = _ids(c)
    del c
    gc.collect()
    assert _our_fds() == base
    assert ids is None or _gone(ids)


# ---------------------------------------------------------------- symbolizer
def test_symbolizer_offsets(tmp_path: Path) -> None:
    ks = tmp_path / "kallsyms"
    ks.write_text("ffffffff81000000 T _text\nffffffff81000100 t foo\nffffffff81000200 D data\n"
                  "ffffffffc0000000 t modfn\t[veth]\n")
    s = Symbolizer(ks)
    assert s.name(0xFFFFFFFF81000105) == "foo+0x5"
    assert s.name(0xFFFFFFFF81000205) == "foo+0x105"  # data symbols are skipped
    assert s.name(0xFFFFFFFFC0000010) == "modfn+0x10 [veth]"
    assert s.name(0x1000) == "0x1000" and s.note is None


def test_symbolizer_restricted(tmp_path: Path) -> None:
    ks = tmp_path / "kallsyms"
    ks.write_text("0000000000000000 T _text\n0000000000000000 t foo\n")
    s = Symbolizer(ks)
    assert s.name(0xFFFFFFFF81000105) == "0xffffffff81000105"
    assert s.note is not None and "hidden" in s.note




def _ours() -> list[tuple[str, int, str]]:
    return [(kind, *o) for kind in ("prog", "map") for o in nt.bpf_objects(kind)
            if o[1] in ("nettop_drops", "nettop_qpeak")]


@needs_root
def test_nettop_leaves_no_program_or_map_behind() -> None:
    """A real `nettop snapshot`: its program and map exist while it runs, none once it exits,
    and a SIGKILLed one leaves nothing either (the kernel frees them with the last fd)."""
    for stop in ("exit", "kill"):
        before = set(_ours())  # another nettop may run meanwhile: only what this one made counts
        proc = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "snapshot", "--duration", "3"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        made: set[tuple[str, int, str]] = set()
        try:
            deadline = time.monotonic() + 10
            while len(made) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
                made = set(_ours()) - before
            assert len(made) >= 2, "nettop's program and map never appeared"
            if stop == "kill":
                proc.kill()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 5  # freed after an RCU grace period
        while made & set(_ours()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not made & set(_ours()), stop
