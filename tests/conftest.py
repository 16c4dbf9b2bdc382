from __future__ import annotations

import os
import sys
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

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

    def __enter__(self) -> "LoopbackTraffic":
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
