"""Which process owns a socket: inode -> (pid, name), best effort, cached.

Scanning every /proc/PID/fd is costly, so it happens only when a socket inode
is not in the cache yet, and at most once per `min_interval` seconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


class SocketOwners:
    def __init__(self, proc: Path = Path("/proc"), min_interval: float = 5.0) -> None:
        self.proc = proc
        self.min_interval = min_interval
        self._cache: dict[int, tuple[int, str]] = {}
        self._last_scan = float("-inf")
        self.version = 0  # changes whenever what is known changes

    def known(self, inodes: list[int]) -> dict[int, tuple[int, str]]:
        """Every owner known after resolving what is missing among `inodes` (rate-limited like
        lookup): the cache itself, not a copy, for a caller with thousands of sockets."""
        missing = [i for i in inodes if i and i not in self._cache]
        if missing and time.monotonic() - self._last_scan >= self.min_interval:
            self._scan(set(missing))
        return self._cache

    def lookup(self, inodes: list[int]) -> dict[int, tuple[int, str]]:
        missing = [i for i in inodes if i and i not in self._cache]
        if missing and time.monotonic() - self._last_scan >= self.min_interval:
            self._scan(set(missing))
        return {i: self._cache[i] for i in inodes if i in self._cache}

    def retain(self, inodes: list[int]) -> None:
        """Forget sockets that are gone: on a host that opens and closes connections all day
        the cache would otherwise grow without end."""
        if len(self._cache) > 2 * len(inodes) + 1024:
            keep = set(inodes)
            self._cache = {i: v for i, v in self._cache.items() if i in keep}
            self.version += 1

    def _scan(self, wanted: set[int]) -> None:
        import psutil  # ~10 ms to import: not on the way to the first frame

        self._last_scan = time.monotonic()
        self.version += 1
        for pid in psutil.pids():
            fd_dir = self.proc / str(pid) / "fd"
            try:
                fds = os.listdir(fd_dir)
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd_dir / fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inode = int(target[8:-1])
                    if inode in wanted:
                        self._cache[inode] = (pid, _name(pid))
                        wanted.discard(inode)
            if not wanted:
                return


def _name(pid: int) -> str:
    import psutil

    try:
        return psutil.Process(pid).name()
    except psutil.Error:
        return "?"
