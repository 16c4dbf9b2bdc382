"""Reading procfs and sysfs files: one root for both, descriptors kept open.

The kernel regenerates a /proc file on every read from offset 0, so a file is
opened once and re-read with `pread`. A read returns at most about one page for
many seq_files (/proc/net/dev with 200 links needs several), so we read until EOF.

Every file is opened non-blocking and must be a regular file (procfs and sysfs
files are, of size 0 or 4096): a FIFO, a device or a directory put in a file's
place is refused with its kind and path instead of hanging the sampler. A file
larger than MAX_FILE_BYTES is refused too; none of the kernel's comes close.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import NotRegularFile, SourceUnavailable

_CHUNK = 65536
MAX_FILE_BYTES = 16 << 20  # /proc/net/dev of 100k links is about 14 MiB
MAX_SMALL_BYTES = 65536  # a sysctl or a sysfs attribute
_OPEN_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY


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


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: Path) -> int:
    """A descriptor on the regular file `path`, opened without blocking (opening a FIFO
    blocks until a writer comes); SourceUnavailable or NotRegularFile with the reason."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise NotRegularFile(errno.EISDIR, describe_os_error(IsADirectoryError(
                errno.EISDIR, os.strerror(errno.EISDIR), str(path))))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"{_kind(mode)}, not a regular file: {path}")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _too_big(path: Path, limit: int) -> SourceUnavailable:
    return SourceUnavailable(errno.EFBIG, f"larger than {limit} bytes, not a kernel file: {path}")


class ProcFile:
    """An open /proc or /sys file re-read from offset 0 on each call."""

    def __init__(self, path: Path, chunk: int = _CHUNK, limit: int = MAX_FILE_BYTES) -> None:
        self.path = path
        self._chunk = chunk
        self._limit = limit
        self._fd: int | None = None

    def open(self) -> None:
        if self._fd is None:
            self._fd = open_regular(self.path)

    def read(self) -> bytes:
        """The whole file as the kernel generates it now."""
        self.open()
        assert self._fd is not None
        try:
            first = os.pread(self._fd, self._chunk, 0)
            chunks = [first]
            offset = len(first)
            while first:
                more = os.pread(self._fd, self._chunk, offset)
                if not more:
                    break
                chunks.append(more)
                offset += len(more)
                if offset > self._limit:
                    raise _too_big(self.path, self._limit)
        except OSError as exc:
            self.close()
            if isinstance(exc, SourceUnavailable):
                raise
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


def read_bytes(path: Path, size: int = 256, limit: int = MAX_SMALL_BYTES) -> bytes:
    """Read a small file (a sysctl, a sysfs attribute) with a small buffer: the kernel
    allocates what we ask. Refuses what is not a regular file, or is over `limit` bytes."""
    fd = open_regular(path)
    try:
        chunks = []
        total = 0
        while True:
            b = os.read(fd, size)
            if not b:
                break
            chunks.append(b)
            total += len(b)
            if total > limit:
                raise _too_big(path, limit)
    except SourceUnavailable:
        raise
    except OSError as exc:
        raise SourceUnavailable(exc.errno, describe_os_error(exc)) from exc
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_small(path: Path, size: int = 256) -> str:
    """A sysctl's value as text (see read_bytes)."""
    return read_bytes(path, size).decode("utf-8", "replace")
