"""A real terminal for tests: the real `nettop` in tmux, read as a person would read it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

NETTOP = f"{sys.executable} -m nettop.tui.cli"
needs_tmux = shutil.which("tmux") is not None


class Terminal:
    def __init__(self, command: str, cols: int = 80, rows: int = 24, env: dict[str, str] | None = None) -> None:
        self.session = f"nettop-t-{uuid.uuid4().hex[:8]}"
        prefix = " ".join(f"{k}={v}" for k, v in (env or {}).items())
        shell = f"{prefix} {command}; echo NETTOP-EXITED $?; sleep 60"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", str(cols), "-y", str(rows), shell],
                       check=True, env={**os.environ, "TERM": os.environ.get("TERM", "xterm-256color")})

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True, text=True,
                              check=False).stdout

    def wait_for(self, check: str | Callable[[str], bool], timeout: float) -> float:
        """Seconds until `check` (text on screen, or a test of the screen) holds; fails after timeout."""
        start = time.monotonic()
        ok = (lambda s: check in s) if isinstance(check, str) else check
        while time.monotonic() - start < timeout:
            if ok(self.screen()):
                return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"{check!r} not on screen after {timeout}s:\n{self.screen()}")

    def keys(self, *keys: str, gap: float = 0.15) -> None:
        """Each key on its own: tmux would send Escape then q as one Alt-q."""
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.session, key], check=True)
            time.sleep(gap)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], check=False, capture_output=True)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
