"""`nettop lab` scenarios end to end: each one makes `nettop doctor --netns nettop-lab` report it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import needs_ip, root_only

NETTOP = [sys.executable, "-m", "nettop.tui.cli"]
pytestmark = [root_only, needs_ip]


def doctor(ns: str, seconds: str = "3") -> tuple[int, list[dict]]:
    proc = subprocess.run([*NETTOP, "doctor", "--netns", ns, "--duration", seconds, "--json"],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, json.loads(proc.stdout)["findings"]


@pytest.mark.parametrize("scenario, expected, code", [
    ("listen-overflow", "listen-queue-full", 2),
    ("qdisc-drops", "qdisc-drops", 1),
    ("syn-flood", "syn-flood", 1),
    ("tcp-memory-pressure", "tcp-memory-pressure", 2),
])
def test_scenario_is_diagnosed_and_cleaned_up(scenario: str, expected: str, code: int) -> None:
    tcp_mem = Path("/proc/sys/net/ipv4/tcp_mem").read_text()
    lab = subprocess.Popen([*NETTOP, "lab", scenario, "--duration", "30", "--yes"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        assert lab.stdout is not None
        ready = json.loads(lab.stdout.readline())
        assert ready["ready"] and ready["netns"] == "nettop-lab" and ready["watch"] == "nettop --netns nettop-lab"
        rc, findings = doctor("nettop-lab")
        assert expected in [f["id"] for f in findings], findings
        assert rc == code
        mine = next(f for f in findings if f["id"] == expected)
        assert mine["evidence"] and mine["note"]
    finally:
        lab.send_signal(signal.SIGINT)
        out, _ = lab.communicate(timeout=30)
    assert lab.returncode == 0
    assert "deleted namespace nettop-lab" in out
    assert not Path("/run/netns/nettop-lab").exists() and not Path("/run/netns/nettop-lab-peer").exists()
    assert Path("/proc/sys/net/ipv4/tcp_mem").read_text() == tcp_mem


def test_a_quiet_namespace_reports_nothing(netns) -> None:  # type: ignore[no-untyped-def]
    rc, findings = doctor(netns(), "2")
    assert (rc, findings) == (0, []), findings


def test_host_wide_scenario_needs_yes_and_list_names_everything() -> None:
    proc = subprocess.run([*NETTOP, "lab", "tcp-memory-pressure"], capture_output=True, text=True)
    assert proc.returncode == 64 and "--yes" in proc.stderr
    listing = subprocess.run([*NETTOP, "lab", "--list"], capture_output=True, text=True, check=True).stdout
    for name in ("listen-overflow", "qdisc-drops", "syn-flood", "tcp-memory-pressure", "softnet"):
        assert name in listing
    bad = subprocess.run([*NETTOP, "lab", "no-such"], capture_output=True, text=True)
    assert bad.returncode == 64 and "--list" in bad.stderr


def test_cleanup_removes_leftovers() -> None:
    subprocess.run(["ip", "netns", "add", "nettop-lab"], check=True)
    out = subprocess.run([*NETTOP, "lab", "--cleanup"], capture_output=True, text=True, check=True).stdout
    assert "deleted namespace nettop-lab" in out and not Path("/run/netns/nettop-lab").exists()
