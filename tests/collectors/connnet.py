"""Throwaway network namespaces for the connection tests (names nettop-conn-<uuid8>), and sockets
and sock_diag dumpers made inside them without moving the test's own thread."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from nettop.collectors.conn.dumper import ConnDumper

T = TypeVar("T")

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def in_ns(ns: str, *args: str) -> str:
    return sh("ip", "netns", "exec", ns, *args)


def new_name() -> str:
    return f"nettop-conn-{uuid.uuid4().hex[:8]}"


@contextlib.contextmanager
def namespaces(count: int) -> Iterator[list[str]]:
    """`count` fresh namespaces with lo up, deleted on exit whatever happens."""
    names: list[str] = []
    try:
        for _ in range(count):
            name = new_name()
            sh("ip", "netns", "add", name)
            names.append(name)
            in_ns(name, "ip", "link", "set", "lo", "up")
        yield names
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def veth_pair(ns_a: str, ns_b: str, addr_a: str = "10.77.0.1", addr_b: str = "10.77.0.2") -> None:
    """ns_a:veth0 (addr_a/24) <-> ns_b:veth0 (addr_b/24)."""
    tmp = f"vc{uuid.uuid4().hex[:8]}"
    sh("ip", "link", "add", tmp + "a", "netns", ns_a, "type", "veth", "peer", "name", tmp + "b", "netns", ns_b)
    for ns, dev, addr in ((ns_a, tmp + "a", addr_a), (ns_b, tmp + "b", addr_b)):
        in_ns(ns, "ip", "link", "set", dev, "name", "veth0")
        in_ns(ns, "ip", "addr", "add", addr + "/24", "dev", "veth0")
        in_ns(ns, "ip", "link", "set", "veth0", "up")


def spawn(ns: str, args: Sequence[str]) -> subprocess.Popen[str]:
    """A Python helper in ns, stdin kept open (closing it ends a holder)."""
    return subprocess.Popen(["ip", "netns", "exec", ns, PYTHON, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=HERE)


def wait_line(proc: subprocess.Popen[str], prefix: str) -> str:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"helper exited before printing {prefix!r}")
        if line.startswith(prefix):
            return line


def stop(procs: Sequence[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.stdin is not None:
            proc.stdin.close()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ns_socket(ns: str, family: int, kind: int) -> socket.socket:
    """A socket made inside namespace ns (it stays there); the caller's thread does not move."""
    import threading

    out: list[object] = []

    def run() -> None:
        try:
            enter_netns(ns)
            out.append(socket.socket(family, kind))
        except OSError as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(out[0], BaseException):
        raise out[0]
    assert isinstance(out[0], socket.socket)
    return out[0]


def ss(ns: str, *args: str) -> str:
    """`ss ARGS` run straight inside ns."""
    return subprocess.run(["ss", *args], check=True, capture_output=True, text=True,
                          preexec_fn=lambda: enter_netns(ns)).stdout


def enter_netns(netns: str) -> None:
    """Moves the calling thread into a network namespace."""
    import ctypes
    import os

    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            err = ctypes.get_errno()
            raise OSError(err, f"setns {netns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def made_in(ns: str, make: Callable[[], T]) -> T:
    """What `make` returns, called by a short-lived thread inside ns: a socket stays there."""
    import threading

    out: list[object] = []

    def run() -> None:
        try:
            enter_netns(ns)
            out.append(make())
        except BaseException as exc:  # noqa: BLE001  # re-raised in the caller's thread
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]  # type: ignore[return-value]


def dumper_in(ns: str) -> ConnDumper:
    return made_in(ns, ConnDumper)
