from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

if TYPE_CHECKING:
    from nettop.collectors.keys import Key
    from nettop.collectors.procfs import ProcRoot
    from nettop.collectors.store import Store

made_dirs: list[Path] = []  # scratch /proc trees of the recorded stores, removed when the session ends


@pytest.fixture(autouse=True, scope="session")
def _remove_scratch_dirs() -> Iterator[None]:
    yield
    for path in made_dirs:
        shutil.rmtree(path, ignore_errors=True)


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (CI runs as root)")
needs_ip = pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2")


class LoopbackTraffic:
    """A TCP server on 127.0.0.1 and a client streaming to it until stopped."""

    def __init__(self, chunk: int = 64 * 1024, max_seconds: float = 30.0) -> None:
        self.chunk = chunk
        self.max_seconds = max_seconds  # bounded even if a test forgets to stop it
        self.sent = 0
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._threads = [threading.Thread(target=self._serve, daemon=True),
                         threading.Thread(target=self._send, daemon=True)]

    def _serve(self) -> None:
        conn, _ = self._server.accept()
        with conn:
            conn.settimeout(1.0)
            while not self._stop.is_set():
                try:
                    if not conn.recv(1 << 20):
                        return
                except OSError:
                    return

    def _send(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        payload = b"x" * self.chunk
        with socket.create_connection(("127.0.0.1", self.port)) as c:
            while not self._stop.is_set() and time.monotonic() < deadline:
                c.sendall(payload)
                self.sent += len(payload)
                time.sleep(0.002)

    def __enter__(self) -> LoopbackTraffic:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._server.close()


@pytest.fixture
def loopback_traffic() -> Callable[[], LoopbackTraffic]:
    return LoopbackTraffic


@pytest.fixture
def netns() -> Iterator[Callable[[], str]]:
    """Make uniquely named network namespaces; all are deleted at the end, whatever happens."""
    made: list[str] = []

    def make() -> str:
        name = f"nettop-t-{uuid.uuid4().hex[:8]}"
        subprocess.run(["ip", "netns", "add", name], check=True)
        made.append(name)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        return name

    try:
        yield make
    finally:
        for name in made:
            if os.path.exists(f"/run/netns/{name}"):
                subprocess.run(["ip", "netns", "del", name], check=False)


def sh(*cmds: str) -> None:
    for cmd in cmds:
        subprocess.run(cmd, shell=True, check=True, capture_output=True)


class Topology:
    """Two namespaces joined by a veth pair, with most link kinds and an htb tree on `a`.

    a: v0 (10.77.0.1/24, htb 1: -> 1:1 -> 1:20 1mbit -> pfifo 20: limit 10) <-> b: v0p (10.77.0.2)
    a also has br0 with veth ports p1/p2, macvlan mv0 and macvtap mvt0 on v0, vxlan vx0 (VNI 4242),
    ifb9, tun9.
    """

    def __init__(self, make_ns: Callable[[], str]) -> None:
        self.a, self.b = make_ns(), make_ns()
        a, b = self.a, self.b
        sh(f"ip -n {a} link add v0 type veth peer name v0p netns {b}",
           f"ip -n {a} addr add 10.77.0.1/24 dev v0", f"ip -n {b} addr add 10.77.0.2/24 dev v0p",
           f"ip -n {a} link set v0 up", f"ip -n {b} link set v0p up",
           f"ip -n {a} link add br0 type bridge",
           f"ip -n {a} link add p1 type veth peer name p1x", f"ip -n {a} link add p2 type veth peer name p2x",
           f"ip -n {a} link set p1 master br0", f"ip -n {a} link set p2 master br0",
           f"ip -n {a} link set br0 up",
           f"ip -n {a} link add mv0 link v0 type macvlan mode bridge",
           f"ip -n {a} link add mvt0 link v0 type macvtap mode vepa",
           f"ip -n {a} link add vx0 type vxlan id 4242 dstport 4789 local 10.77.0.1 dev v0",
           f"ip -n {a} link add ifb9 type ifb",
           f"ip -n {a} tuntap add dev tun9 mode tun",
           f"tc -n {a} qdisc add dev v0 root handle 1: htb default 20",
           f"tc -n {a} class add dev v0 parent 1: classid 1:1 htb rate 100mbit",
           f"tc -n {a} class add dev v0 parent 1:1 classid 1:20 htb rate 1mbit ceil 1mbit",
           f"tc -n {a} qdisc add dev v0 parent 1:20 handle 20: pfifo limit 10")

    def exec(self, ns: str, *argv: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                              check=True, timeout=60, **kw)  # type: ignore[arg-type]

    def json(self, ns: str, *argv: str) -> object:
        import json
        return json.loads(self.exec(ns, *argv).stdout)

    def udp_flood(self, seconds: float, size: int = 1200) -> None:
        """UDP from a to b through the 1 Mbit class: the pfifo fills and drops."""
        code = ("import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                f"end=time.time()+{seconds}\n"
                f"while time.time()<end:\n s.sendto(b'x'*{size},('10.77.0.2',9))\n")
        self.exec(self.a, sys.executable, "-c", code)


@pytest.fixture
def topology(netns: Callable[[], str]) -> Topology:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
        pytest.skip("needs root and iproute2")
    return Topology(netns)


class FrozenClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def recorded_store() -> tuple[Store, ProcRoot, FrozenClock]:
    """A store filled from recorded samples: the captured 6.18 /proc files, moved
    forward over 3 s (overflows, drops, traffic), plus netlink records of a small
    topology with an htb tree whose pfifo is full. No threads, no wall clock."""
    import tempfile

    from nettop.collectors import keys
    from nettop.collectors.conn.model import Conn, ConnDetail, ConnGroup, UdpSock
    from nettop.collectors.drops.info import DropsInfo
    from nettop.collectors.nlinfo import Address, Link, Route, Routing
    from nettop.collectors.nlstats import LINK_STATS64_FIELDS, DiagSocket, TcStats
    from nettop.collectors.procfs import ProcRoot
    from nettop.collectors.sampler import Sampler, default_sources
    from nettop.collectors.store import Store
    from nettop.collectors.tiers import Cadence

    tmp = Path(tempfile.mkdtemp(prefix="nettop-rec-"))
    made_dirs.append(tmp)
    shutil.copytree(FIXTURES / "linux-6.18-host", tmp / "proc" / "net")
    sysctl = tmp / "proc" / "sys" / "net"
    for name, value in {"core/somaxconn": "4096", "core/netdev_max_backlog": "1000",
                        "core/netdev_budget": "300", "core/netdev_budget_usecs": "8000",
                        "ipv4/tcp_mem": "1000\t1500\t2000", "ipv4/udp_mem": "2000\t3000\t4000",
                        "ipv4/tcp_syncookies": "1", "ipv4/conf/all/rp_filter": "1",
                        "core/rmem_default": "212992", "core/rmem_max": "212992"}.items():
        (sysctl / name).parent.mkdir(parents=True, exist_ok=True)
        (sysctl / name).write_text(value + "\n")
    root = ProcRoot(tmp / "proc", tmp / "sys")
    clock = FrozenClock()
    store = Store(short_capacity=400, long_seconds=60)
    sources = [src for src in default_sources(root) if src.key is not keys.DROPS]  # recorded below
    sampler = Sampler(root, store, Cadence(hot=0.1, warm=0.5, cold=1.0), clock=clock, sources=sources)
    net = root.proc / "net"
    netstat0 = (net / "netstat").read_text()
    sockstat0 = (net / "sockstat").read_text()
    softnet0 = (net / "softnet_stat").read_text().splitlines()
    header, values = netstat0.splitlines()[:2]
    names = header.split()[1:]
    links = {1: Link(1, "lo", None, operstate="UNKNOWN"), 2: Link(2, "eth0", None, operstate="UP"),
             3: Link(3, "br0", "bridge", operstate="UP"), 4: Link(4, "veth1", "veth", "bridge", master=3, link=5,
                                                                  operstate="UP"),
             5: Link(5, "veth1p", "veth", link=4, operstate="UP")}
    for step in range(31):
        clock.now = 1000.0 + step * 0.1
        vals = values.split()
        vals[1 + names.index("ListenOverflows")] = str(step * 3)
        vals[1 + names.index("ListenDrops")] = str(step * 3)
        vals[1 + names.index("TCPRcvCoalesce")] = str(1000 + step * 50)
        (net / "netstat").write_text("\n".join([header, " ".join(vals), *netstat0.splitlines()[2:]]) + "\n")
        (net / "sockstat").write_text(re.sub(r"(TCP: .* mem )\d+", lambda m: f"{m.group(1)}{1100 + step * 5}",
                                             sockstat0))
        words = softnet0[0].split()
        words[1] = f"{step * 2:08x}"
        (net / "softnet_stat").write_text("\n".join([" ".join(words), *softnet0[1:]]) + "\n")
        sampler.tick()
        t = clock.now
        stats = {i: [0] * len(LINK_STATS64_FIELDS) for i in links}
        stats[2][LINK_STATS64_FIELDS.index("rx_bytes")] = 10_000_000 + step * 125_000
        stats[2][LINK_STATS64_FIELDS.index("rx_packets")] = 10_000 + step * 100
        stats[4][LINK_STATS64_FIELDS.index("tx_bytes")] = step * 50_000
        cols = tuple(f"{links[i].name}/{f}" for i in links for f in LINK_STATS64_FIELDS)
        store.record(keys.LINKS, t, (), [], links)
        store.record(keys.LINK_STATS, t, cols, [v for i in links for v in stats[i]])
        full = step % 10 in (3, 4)  # a 0.2 s burst every second; the last sample is quiet
        qd = [TcStats(1, 0, 0xFFFFFFFF, "noqueue", dev="lo"),
              TcStats(2, 0x10000, 0xFFFFFFFF, "htb", dev="eth0", bytes=step * 12_000, packets=step * 10,
                      overlimits=step * 4),
              TcStats(2, 0x200000, 0x10020, "pfifo", dev="eth0", bytes=step * 12_000, packets=step * 10,
                      drops=step * 7, backlog_bytes=12_000 if full else 0, backlog_packets=10 if full else 0,
                      options={"limit": 10})]
        cl = [TcStats(2, 0x10001, 0xFFFFFFFF, "htb", dev="eth0", bytes=step * 12_000, packets=step * 10),
              TcStats(2, 0x10020, 0x10001, "htb", dev="eth0", bytes=step * 12_000, packets=step * 10, drops=step * 7,
                      overlimits=step * 4, backlog_bytes=12_000 if full else 0, backlog_packets=10 if full else 0,
                      xstats={"lends": step, "borrows": 0, "giants": 0, "tokens": -1000, "ctokens": -1000},
                      options={"rate": 125000, "ceil": 125000})]
        for key, records in ((keys.QDISCS, qd), (keys.CLASSES, cl)):
            cols = tuple(f"{links[r.ifindex].name} {_h(r.handle)}/{f}" for r in records for f in _TC)
            store.declare(key, lambda c: c.rpartition("/")[2].startswith("backlog"))
            store.record(key, t, cols, [v for r in records for v in r.values()], records)
        socks = [DiagSocket(2, 10, "0.0.0.0:8080", min(step, 4), 3, 4242, 0),
                 DiagSocket(10, 10, "[::]:22", 0, 128, 4243, 0)]
        store.declare(keys.LISTENERS, lambda c: True)
        store.record(keys.LISTENERS, t, tuple(f"{s.local}/{f}" for s in socks for f in ("accept_queue", "backlog")),
                     [v for s in socks for v in (s.rqueue, s.wqueue)], socks)
        store.record(keys.BQL, t, ("eth0 tx-0/limit",), [3000], {"eth0": {"tx": 1, "rx": 1}})
        store.record(keys.ROUTING, t, (), [], Routing([Address(2, "192.0.2.2", 24)],
                                                     [Route("0.0.0.0", 0, "192.0.2.1", 2)]))
        drops = {"NO_SOCKET@__udp4_lib_rcv+0x4bc": 20 * step, "QDISC_DROP@__dev_xmit_skb+0x4ad": 7 * step,
                 "NOT_SPECIFIED@virtio_transport_recv_pkt+0x434": 3 * step}
        if step >= 10:  # a UDP receiver that falls behind after a second
            drops["SOCKET_RCVBUFF@__udp_enqueue_schedule_skb+0x1c2"] = 50 * (step - 9)
        store.declare(keys.DROPS, from_zero=True, max_age=3.0)  # as the sampler declares it (warm tier)
        store.record(keys.DROPS, t, tuple(drops), list(drops.values()), DropsInfo("bpf", ""))
        if step % 3 == 0:  # the connections source reads once a second, here every 0.3 s
            conns = [Conn(101, "ESTABLISHED", "192.0.2.2:40100", "198.51.100.7:443", "loadgen[311]", 48_000, 9_000,
                          2_100, 10, 7, 12, 0, 1, 3, 40 + step, 12.0, 1_250_000.0, 20_000.0, 1_300_000, 2_600_000,
                          0.0, 0.05),
                     Conn(102, "ESTABLISHED", "192.0.2.2:8080", "203.0.113.9:51000", "api[412]", 900, 300, 700,
                          40, 2_147_483_647, 0, 0, 0, 3, 0, 0.0, 9_000_000.0, 40_000.0, 9_500_000, 19_000_000,
                          0.82, 0.0),
                     Conn(103, "TIME_WAIT", "192.0.2.2:8080", "203.0.113.10:51002")]
            groups = [ConnGroup("peer", "198.51.100.7", 1, 1_250_000.0, 20_000.0, 12.0, 48_000, 2_100, 0.0, 0.05,
                                "loadgen[311]"),
                      ConnGroup("peer", "203.0.113.9", 1, 9_000_000.0, 40_000.0, 0.0, 900, 700, 0.82, 0.0, "api[412]"),
                      ConnGroup("port", ":8080", 2, 9_000_000.0, 40_000.0, 0.0, 900, 700, 0.82, 0.0, "api[412]"),
                      ConnGroup("port", "to :443", 1, 1_250_000.0, 20_000.0, 12.0, 48_000, 2_100, 0.0, 0.05,
                                "loadgen[311]"),
                      ConnGroup("process", "api[412]", 2, 9_000_000.0, 40_000.0, 0.0, 900, 700, 0.82, 0.0),
                      ConnGroup("process", "loadgen[311]", 1, 1_250_000.0, 20_000.0, 12.0, 48_000, 2_100, 0.0, 0.05)]
            udp = [UdpSock("0.0.0.0:5353", "0.0.0.0:0", "mdns[90]", 4_000 + 30 * step, 100.0, 8_192, 8_192)]
            cols = ("tcp/connections", "tcp/retrans_per_s", "tcp/send_bps", "tcp/recv_bps", "tcp/rwnd_limited",
                    "tcp/sndbuf_limited", "udp/sockets", "udp/drops_per_s")
            store.declare(keys.CONNECTIONS, lambda c: True, max_age=3.0)
            store.record(keys.CONNECTIONS, t, cols, [3, 12, 10_250_000, 60_000, 1, 0, 4, 100],
                         ConnDetail(conns, groups, udp, 3, 1.0))
        states = {"ESTABLISHED": 40 + step, "TIME_WAIT": 100 + 2 * step, "LISTEN": 2, "CLOSE_WAIT": 1}
        store.declare(keys.TCP_STATES, lambda c: True)
        store.record(keys.TCP_STATES, t, tuple(states), list(states.values()), states)
    return store, root, clock


_TC = ("bytes", "packets", "drops", "overlimits", "requeues", "backlog_bytes", "backlog_packets")


def _h(handle: int) -> str:
    from nettop.collectors.nlstats import format_handle
    return format_handle(handle)


def make_recording(path: Path, steps: int = 30) -> Path:
    """A deterministic recording: the captured /proc files moved forward, a frozen clock."""
    import tempfile

    from nettop.collectors.recording import Recorder
    from nettop.collectors.sampler import Sampler
    from nettop.collectors.store import Store
    from nettop.collectors.tiers import Cadence

    root_dir = Path(tempfile.mkdtemp(prefix="nettop-recsrc-"))
    made_dirs.append(root_dir)
    shutil.copytree(FIXTURES / "linux-6.18-host", root_dir / "proc" / "net")
    from nettop.collectors.procfs import ProcRoot

    root = ProcRoot(root_dir / "proc", root_dir / "sys")
    clock = FrozenClock(500.0)
    recorder = Recorder(path, {"host": "recorded-host", "kernel": "6.18.0-test", "netns": None, "interval": 0.1,
                               "wall_origin": 1_790_000_000.0, "monotonic_origin": 500.0}, clock=clock)
    recorder.open()
    sampler = Sampler(root, Store(short_capacity=500), Cadence(hot=0.1, warm=0.5, cold=1.0), clock=clock,
                      recorder=recorder)
    netstat = root.proc / "net" / "netstat"
    header, values = netstat.read_text().splitlines()[:2]
    rest = netstat.read_text().splitlines()[2:]
    index = 1 + header.split()[1:].index("ListenOverflows")
    for step in range(steps):
        clock.now = 500.0 + step * 0.1
        vals = values.split()
        vals[index] = str(step * 7)
        netstat.write_text("\n".join([header, " ".join(vals), *rest]) + "\n")
        sampler.tick()
    recorder.close()
    return path


def K(name: str) -> Key[Any]:
    """A source's key by name: the registered one, or a key of a test's own."""
    from nettop.collectors.keys import Key, by_name

    return by_name(name) or Key(name)
