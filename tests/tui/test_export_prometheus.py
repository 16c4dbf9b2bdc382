"""A real Prometheus scrapes `nettop export` watching a namespace topology."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import Topology

pytestmark = pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs Debian's prometheus package")

LISTENER = """
import socket, time
s = socket.socket(); s.bind(("10.77.0.1", 8080)); s.listen(5)
time.sleep(60)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port: int, promql: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["data"]["result"]


def wait_for(port: int, promql: str, timeout: float = 30) -> list[dict]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            result = query(port, promql)
        except OSError:
            result = []
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"no result for {promql}")


def prometheus(tmp_path: Path, export_port: int, prom_port: int) -> subprocess.Popen[bytes]:
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nettop\n"
                      f"    static_configs:\n      - targets: ['127.0.0.1:{export_port}']\n")
    return subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@contextmanager
def stopped_at_the_end(*procs: subprocess.Popen[bytes] | subprocess.Popen[str]) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_prometheus_scrapes_counters_qdiscs_and_listeners(topology: Topology, tmp_path: Path) -> None:
    export_port, prom_port = free_port(), free_port()
    listener = subprocess.Popen(["ip", "netns", "exec", topology.a, sys.executable, "-c", LISTENER])
    export = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "export", "--netns", topology.a,
                               "--listen", f"127.0.0.1:{export_port}"], stderr=subprocess.PIPE, text=True)
    prom = prometheus(tmp_path, export_port, prom_port)
    flood = threading.Thread(target=topology.udp_flood, args=(6.0,))
    try:
        time.sleep(1.0)
        flood.start()
        up = wait_for(prom_port, 'up{job="nettop"} == 1')
        assert up[0]["metric"]["instance"] == f"127.0.0.1:{export_port}"
        drops = wait_for(prom_port, 'node_qdisc_drops_total{device="v0",kind="pfifo"} > 0')
        assert float(drops[0]["value"][1]) > 0
        peak = wait_for(prom_port, 'max_over_time(nettop_qdisc_backlog_peak_bytes{device="v0",handle="20:"}[30s]) > 0')
        assert float(peak[0]["value"][1]) > 0
        backlog = wait_for(prom_port, 'nettop_listen_backlog{local="10.77.0.1:8080"}')
        assert float(backlog[0]["value"][1]) == 5
        assert wait_for(prom_port, "node_netstat_Tcp_MaxConn")[0]["value"][1] == "-1"
        assert wait_for(prom_port, 'node_network_transmit_packets_total{device="v0"} > 0')
        assert wait_for(prom_port, 'nettop_source_up{source="qdiscs"} == 1')
        assert not query(prom_port, "nettop_source_up == 0")  # what an alert on a source would watch
    finally:
        for proc in (prom, export, listener):
            proc.terminate()
        for proc in (prom, export, listener):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if flood.is_alive():
            flood.join()


def test_a_deleted_namespace_is_an_alert_not_frozen_figures(netns: Callable[[], str], tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root")
    name = netns()
    export_port, prom_port = free_port(), free_port()
    export = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "export", "--netns", name,
                               "--listen", f"127.0.0.1:{export_port}"], stderr=subprocess.DEVNULL)
    prom = prometheus(tmp_path, export_port, prom_port)
    with stopped_at_the_end(prom, export):
        wait_for(prom_port, 'up{job="nettop"} == 1')
        wait_for(prom_port, 'nettop_source_up{source="netstat"} == 1')
        subprocess.run(["ip", "netns", "del", name], check=True)
        wait_for(prom_port, 'up{job="nettop"} == 0')  # the 503: `up == 0` is the alert
        wait_for(prom_port, 'absent(node_netstat_Tcp_MaxConn)')  # the series went stale, not frozen
        assert export.poll() is None
