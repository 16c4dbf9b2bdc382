"""`nettop lab SCENARIO`: reproduce one phenomenon in namespaces of its own, for learning and tests.

Topology: namespace `nettop-lab` (watched: `nettop --netns nettop-lab`) holds lab0
10.203.0.1/24; namespace `nettop-lab-peer` holds lab1 10.203.0.2/24; a veth pair joins
them. Traffic never leaves these two namespaces, every generator is bounded in time
and count, and everything is removed on exit, on Ctrl-C and on error.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import exitcodes

LAB = "nettop-lab"
PEER = "nettop-lab-peer"
LAB_ADDR, PEER_ADDR = "10.203.0.1", "10.203.0.2"
STATE_DIR = Path("/run/nettop-lab")
TCP_MEM = Path("/proc/sys/net/ipv4/tcp_mem")
MAX_DURATION = 600.0


class LabError(RuntimeError):
    pass


def run(*argv: str) -> None:
    proc = subprocess.run(argv, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.returncode}")


def in_ns(ns: str, code: str, *args: str) -> subprocess.Popen[bytes]:
    """A bounded Python generator inside a lab namespace (argv, never a shell). `-I` isolates it: the
    caller's directory is not on its path, so a `socket.py` there does not run as root."""
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-I", "-c", code, *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def build_pair() -> None:
    for cmd in ((("ip", "netns", "add", LAB)), ("ip", "netns", "add", PEER),
                ("ip", "-n", LAB, "link", "set", "lo", "up"), ("ip", "-n", PEER, "link", "set", "lo", "up"),
                ("ip", "-n", LAB, "link", "add", "lab0", "type", "veth", "peer", "name", "lab1", "netns", PEER),
                ("ip", "-n", LAB, "addr", "add", f"{LAB_ADDR}/24", "dev", "lab0"),
                ("ip", "-n", PEER, "addr", "add", f"{PEER_ADDR}/24", "dev", "lab1"),
                ("ip", "-n", LAB, "link", "set", "lab0", "up"), ("ip", "-n", PEER, "link", "set", "lab1", "up")):
        run(*cmd)


# --- generators (run inside the namespaces) --------------------------------------------

LISTENER = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(int(sys.argv[3]))
time.sleep(float(sys.argv[4]))  # never accepts
"""

CONNECTOR = """
import socket, sys, time
host, port, seconds, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
end, socks = time.time() + seconds, []
while time.time() < end and len(socks) < limit:
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect((host, port))
    except (BlockingIOError, OSError):
        pass
    socks.append(c)
    time.sleep(0.05)
time.sleep(max(0.0, end - time.time()))
"""

UDP_FLOOD = """
import socket, sys, time
host, seconds, pps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); payload = b"x" * 1200
end, gap = time.time() + seconds, 1.0 / pps
while time.time() < end:
    try:
        u.sendto(payload, (host, 9))
    except OSError:
        pass
    time.sleep(gap)
