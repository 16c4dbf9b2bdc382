#!/usr/bin/env python3
"""CPU of the real `nettop` in tmux, sampler and UI split, plus first-frame and key latency.

    python benchmarks/tui_cost.py [--seconds 60] [--size 100x30] [-- extra nettop args]

Runs `nettop` in a detached tmux session, waits for the first frame, then reads
/proc/PID/task/*/stat over `--seconds` (the sampler thread is named
"nettop-sampler"; every other thread counts as UI). First frame: from launch to
the word "Overview" on screen. Key latency: from `send-keys 3` to "Counters".
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 30) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if text in capture(session):
            return time.monotonic() - start
        time.sleep(0.005)
    raise SystemExit(f"{text!r} never appeared:\n{capture(session)}")


def threads(pid: int) -> dict[str, float]:
    """CPU seconds per thread kind (sampler or UI), summed."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        key = "sampler" if comm.startswith("nettop-sampler") else "ui"
        out[key] = out.get(key, 0.0) + cpu
    return out


def nettop_pid(session: str) -> int:
    pane_pid = int(subprocess.run(["tmux", "display", "-p", "-t", session, "#{pane_pid}"],
                                  capture_output=True, text=True, check=True).stdout)
    for _ in range(200):
        children = subprocess.run(["pgrep", "-P", str(pane_pid)], capture_output=True, text=True).stdout.split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    return pane_pid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--size", default="100x30")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    w, h = args.size.split("x")
    session = f"nettop-bench-{uuid.uuid4().hex[:6]}"
    cmd = " ".join(shlex.quote(c) for c in [sys.executable, "-m", "nettop.tui.cli", *args.extra])
    t0 = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", w, "-y", h, f"exec {cmd}"], check=True)
    try:
        first = wait_for(session, "Overview")
        time.sleep(0.1)
        pid = nettop_pid(session)
        time.sleep(5)  # past start-up: imports, first cold reads
        subprocess.run(["tmux", "send-keys", "-t", session, "3"], check=True)
        key = wait_for(session, "Counters", 5)
        subprocess.run(["tmux", "send-keys", "-t", session, "3"], check=True)  # back to the default panes
        time.sleep(1)
        before, w0 = threads(pid), time.monotonic()
        time.sleep(args.seconds)
        after, wall = threads(pid), time.monotonic() - w0
        ui = (after.get("ui", 0) - before.get("ui", 0)) / wall * 100
        sampler = (after.get("sampler", 0) - before.get("sampler", 0)) / wall * 100
        print(f"first frame: {first:.2f} s after launch (launch at {t0:.0f})")
        print(f"key '3' to Counters on screen: {key * 1000:.0f} ms")
        print(f"steady CPU over {wall:.0f} s at {args.size}: sampler {sampler:.1f}% + UI {ui:.1f}% "
              f"= {sampler + ui:.1f}% of one core")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


if __name__ == "__main__":
    main()
