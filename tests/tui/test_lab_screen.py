"""Each `nettop lab` scenario as an operator on an 80x24 SSH session sees it: its finding on screen
within 3 s of the first frame, still there whatever panes are shown; then the namespace is deleted
and within 3 s no stage reads as if live and the screen says the figures are stale."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest

from conftest import needs_ip, root_only
from terminal import NETTOP, Terminal, needs_tmux

pytestmark = [root_only, needs_ip, pytest.mark.skipif(not needs_tmux, reason="needs tmux")]
# a funnel row: `┃ qdiscs   DROP   drops 70/s ...` (the Sockets pane's `│TCP  ESTABLISHED` is not one)
STAGES = re.compile(r"^\W (NIC|softnet|qdiscs|TCP|memory) +(ok|WARN|DROP|CRIT|\?|n/a) ", re.MULTILINE)


def stage_states(screen: str) -> list[str]:
    return [m.group(2) for m in STAGES.finditer(screen)]


@pytest.mark.parametrize(("scenario", "marker"), [
    ("listen-overflow", " CRIT  accept queue of 10.203.0.1:8080 full"),
    ("qdisc-drops", " WARN  qdisc lab0 20: (pfifo) drops"),
    ("syn-flood", " WARN  SYN queue overflowing"),
    ("tcp-memory-pressure", " CRIT  TCP is in memory pressure"),
])
def test_the_scenario_is_in_sight_and_goes_stale_with_its_namespace(scenario: str, marker: str) -> None:
    lab = subprocess.Popen([sys.executable, "-m", "nettop.tui.cli", "lab", scenario, "--duration", "40", "--yes"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert lab.stdout is not None and json.loads(lab.stdout.readline())["ready"]
        with Terminal(f"{NETTOP} --netns nettop-lab", 80, 24, env={"TERM": "xterm"}) as term:
            term.wait_for("Overview", 15)
            shown = term.wait_for(marker, 3.0)
            print(f"{scenario}: finding on screen {shown:.2f} s after the first frame")
            term.keys("3")
            term.wait_for("Counters", 3)
            assert marker in term.screen()
            term.keys("2", "5", "6", "8")
            term.wait_for("Sysctls", 3)
            assert marker in term.screen()
            term.keys("2", "3", "5", "6", "8")  # back to the default panes: the funnel is readable
            term.wait_for(lambda s: "Sysctls" not in s, 3)
            subprocess.run(["ip", "netns", "del", "nettop-lab"], check=True)
            took = term.wait_for(lambda s: "STALE" in s and set(stage_states(s)) <= {"?"} and bool(stage_states(s)), 10.0)
            assert took <= 3.0
            print(f"{scenario}: stale {took:.2f} s after the namespace was deleted")
            screen = term.screen()
            assert "network namespace nettop-lab was deleted" in screen
            assert stage_states(screen) and set(stage_states(screen)) == {"?"}
    finally:
        lab.send_signal(signal.SIGINT)
        lab.communicate(timeout=30)
    assert lab.returncode == 0
