"""`nettop export` as a process: --listen forms, exit codes, signals, many clients, a namespace deleted."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from nettop.tui import exitcodes


def run_export(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nettop.tui.cli", "export", *argv], capture_output=True,
                          text=True, timeout=timeout)


@contextmanager
def exporting(*argv: str, request_timeout: float = 5.0) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A running export and the URL it printed; stopped (SIGTERM, then SIGKILL) whatever happens."""
    proc = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "export", "--request-timeout",
                             str(request_timeout), "--max-connections", "32", *argv],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for _ in range(5):
            line = proc.stderr.readline()
            found = re.search(r"serving (http://\S+/metrics)", line)
            if found:
                yield proc, found.group(1)
                break
        else:
            raise AssertionError("no 'serving' line")
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scrape(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for_status(url: str, status: int, timeout: float = 15) -> bytes:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got, body = scrape(url)
        if got == status:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered {status}")


def threads_of(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_port_zero_prints_the_port_it_bound() -> None:
    with exporting("--listen", ":0") as (proc, url):
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/metrics", url) and not url.endswith(":0/metrics")
        assert wait_for_status(url, 200).count(b"nettop_source_up{") > 3
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


@pytest.mark.parametrize("listen", [":99999", "127.0.0.1:65536", "::1:9489", "[nothost]:80", "nohost", "localhost:x",
                                    "127.0.0.1:-5"])
def test_a_bad_listen_address_is_a_usage_error_in_one_line(listen: str) -> None:
    proc = run_export("--listen", listen)
    assert proc.returncode == exitcodes.USAGE
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"nettop: --listen {listen}: ")
    assert "Traceback" not in proc.stderr


def test_an_address_in_use_exits_69_in_one_line() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = run_export("--listen", f"127.0.0.1:{port}")
    assert proc.returncode == exitcodes.UNAVAILABLE
    assert proc.stderr == f"nettop: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_ipv6_loopback_and_a_warning_off_loopback() -> None:
    if not socket.has_ipv6 or not os.path.exists("/proc/net/if_inet6"):
        pytest.skip("no IPv6")
    with exporting("--listen", "[::1]:0") as (proc, url):
        assert url.startswith("http://[::1]:")
        assert wait_for_status(url, 200)
    with exporting("--listen", "0.0.0.0:0") as (proc, url):
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert proc.stderr is not None
        assert "not on loopback" not in proc.stderr.read()  # said before the serving line, not after
    proc = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "export", "--listen", "0.0.0.0:0"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("nettop: warning: http://0.0.0.0:") and "not on loopback" in first
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.parametrize("argv", [("--max-connections", "0"), ("--max-connections", "x"),
                                  ("--request-timeout", "0"), ("--request-timeout", "4000")])
def test_bad_server_limits_are_usage_errors_in_one_line(argv: tuple[str, str]) -> None:
    proc = run_export("--listen", ":0", *argv)
    assert proc.returncode == exitcodes.USAGE and proc.stderr.count("\n") == 1, proc.stderr
    assert argv[0] in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_stop_it_cleanly(sig: signal.Signals) -> None:
    with exporting("--listen", ":0") as (proc, url):
        wait_for_status(url, 200)
        idle = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1].split("/")[0])))
        try:
            proc.send_signal(sig)
            assert proc.wait(timeout=15) == 0
            assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
        finally:
            idle.close()


def test_many_clients_idle_and_slow_ones_cost_no_thread_and_are_cut_off() -> None:
    with exporting("--listen", ":0", "--interval", "0.1", request_timeout=1.0) as (proc, url):
        wait_for_status(url, 200)
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(lambda _: scrape(url)[0], range(50)))
        assert statuses == [200] * 50
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        try:
            assert scrape(url)[0] == 200  # 200 connections sending nothing (32 at most open) keep no scrape out
            assert threads_of(proc.pid) <= 3  # main (the event loop), sampler, render
            for s in idle:
                s.settimeout(10)
            closed = 0
            for s in idle[-20:]:  # the newest: not closed to make room, closed for saying nothing
                try:
                    closed += s.recv(1) == b""
                except ConnectionResetError:
                    closed += 1
            assert closed == 20
        finally:
            for s in idle:
                s.close()
        assert proc.poll() is None


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2")
    name = f"nettop-exp-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        if os.path.exists(f"/run/netns/{name}"):
            subprocess.run(["ip", "netns", "del", name], check=False)


def test_a_deleted_namespace_turns_metrics_into_503_until_stopped(namespace: str) -> None:
    with exporting("--listen", ":0", "--netns", namespace) as (proc, url):
        assert b'nettop_source_up{source="netstat"} 1.0' in wait_for_status(url, 200)
        subprocess.run(["ip", "netns", "del", namespace], check=True)
        body = wait_for_status(url, 503)
        assert f"network namespace {namespace} was deleted".encode() in body
        time.sleep(1.0)
        assert proc.poll() is None  # still there, saying so, until told to stop
        assert scrape(url)[0] == 503
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == exitcodes.UNAVAILABLE
        assert proc.stderr is not None
        assert f"network namespace {namespace} was deleted; /metrics answers 503" in proc.stderr.read()
