"""The real `nettop` in a real terminal (tmux): first frame, a pane switch, `s`, `q`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if text in capture(session):
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{capture(session)}")


def keys(session: str, *k: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *k], check=True)


def test_real_nettop_in_tmux(tmp_path: Path) -> None:
    session = f"nettop-test-{uuid.uuid4().hex[:6]}"
    cmd = f"{sys.executable} -m nettop.tui.cli --snapshot-dir {tmp_path}; echo NETTOP-EXITED; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd], check=True)
    try:
        wait_for(session, "Overview", 20)
        wait_for(session, "sampling", 5)
        screen = capture(session)
        assert "Qdiscs and classes" in screen and "Sockets" in screen
        keys(session, "3")
        wait_for(session, "Counters", 5)
        keys(session, "s")
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob("nettop-*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        files = list(tmp_path.glob("nettop-*.json"))
        assert len(files) == 1
        wait_for(session, "snapshot written", 5)
        keys(session, "q")
        assert wait_for(session, "NETTOP-EXITED", 2.0) <= 2.0
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
