"""The sampler over a procfs root made of fixture files: bad sources never stop the rest."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from conftest import K
from nettop.collectors.procfs import ProcRoot
from nettop.collectors.sampler import Sampler
from nettop.collectors.snapshot import build_snapshot
from nettop.collectors.store import State, Store
from nettop.collectors.tiers import Cadence, Tier

FIXTURES = Path(__file__).parent.parent / "fixtures"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_root(tmp: Path, kind: str = "linux-6.18-host") -> ProcRoot:
    net = tmp / "proc" / "net"
    shutil.copytree(FIXTURES / kind, net)
    sysctl = tmp / "proc" / "sys" / "net"
    for name, value in {"core/somaxconn": "4096\n", "ipv4/tcp_mem": "10\t20\t30\n",
                        "ipv4/conf/eth0.100/rp_filter": "2\n", "ipv4/conf/all/rp_filter": "1\n"}.items():
        (sysctl / name).parent.mkdir(parents=True, exist_ok=True)
        (sysctl / name).write_text(value)
    return ProcRoot(tmp / "proc", tmp / "sys")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def sampler_for(root: ProcRoot, clock: FakeClock) -> Sampler:
    return Sampler(root, Store(short_capacity=50), Cadence(hot=0.1, warm=1.0, cold=10.0), clock=clock)


def test_fixture_root_gives_every_source(tmp_path: Path, clock: FakeClock) -> None:
    s = sampler_for(make_root(tmp_path), clock)
    s.tick()
    snap = build_snapshot(s.store, s.root, since=None, duration_s=0)
    proc_sources = ("netstat", "snmp", "snmp6", "protocols", "sockstat", "sockstat6", "softnet_stat", "dev")
    assert all(snap["sources"][k]["ok"] for k in (*proc_sources, "sysctl", "tcp_mem")), snap["sources"]
    # netlink would describe the running kernel, not these files: said, not mixed in
    assert snap["sources"]["qdiscs"]["ok"] is False
    assert "not the files under" in snap["sources"]["qdiscs"]["error"]
    assert snap["qdiscs"] == [] and snap["listeners"] == []
    assert snap["tcp_mem"] == {"low": 10, "pressure": 20, "high": 30}
    assert snap["sysctls"]["net.ipv4.conf.eth0/100.rp_filter"] == "2"
    assert snap["counters"]["Tcp.MaxConn"]["value"] == -1
    assert snap["interfaces"]["eth0"]["rx_bytes"] == 20719845


def test_absent_and_unreadable_sources_are_marked_and_the_rest_goes_on(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    (root.proc / "net" / "snmp6").unlink()
    (root.proc / "net" / "dev").unlink()
    (root.proc / "net" / "dev").mkdir()  # reading a directory fails: unreadable, not absent
    s = sampler_for(root, clock)
    s.tick()
    # without snmp6 IPv6 is off: nothing is wrong, the source is listed as not applicable
    assert s.store.status(K("snmp6")).state is State.NOT_APPLICABLE
    assert "IPv6 is disabled" in (s.store.status(K("snmp6")).error or "")
    assert s.store.status(K("dev")).ok is False
    assert "EISDIR" in (s.store.status(K("dev")).error or "")
    assert s.store.status(K("netstat")).ok is True
    snap = build_snapshot(s.store, root, since=None, duration_s=0)
    assert snap["sources"]["snmp6"]["ok"] is False and snap["sources"]["snmp6"]["state"] == "not applicable"
    assert snap["sources"]["dev"]["state"] == "down"
    assert snap["counters"]["TcpExt.ListenOverflows"]["value"] == 0
    assert snap["interfaces"] == {}
    assert snap["udp_mem"] is None and snap["sources"]["udp_mem"]["ok"] is False


def test_a_bad_section_is_counted_and_the_rest_recorded(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    s = sampler_for(root, clock)
    s.tick()
    (root.proc / "net" / "netstat").write_bytes((FIXTURES / "variants/netstat-missing-value").read_bytes())
    clock.now += 0.1
    s.tick()
    st = s.store.status(K("netstat"))
    assert st.parse_errors == 1 and st.samples == 2 and st.ok is True
    assert f"{root.proc}/net/netstat:2:" in (st.last_parse_error or "")  # names the file and the line
    _, latest = s.store.latest(K("netstat"))
    assert "IpExt.InOctets" in latest and not any(k.startswith("TcpExt.") for k in latest)
    assert s.store.status(K("snmp")).samples == 2


def test_one_corrupted_line_costs_that_counter_only(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    netstat = root.proc / "net" / "netstat"
    lines = netstat.read_bytes().split(b"\n")
    s = sampler_for(root, clock)
    s.tick()
    _, before = s.store.latest(K("netstat"))
    tokens = lines[3].split()
    tokens[2] = b"\x00\xff" + tokens[2]  # IpExt.InTruncatedPkts
    lines[3] = b" ".join(tokens)
    netstat.write_bytes(b"\n".join(lines))
    clock.now += 0.1
    s.tick()
    st = s.store.status(K("netstat"))
    assert st.parse_errors == 1 and st.samples == 2 and st.ok
    assert f"{netstat}:4:" in (st.last_parse_error or "") and "IpExt.InTruncatedPkts" in (st.last_parse_error or "")
    _, after = s.store.latest(K("netstat"))
    assert after == {k: v for k, v in before.items() if k != "IpExt.InTruncatedPkts"}
    window = s.store.window(K("netstat"))
    assert window is not None and len(window) == 2  # the others kept their history
    assert window.delta("TcpExt.ListenOverflows").delta == 0
    clock.now += 0.1
    s.tick()  # still bad: counted on every read
    assert s.store.status(K("netstat")).parse_errors == 2


def test_a_read_with_nothing_good_keeps_the_history(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    s = sampler_for(root, clock)
    s.tick()
    (root.proc / "net" / "sockstat").write_bytes(b"\x00\x01\x02\n\xff\xfe\n")
    clock.now += 0.1
    s.tick()
    st = s.store.status(K("sockstat"))
    assert st.parse_errors == 2 and st.samples == 1
    assert s.store.latest(K("sockstat"))[1]["TCP/inuse"] >= 0  # the last good sample stands


def test_a_fifo_in_place_of_a_file_is_down_at_once_and_the_tick_returns(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    dev = root.proc / "net" / "dev"
    dev.unlink()
    os.mkfifo(dev)
    s = sampler_for(root, clock)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (s.tick(), done.set()), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        assert done.wait(10.0), "the tick hung on a FIFO"
    finally:
        with contextlib.suppress(OSError):  # release a reader blocked by a regression
            os.close(os.open(dev, os.O_WRONLY | os.O_NONBLOCK))
    assert time.monotonic() - started < 5.0
    st = s.store.status(K("dev"))
    assert st.state is State.DOWN and "FIFO" in (st.error or "") and str(dev) in (st.error or "")
    assert s.store.status(K("netstat")).ok and s.store.status(K("softnet_stat")).ok


def test_counter_going_backwards_is_a_gap_in_the_snapshot(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    dev = root.proc / "net" / "dev"
    original = dev.read_text()
    s = sampler_for(root, clock)
    s.tick()
    dev.write_text(original.replace("20719845", "20720845"))  # +1000 B
    clock.now += 0.1
    s.tick()
    dev.write_text(original.replace("20719845", "500"))  # device re-created: counter reset
    clock.now += 0.1
    s.tick()
    snap = build_snapshot(s.store, root, since=None, duration_s=0.2)
    assert snap["interfaces"]["eth0"]["rx_bytes"] == 500
    assert snap["interfaces"]["eth0"]["rates"]["rx_bytes"] == pytest.approx(1000 / 0.1)


def test_source_that_appears_later_comes_back_on_the_cold_cadence(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    sockstat = root.proc / "net" / "sockstat"
    content = sockstat.read_bytes()
    sockstat.unlink()
    events: list[tuple[str, str]] = []
    s = sampler_for(root, clock)
    s.on_event = lambda src, msg: events.append((src, msg))
    s.tick()
    sockstat.write_bytes(content)
    clock.now += 1.0
    s.tick()
    assert s.store.status(K("sockstat")).ok is False  # not retried before the cold cadence
    clock.now += 10.0
    s.tick()
    assert s.store.status(K("sockstat")).ok is True
    assert ("sockstat", "available again") in events
    assert sum(1 for src, msg in events if src == "sockstat" and msg.startswith("unavailable")) == 1


def test_interface_vanishing_mid_run(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    dev = root.proc / "net" / "dev"
    s = sampler_for(root, clock)
    s.tick()
    dev.write_text("\n".join(line for line in dev.read_text().splitlines() if "ifb1" not in line) + "\n")
    clock.now += 0.1
    s.tick()
    snap = build_snapshot(s.store, root, since=None, duration_s=0.1)
    assert "ifb1" not in snap["interfaces"] and "eth0" in snap["interfaces"]
    assert s.store.status(K("dev")).ok is True and s.store.status(K("dev")).parse_errors == 0


def test_pid_root_reads_that_process_net_dir_and_no_sysctls(tmp_path: Path, clock: FakeClock) -> None:
    root = make_root(tmp_path)
    pid_net = root.proc / "4242" / "net"
    shutil.copytree(root.proc / "net", pid_net)
    (pid_net / "netstat").write_bytes((FIXTURES / "linux-6.18-netns/netstat").read_bytes())
    s = sampler_for(ProcRoot(root.proc, root.sys, pid=4242), clock)
    s.tick()
    assert s.sources[0].path == pid_net / "netstat"
    assert s.store.status(K("sysctl")).ok is False
    assert "namespace" in (s.store.status(K("sysctl")).error or "")


class Costly:
    """A source that burns `cost` seconds of CPU per read, first reads `first` times that."""

    tier = Tier.WARM
    bits = None
    from_zero = False
    max_share = 0.01
    last_cost = 0.0
    standby_for = None

    def __init__(self, cost: float, first: float = 1.0) -> None:
        self.key = K("costly-test")
        self.cost, self.first, self.reads = cost, first, 0

    def is_gauge(self, column: str) -> bool:
        return False

    def read(self) -> tuple[tuple[tuple[str, ...], list[int]], None]:
        self.reads += 1
        end = time.thread_time() + self.cost * (self.first if self.reads == 1 else 1.0)
        while time.thread_time() < end:
            pass
        return (("x",), [self.reads]), None

    def close(self) -> None:
        pass

    def before_netns(self) -> None:
        pass


def test_a_costly_source_paces_itself_outside_the_budget_and_not_by_its_first_read(clock: FakeClock) -> None:
    src = Costly(0.06, first=5)  # 300 ms first (imports, cold caches), then 60 ms a read
    sampler = Sampler(ProcRoot(), Store(), Cadence.for_interval(0.01), clock=clock, sources=[src])
    assert sampler._read(src) == sampler.cadence.of(Tier.WARM)  # not 300 ms / 1 % = 30 s
    step = sampler._read(src)
    assert 4.5 <= step <= 9, step  # ~60 ms / 1 % = 6 s, whatever the first read cost
    assert "costly-test" in sampler.slowed
    assert sampler._tier_cpu.get(Tier.WARM, 0.0) == 0.0 and sampler._paced_cpu >= 0.3


class Cheap(Costly):
    def __init__(self, name: str, tier: Tier) -> None:
        super().__init__(0.0)
        self.key, self.tier, self.max_share = K(name), tier, None


@pytest.mark.parametrize("burst", [0.01, 0.07, 0.72, 1.0])
def test_slower_tiers_ride_burst_ticks_and_are_never_read_less_often_than_asked(clock: FakeClock,
                                                                               burst: float) -> None:
    gauges, counters, warm = Cheap("g-test", Tier.BURST), Cheap("c-test", Tier.HOT), Cheap("w-test", Tier.WARM)
    sampler = Sampler(ProcRoot(), Store(), Cadence(hot=1.0, warm=1.0, cold=10.0, burst=burst), clock=clock,
                      sources=[gauges, counters, warm])
    start, wakes = clock.now, 0
    while clock.now < start + 60:
        clock.now = max(clock.now, sampler.tick())
        wakes += 1
    assert counters.reads >= 60 and warm.reads >= 60  # 1 Hz asked: at least 1 Hz given
    assert counters.reads <= 60 * 1.0 / max(burst, 0.5) + 2  # and not much more
    assert wakes <= gauges.reads + 1  # no wake-up of their own: they ride the gauges' ticks
