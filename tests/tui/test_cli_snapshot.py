"""`nettop snapshot` end to end, against iproute2's nstat and sysfs on the same host."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, needs_ip, root_only
from nettop.tui import exitcodes

NETTOP = [sys.executable, "-m", "nettop.tui.cli"]


def run_nettop(*args: str, check: bool = True, netns: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = ([ "ip", "netns", "exec", netns] if netns else []) + NETTOP + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return proc


def snapshot(*args: str, netns: str | None = None) -> dict[str, Any]:
    return json.loads(run_nettop("snapshot", *args, netns=netns).stdout)


def nstat() -> dict[str, int]:
    # the text output: iproute2 6.1's --json prints values modulo 2**32
    out = subprocess.run(["nstat", "-asz"], capture_output=True, text=True, check=True).stdout
    return {name: int(value) for name, value, *_ in (line.split() for line in out.splitlines()[1:])}


def sys_stats(dev: str) -> dict[str, int]:
    base = Path("/sys/class/net") / dev / "statistics"
    return {p.name: int(p.read_text()) for p in base.iterdir()}


@pytest.mark.skipif(shutil.which("nstat") is None, reason="needs nstat (iproute2)")
def test_counters_lie_between_nstat_before_and_after(loopback_traffic) -> None:  # type: ignore[no-untyped-def]
    with loopback_traffic():
        before = nstat()
        sys_before = sys_stats("lo")
        snap = snapshot("--duration", "1", "--interval", "0.05")
        after = nstat()
        sys_after = sys_stats("lo")
    compared = 0
    for name, entry in snap["counters"].items():
        section = name.split(".")[0]
        key = name.replace(".", "")
        if section not in ("TcpExt", "Tcp", "Ip", "IpExt") or entry.get("gauge") or key not in before:
            continue
        assert before[key] <= entry["value"] <= after[key], name
        compared += 1
    assert compared > 100
    assert snap["counters"]["Tcp.OutSegs"]["delta"] > 0
    assert snap["counters"]["Tcp.OutSegs"]["rate"] > 0
    lo = snap["interfaces"]["lo"]
    for field, sysfs in (("rx_bytes", "rx_bytes"), ("tx_packets", "tx_packets"), ("rx_dropped", "rx_dropped")):
        assert sys_before[sysfs] <= lo[field] <= sys_after[sysfs], field
    # the stream ran through the whole sample: the byte rate must be real, not a spike
    assert 0 < lo["rates"]["rx_bytes"] <= (sys_after["rx_bytes"] - sys_before["rx_bytes"]) / 0.5


def test_snapshot_document_shape() -> None:
    snap = snapshot("--duration", "0.3")
    assert snap["schema"] == "nettop.snapshot/2"
    assert 0.2 <= snap["duration_s"] <= 0.5
    assert snap["host"]["kernel"] == os.uname().release
    for source in ("netstat", "snmp", "snmp6", "protocols", "sockstat", "sockstat6", "softnet_stat", "link_stats"):
        assert snap["sources"][source]["ok"] is True, source
    # /proc/net/dev stands by while netlink's link stats carry the same counters: never both read
    assert snap["sources"]["dev"]["state"] == "not applicable" and "link_stats" in snap["sources"]["dev"]["error"]
    assert snap["sampling"]["gauges_hz"] and snap["sampling"]["counter_interval_s"] >= 0.1
    assert set(snap["tcp_mem"]) == {"low", "pressure", "high"}
    assert snap["protocols"]["TCP"]["press"] in ("yes", "no")
    assert snap["softnet"][0]["cpu"] == 0
    assert "net.core.somaxconn" in snap["sysctls"]
    assert snap["sysctls"]["net.core.somaxconn"] == Path("/proc/sys/net/core/somaxconn").read_text().strip()
    assert "Ip6.InReceives" in snap["counters"]


@root_only
@needs_ip
def test_inside_a_child_namespace_global_knobs_are_explained(netns) -> None:  # type: ignore[no-untyped-def]
    ns = netns()
    snap = snapshot("--duration", "0", netns=ns)
    assert list(snap["interfaces"]) == ["lo"]
    assert snap["tcp_mem"] is None
    assert snap["sources"]["tcp_mem"]["ok"] is False
    assert "child network namespace" in snap["sources"]["tcp_mem"]["error"]
    assert "net.core.netdev_max_backlog" in snap["sysctls_absent"]
    assert "net.core.somaxconn" in snap["sysctls"]  # per-namespace knob still read
    text = run_nettop("snapshot", "--duration", "0", "--format", "text", netns=ns).stdout
    assert "limits unavailable: global knob" in text


def test_text_format_hides_zero_rows_unless_all() -> None:
    short = run_nettop("snapshot", "--duration", "0", "--format", "text").stdout
    full = run_nettop("snapshot", "--duration", "0", "--format", "text", "--all").stdout
    assert "== Counters" in short and "== Sysctls" in short
    assert "TcpExt.SyncookiesFailed" not in short or "TcpExt.SyncookiesFailed" in full
    assert len(full.splitlines()) > len(short.splitlines())
    assert "TcpExt.SyncookiesFailed" in full


def test_output_file_is_private_atomic_and_not_clobbered(tmp_path: Path) -> None:
    out = tmp_path / "run1.json"
    run_nettop("snapshot", "--duration", "0", "-o", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    first = out.read_bytes()
    assert json.loads(first)["schema"] == "nettop.snapshot/2"
    again = run_nettop("snapshot", "--duration", "0", "-o", str(out), check=False)
    assert again.returncode == exitcodes.CANT_CREATE and "--force" in again.stderr
    assert out.read_bytes() == first
    run_nettop("snapshot", "--duration", "0", "-o", str(out), "--force")
    assert out.read_bytes() != first
    assert [p.name for p in tmp_path.iterdir()] == ["run1.json"]  # no temp file left behind


def test_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_nettop("snapshot", "--duration", "0", "-o", str(tmp_path / "missing" / "x.json"), check=False)
    assert proc.returncode == exitcodes.CANT_CREATE
    assert "cannot write" in proc.stderr and "missing" in proc.stderr


def test_procfs_root_of_fixture_files(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    shutil.copytree(FIXTURES / "linux-6.18-netns", proc / "net")
    (proc / "net" / "softnet_stat").write_bytes((FIXTURES / "variants/softnet_stat-9col").read_bytes())
    snap = snapshot("--duration", "0", "--procfs", str(proc), "--sysfs", str(tmp_path / "sys"))
    expected = (FIXTURES / "linux-6.18-netns/netstat").read_text().splitlines()
    names, values = expected[0].split()[1:], expected[1].split()[1:]
    assert snap["counters"]["TcpExt." + names[10]]["value"] == int(values[10])
    assert len(snap["softnet"]) == 4
    assert snap["sources"]["sysctl"]["ok"] is True and snap["sysctls"] == {}
    assert snap["sources"]["tcp_mem"]["ok"] is False


def test_bad_procfs_root_and_bad_arguments() -> None:
    proc = run_nettop("snapshot", "--procfs", "/nonexistent-root", check=False)
    assert proc.returncode == exitcodes.USAGE and "not a directory" in proc.stderr
    proc = run_nettop("snapshot", "--interval", "0", check=False)
    assert proc.returncode == exitcodes.USAGE and "greater than 0" in proc.stderr


def test_version() -> None:
    assert run_nettop("--version").stdout.startswith("nettop ")


@root_only
@needs_ip
def test_snapshot_of_a_namespace_with_netns_option(topology) -> None:  # type: ignore[no-untyped-def]
    snap = snapshot("--duration", "0.2", "--netns", topology.a)
    assert snap["netns"]["spec"] == topology.a and snap["netns"]["gone"] is None
    assert snap["interfaces"]["v0"]["kind"] == "veth" and snap["interfaces"]["br0"]["kind"] == "bridge"
    assert snap["interfaces"]["p1"]["master"] == "br0"
    assert {q["handle"] for q in snap["qdiscs"] if q["dev"] == "v0"} == {"1:", "20:"}
    # global knobs are read through files opened before entering the namespace: the host's values
    host_tcp_mem = Path("/proc/sys/net/ipv4/tcp_mem").read_text().split()
    assert [str(snap["tcp_mem"][k]) for k in ("low", "pressure", "high")] == host_tcp_mem
    assert "net.ipv4.tcp_mem" in snap["sysctls_from_host"] and not snap["sysctls_absent"]
    assert snap["sources"]["bql"]["state"] == "not applicable" and topology.a in snap["sources"]["bql"]["error"]
    assert "eth0" not in snap["interfaces"]  # the host's devices stay out
    text = run_nettop("snapshot", "--duration", "0", "--netns", topology.a, "--format", "text").stdout
    assert "v0" in text and "Qdiscs" in text


@pytest.mark.parametrize("spec, message", [("no-such-ns-xyz", "no such namespace"),
                                           ("pid:abc", "expected pid:PID"),
                                           ("pid:999999999", "no process"),
                                           ("../etc", "not a namespace name")])
def test_bad_netns_is_a_clear_error(spec: str, message: str) -> None:
    proc = run_nettop("snapshot", "--netns", spec, check=False)
    assert proc.returncode == exitcodes.USAGE and message in proc.stderr


@root_only
@needs_ip
def test_netns_by_pid(topology) -> None:  # type: ignore[no-untyped-def]
    holder = subprocess.Popen(["ip", "netns", "exec", topology.b, "sleep", "30"])
    try:
        import time
        time.sleep(0.2)
        snap = snapshot("--duration", "0", "--netns", f"pid:{holder.pid}")
        assert snap["netns"]["pid"] == holder.pid
        assert "v0p" in snap["interfaces"] and "v0" not in snap["interfaces"]
        assert "orphans" in snap["tcp_states"]
    finally:
        holder.kill()
        holder.wait()
