"""Reading procfs and sysfs files: one root for both, descriptors kept open.

The kernel regenerates a /proc file on every read from offset 0, so a file is
opened once and re-read with `pread`. A read returns at most about one page for
many seq_files (/proc/net/dev with 200 links needs several), so we read until EOF.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceUnavailable

_CHUNK = 65536


@dataclass(frozen=True)
class ProcRoot:
    """Where procfs and sysfs are mounted, and whose network namespace to read.

    `pid` selects `/proc/<pid>/net/...`, which shows that process's network
    namespace without entering it. Sysctls under /proc/sys always describe the
    namespace of the reading thread, so they are only read for `pid is None`.
    A sampler thread that entered another namespace reads /proc/thread-self/net:
    /proc/self/net would show the main thread's namespace.
    """

    proc: Path = Path("/proc")
    sys: Path = Path("/sys")
    pid: int | None = None
    thread_self: bool = False  # the reading thread has entered another namespace

    @property
    def task(self) -> Path:
        """The /proc directory whose `net` and `ns` describe the namespace read."""
        if self.pid is not None:
            return self.proc / str(self.pid)
        return self.proc / ("thread-self" if self.thread_self else "self")

    def net(self, name: str) -> Path:
        if self.pid is None and not self.thread_self:
            return self.proc / "net" / name
        return self.task / "net" / name

    @property
    def live(self) -> bool:
        """True when this is the running kernel's procfs, which netlink also describes."""
        return self.proc.resolve() == Path("/proc")

    def sysctl(self, name: str) -> Path:
        """Path of a sysctl given as `net.core.somaxconn`; `/` in a part stands for `.`."""
        parts = [p.replace("/", ".") for p in name.split(".")]
        return self.proc.joinpath("sys", *parts)


def describe_os_error(exc: OSError) -> str:
    """A short reason for the sources table: 'absent', 'permission denied', ..."""
    if exc.errno == errno.ENOENT:
        return f"absent: {exc.filename}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {exc.filename}"
    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"{name}: {exc.strerror or exc} ({exc.filename})"


class ProcFile:
    """An open /proc or /sys file re-read from offset 0 on each call."""

    def __init__(self, path: Path, chunk: int = _CHUNK) -> None:
        self.path = path
        self._chunk = chunk
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc

    def read(self) -> bytes:
        """The whole file as the kernel generates it now."""
        self.open()
        assert self._fd is not None
        try:
            first = os.pread(self._fd, self._chunk, 0)
            chunks = [first]
            offset = len(first)
            while True:
                more = os.pread(self._fd, self._chunk, offset)
                if not more:
                    break
                chunks.append(more)
                offset += len(more)
        except OSError as exc:
            self.close()
            raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc
        return first if len(chunks) == 1 else b"".join(chunks)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ProcFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_small(path: Path, size: int = 256) -> str:
    """Read a sysctl-sized file with a small buffer (the kernel allocates what we ask)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc
    try:
        chunks = []
        while True:
            b = os.read(fd, size)
            if not b:
                break
            chunks.append(b)
    except OSError as exc:
        raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")