"""

SYN_FLOOD = """
import random, socket, struct, sys, time
dst, port, seconds, pps, net = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def csum(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
d = socket.inet_aton(dst); end, gap, sent = time.time() + seconds, 1.0 / pps, 0
while time.time() < end:
    src = socket.inet_aton(net + str(random.randint(10, 250)))  # inside the lab subnet only
    sport, seq = random.randint(1024, 65000), random.getrandbits(32)
    tcp = struct.pack("!HHIIBBHHH", sport, port, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + d + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sent & 0xffff, 0, 64, 6, 0, src, d)
    raw.sendto(ip + tcp, (dst, 0)); sent += 1
    time.sleep(gap)
"""

SINK = """
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
conns, end = [], time.time() + float(sys.argv[3])
s.settimeout(0.2)
while time.time() < end:
    try:
        conns.append(s.accept()[0])  # accepted, never read: receive queues fill
    except socket.timeout:
        pass
"""

WRITER = """
import socket, sys, time
host, port, seconds, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
end, socks, chunk = time.time() + seconds, [], b"y" * 65536
for _ in range(n):
    c = socket.create_connection((host, port)); c.setblocking(False); socks.append(c)
while time.time() < end:
    for c in socks:
        try:
            c.send(chunk)
        except (BlockingIOError, OSError):
            pass
    time.sleep(0.01)
"""


# --- scenarios --------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    summary: str
    start: Callable[[float], list[subprocess.Popen[bytes]]]
    host_wide: bool = False
    expect: str = ""  # the finding `nettop doctor --netns nettop-lab` reports


def listen_overflow(seconds: float) -> list[subprocess.Popen[bytes]]:
    server = in_ns(LAB, LISTENER, LAB_ADDR, "8080", "4", str(seconds))
    time.sleep(0.3)
    return [server, in_ns(PEER, CONNECTOR, LAB_ADDR, "8080", str(seconds), "2000")]


def qdisc_drops(seconds: float) -> list[subprocess.Popen[bytes]]:
    for cmd in (("tc", "-n", LAB, "qdisc", "add", "dev", "lab0", "root", "handle", "1:", "htb", "default", "20"),
                ("tc", "-n", LAB, "class", "add", "dev", "lab0", "parent", "1:", "classid", "1:1", "htb",
                 "rate", "100mbit"),
                ("tc", "-n", LAB, "class", "add", "dev", "lab0", "parent", "1:1", "classid", "1:20", "htb",
                 "rate", "1mbit", "ceil", "1mbit"),
                ("tc", "-n", LAB, "qdisc", "add", "dev", "lab0", "parent", "1:20", "handle", "20:", "pfifo",
                 "limit", "20")):
        run(*cmd)
    return [in_ns(LAB, UDP_FLOOD, PEER_ADDR, str(seconds), "1000")]


def syn_flood(seconds: float) -> list[subprocess.Popen[bytes]]:
    run("ip", "netns", "exec", LAB, "sysctl", "-q", "-w", "net.ipv4.tcp_syncookies=1")
    server = in_ns(LAB, LISTENER, LAB_ADDR, "8080", "16", str(seconds))
    time.sleep(0.3)
    return [server, in_ns(PEER, SYN_FLOOD, LAB_ADDR, "8080", str(seconds), "500", "10.203.0.")]


def tcp_memory_pressure(seconds: float) -> list[subprocess.Popen[bytes]]:
    original = TCP_MEM.read_text().split()
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    (STATE_DIR / "tcp_mem.saved").write_text(" ".join(original) + "\n")
    used = _tcp_pages()
    # a few hundred pages above today's use: the lab's unread receive queues cross it in seconds
    TCP_MEM.write_text(f"{used + 64} {used + 256} {used + 4096}\n")
    sink = in_ns(LAB, SINK, LAB_ADDR, "9000", str(seconds))
    time.sleep(0.3)
    return [sink, in_ns(PEER, WRITER, LAB_ADDR, "9000", str(seconds), "32")]


def _tcp_pages() -> int:
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            words = line.split()
            return int(words[words.index("mem") + 1])
    return 0


SCENARIOS = {s.name: s for s in (
    Scenario("listen-overflow", "a listener with backlog 4 that never accepts, and a stream of clients",
             listen_overflow, expect="listen-queue-full"),
    Scenario("qdisc-drops", "an htb class of 1 Mbit with a 20-packet pfifo, flooded with UDP", qdisc_drops,
             expect="qdisc-drops"),
    Scenario("syn-flood", "500 SYN/s from addresses inside the lab subnet that never complete", syn_flood,
             expect="syn-flood"),
    Scenario("tcp-memory-pressure", "lowers the host's tcp_mem for the run (restored on exit) and fills receive "
             "queues nobody reads", tcp_memory_pressure, host_wide=True, expect="tcp-memory-pressure"),
)}


def restore_tcp_mem() -> bool:
    saved = STATE_DIR / "tcp_mem.saved"
    if not saved.exists():
        return False
    TCP_MEM.write_text(saved.read_text())
    saved.unlink()
    with contextlib.suppress(OSError):  # an empty /run/nettop-lab is not left behind
        STATE_DIR.rmdir()
    _wait_pressure_gone(PRESSURE_SETTLE_SECONDS)
    return True


# TCP leaves memory-pressure mode on the next accounting step below `low`, not when the
# knob changes; the lab waits for that so it hands back a host that is not in pressure.
PRESSURE_SETTLE_SECONDS = 10.0


def _tcp_in_pressure() -> bool:
    for line in Path("/proc/net/protocols").read_text().splitlines():
        words = line.split()
        if words and words[0] == "TCP":
            return words[4] == "yes"
    return False


def _wait_pressure_gone(seconds: float) -> None:
    """The flag is cleared when some TCP socket gives memory back below `low`: a small
    exchange on loopback gives the kernel that chance."""
    end = time.monotonic() + seconds
    while _tcp_in_pressure() and time.monotonic() < end:
        _loopback_exchange()
        time.sleep(0.1)


def _loopback_exchange() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname(), timeout=1) as client:
        peer, _ = server.accept()
        with peer:
            client.sendall(b"z" * 65536)
            received = 0
            while received < 65536:
                chunk = peer.recv(65536)
                if not chunk:
                    break
                received += len(chunk)


def cleanup() -> list[str]:
    """Remove whatever a lab left behind: its namespaces, and a lowered tcp_mem."""
    done = []
    for ns in (LAB, PEER):
        if (Path("/run/netns") / ns).exists():
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
            done.append(f"deleted namespace {ns}")
    if restore_tcp_mem():
        done.append("restored net.ipv4.tcp_mem")
    with contextlib.suppress(OSError):
        STATE_DIR.rmdir()  # only when empty
    return done


@dataclass
class Lab:
    scenario: Scenario
    seconds: float
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, say: Callable[[str], None]) -> int:
        stop = {"now": False}

        def on_signal(_signum: int, _frame: object) -> None:
            stop["now"] = True

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            cleanup()
            build_pair()
            self.procs = self.scenario.start(self.seconds)
            say(json.dumps({"ready": True, "scenario": self.scenario.name, "netns": LAB,
                            "watch": f"nettop --netns {LAB}", "doctor": f"nettop doctor --netns {LAB}",
                            "seconds": self.seconds}))
            end = time.monotonic() + self.seconds
            while not stop["now"] and time.monotonic() < end:
                time.sleep(0.1)
            return 0
        finally:
            for p in self.procs:
                p.kill()
                p.wait()
            for line in cleanup():
                say(line)
            for s, handler in old.items():
                signal.signal(s, handler)


def list_scenarios() -> int:
    for s in SCENARIOS.values():
        print(f"{s.name:22} {s.summary}{'  [host-wide: needs --yes]' if s.host_wide else ''}")
    print("softnet                (not offered: this VM cannot overflow a CPU backlog reliably)")
    print("\nrun one with `nettop lab SCENARIO` (root), watch it with `nettop --netns nettop-lab`")
    return exitcodes.OK


def main(name: str | None, seconds: float, yes: bool, list_only: bool, clean: bool) -> int:
    if list_only or (name is None and not clean):
        return list_scenarios()
    if os.geteuid() != 0:
        print("nettop lab: needs root (it creates network namespaces)", file=sys.stderr)
        return exitcodes.NO_PERMISSION
    if clean:
        for line in cleanup() or ["nothing to clean up"]:
            print(line)
        return exitcodes.OK
    if name not in SCENARIOS:
        print(f"nettop lab: unknown scenario {name!r}; `nettop lab --list` lists them", file=sys.stderr)
        return exitcodes.USAGE
    scenario = SCENARIOS[name]
    if scenario.host_wide and not yes:
        print(f"nettop lab: {name} changes the host-wide net.ipv4.tcp_mem for the run (restored on exit); "
              f"add --yes to go ahead", file=sys.stderr)
        return exitcodes.USAGE
    seconds = min(max(seconds, 1.0), MAX_DURATION)
    print(f"nettop lab {name}: {scenario.summary}; {seconds:.0f} s, Ctrl-C stops early", file=sys.stderr)
    try:
        return Lab(scenario, seconds).run(lambda line: print(line, flush=True))
    except LabError as exc:
        print(f"nettop lab: {exc}", file=sys.stderr)
        return exitcodes.UNAVAILABLE
