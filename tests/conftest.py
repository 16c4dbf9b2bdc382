from __future__ import annotations

import os
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
            subprocess.run(["ip", "netns", "del", name], check=False)
