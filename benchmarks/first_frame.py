#!/usr/bin/env python3
"""Time from launch to first frame: `nettop` against a bare Textual app showing one Static.

    python benchmarks/first_frame.py [--runs 5]

Both are started the same way, as `python -c ...` in a fresh tmux session of 100x30,
and timed until their text is on the screen (tmux capture-pane polled every 5 ms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid

BARE = ("from textual.app import App\nfrom textual.widgets import Static\n"
        "class Bare(App):\n    def compose(self):\n        yield Static('BARE-READY')\nBare().run()\n")
NETTOP = "from nettop.tui.cli import main\nmain([])\n"


def first_frame(code: str, marker: str) -> float:
    session = f"ff-{uuid.uuid4().hex[:6]}"
    start = time.monotonic()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                    f"{sys.executable} -c \"{code}\""], check=True)
    try:
        while time.monotonic() - start < 30:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if marker in screen:
                return time.monotonic() - start
            time.sleep(0.005)
        raise SystemExit(f"{marker} never appeared")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    keeper = f"ff-keeper-{uuid.uuid4().hex[:6]}"  # keeps one tmux server up between runs
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 600"], check=True)
    try:
        bare = [first_frame(BARE, "BARE-READY") for _ in range(args.runs)]
        ours = [first_frame(NETTOP, "Overview") for _ in range(args.runs)]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"bare Textual app (one Static): first frame {b * 1000:.0f} ms (median of {args.runs})")
    print(f"nettop:                        first frame {o * 1000:.0f} ms (median of {args.runs})")
    print(f"ratio nettop / bare: {o / b:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
