"""Network-namespace helpers for the tests and the benchmark (root only).

Traffic goes only to loopback or to addresses inside namespaces made here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

UDP_SENDER = """
import socket, sys, time
host, port, count, size, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
payload, start, sent = b"x" * size, time.monotonic(), 0
while sent < count and time.monotonic() - start < seconds:
    try:
        s.sendto(payload, (host, port))
    except OSError:
        pass
    sent += 1
    if rate and sent % 100 == 0:
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
print(sent)
"""


def run(*cmd: str, timeout: float = 60) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout


@contextmanager
def netns(count: int = 1) -> Iterator[list[str]]:
    """Create `count` namespaces named nettop-bpf-<uuid8> with lo up; always deleted."""
    names = [f"nettop-drop-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    made: list[str] = []
    try:
        for ns in names:
            run("ip", "netns", "add", ns)
            made.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        yield names
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def in_ns(ns: str, code: str, *args: str, timeout: float = 60) -> str:
    return run("ip", "netns", "exec", ns, sys.executable, "-c", code, *args, timeout=timeout)


def udp_send(ns: str, host: str, port: int, count: int, size: int = 1, seconds: float = 30,
             rate: float = 0) -> int:
    return int(in_ns(ns, UDP_SENDER, host, str(port), str(count), str(size), str(seconds), str(rate),
                     timeout=seconds + 30))


def _proc_table(ns: str, path: str, section: str) -> dict[str, int]:
    """Read a /proc/net/{snmp,netstat} section as seen inside a namespace."""
    lines = [ln.split() for ln in run("ip", "netns", "exec", ns, "cat", path).splitlines()]
    rows = [ln for ln in lines if ln and ln[0] == section + ":"]
    return dict(zip(rows[0][1:], map(int, rows[1][1:]), strict=True))


def snmp(ns: str, section: str, field: str) -> int:
    return _proc_table(ns, "/proc/net/snmp", section)[field]


def netstat(ns: str, section: str, field: str) -> int:
    return _proc_table(ns, "/proc/net/netstat", section)[field]


def veth_pair(ns_a: str, ns_b: str, addr_a: str, addr_b: str, prefix: int = 30) -> tuple[str, str]:
    """veth va (in ns_a) <-> vb (in ns_b) with addresses and a static neighbour (no ARP)."""
    run("ip", "link", "add", "name", "va", "netns", ns_a, "type", "veth", "peer", "name", "vb", "netns", ns_b)
    for ns, dev, addr in ((ns_a, "va", addr_a), (ns_b, "vb", addr_b)):
        run("ip", "-n", ns, "addr", "add", f"{addr}/{prefix}", "dev", dev)
        run("ip", "-n", ns, "link", "set", dev, "up")
    mac_b = json.loads(run("ip", "-n", ns_b, "-j", "link", "show", "vb"))[0]["address"]
    run("ip", "-n", ns_a, "neigh", "replace", addr_b, "lladdr", mac_b, "dev", "va", "nud", "permanent")
    return "va", "vb"


def qdisc_drops(ns: str, dev: str, handle: str) -> int:
    for q in json.loads(run("tc", "-n", ns, "-s", "-j", "qdisc", "show", "dev", dev)):
        if q.get("handle") == handle:
            return int(q["drops"])
    raise KeyError(handle)


def bpf_objects(kind: str) -> list[tuple[int, str]]:
    """Every BPF program (`kind` "prog") or map ("map") loaded on the host: (id, name), read with
    the bpf() syscall itself (BPF_*_GET_NEXT_ID, GET_FD_BY_ID, OBJ_GET_INFO_BY_FD), so the check
    needs no bpftool."""
    import ctypes
    import os
    import struct

    from nettop.collectors.drops.bpfsys import bpf

    next_id, fd_by_id, name_at = (11, 13, 64) if kind == "prog" else (12, 14, 24)
    out: list[tuple[int, str]] = []
    current = 0
    while True:
        attr = ctypes.create_string_buffer(struct.pack("=II", current, 0), 8)
        try:
            bpf(next_id, attr)
        except FileNotFoundError:
            return out
        current = struct.unpack_from("=II", attr)[1]
        try:
            fd = bpf(fd_by_id, ctypes.create_string_buffer(struct.pack("=III", current, 0, 0), 12))
        except OSError:
            continue  # freed meanwhile
        try:
            info = ctypes.create_string_buffer(256)
            bpf(15, ctypes.create_string_buffer(struct.pack("=IIQ", fd, 256, ctypes.addressof(info)), 16))
            out.append((current, info.raw[name_at:name_at + 16].split(b"\0")[0].decode(errors="replace")))
        finally:
            os.close(fd)
