"""Network namespaces: naming one, entering it from a thread, listing them all.

setns(CLONE_NEWNET) changes only the calling thread, so the sampler thread
enters the watched namespace and every file and socket it opens belongs there,
while the rest of the process (the UI) stays where it was. /proc/self/net would
show the main thread's namespace; /proc/thread-self/net shows the sampler's.
"""

from __future__ import annotations

import ctypes
import errno
import os
import threading
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNET = 0x40000000
RUN_NETNS = Path("/run/netns")

_libc = ctypes.CDLL(None, use_errno=True)


class NetnsError(OSError):
    """A namespace that cannot be named: absent, malformed."""


class NetnsPermission(NetnsError):
    """A namespace this process may not enter."""


@dataclass(frozen=True)
class NetnsTarget:
    """A namespace to watch: `NAME` under /run/netns or `pid:PID`."""

    spec: str
    path: Path
    pid: int | None = None

    @property
    def label(self) -> str:
        return self.spec

    def inode(self) -> int:
        return os.stat(self.path).st_ino

    def describe(self) -> dict[str, object]:
        return {"spec": self.spec, "path": str(self.path), "pid": self.pid}


def resolve(spec: str, proc: Path = Path("/proc"), run_netns: Path = RUN_NETNS) -> NetnsTarget:
    """`NAME` or `pid:PID` to a target; NetnsError with a clear reason otherwise."""
    if spec.startswith("pid:"):
        try:
            pid = int(spec[4:])
        except ValueError:
            raise NetnsError(f"--netns {spec}: expected pid:PID with a number") from None
        path = proc / str(pid) / "ns" / "net"
        try:
            os.stat(path)
        except PermissionError:
            raise NetnsPermission(errno.EACCES, f"--netns {spec}: cannot read {path}: {ENTER_NEEDS}") from None
        except OSError:
            raise NetnsError(f"--netns {spec}: no process {pid}") from None
        return NetnsTarget(spec, path, pid)
    if "/" in spec or spec in ("", ".", ".."):
        raise NetnsError(f"--netns {spec!r}: not a namespace name")
    path = run_netns / spec
    if not path.exists():
        known = ", ".join(sorted(p.name for p in run_netns.iterdir())) if run_netns.is_dir() else ""
        raise NetnsError(f"--netns {spec}: no such namespace under {run_netns}"
                         + (f" (known: {known})" if known else ""))
    return NetnsTarget(spec, path)


ENTER_NEEDS = "entering a network namespace needs root (CAP_SYS_ADMIN)"


def check_enter(target: NetnsTarget) -> None:
    """Enter the namespace from a thread that ends right after: NetnsPermission says why this
    process cannot, before a command writes anything or starts a UI that would show nothing."""
    failure: list[OSError] = []

    def attempt() -> None:
        try:
            enter(target)
        except OSError as exc:
            failure.append(exc)

    thread = threading.Thread(target=attempt, name="nettop-netns-check")
    thread.start()
    thread.join()
    if failure:
        exc = failure[0]
        if exc.errno in (errno.EPERM, errno.EACCES):
            raise NetnsPermission(exc.errno, f"--netns {target.spec}: {ENTER_NEEDS}")
        raise NetnsError(exc.errno, f"--netns {target.spec}: {exc.strerror or exc}")


def enter(target: NetnsTarget) -> None:
    """Move the calling thread into the target's network namespace."""
    try:
        fd = os.open(target.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)  # a FIFO must not hang us
    except OSError as exc:
        raise NetnsError(exc.errno, f"open {target.path}: {exc.strerror}") from None
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetnsError(err, f"setns into {target.spec}: {os.strerror(err)}")
    finally:
        os.close(fd)


def gone_reason(target: NetnsTarget, entered_inode: int) -> str | None:
    """Why the watched namespace is no longer the one we entered, or None if it still is."""
    try:
        if target.inode() == entered_inode:
            return None
    except OSError:
        pass
    if target.pid is not None:
        return f"network namespace of pid {target.pid} is gone (the process exited)"
    return f"network namespace {target.spec} was deleted"


@dataclass(frozen=True)
class NamespaceInfo:
    inode: int
    names: tuple[str, ...]  # under /run/netns
    pids: tuple[int, ...]
    processes: tuple[str, ...]  # comm of a few holders

    def as_dict(self) -> dict[str, object]:
        return {"inode": self.inode, "names": list(self.names), "pids": list(self.pids),
                "processes": list(self.processes)}


def list_namespaces(proc: Path = Path("/proc"), run_netns: Path = RUN_NETNS) -> list[NamespaceInfo]:
    """Named namespaces and those only held by processes, with who holds them."""
    by_inode: dict[int, tuple[list[str], list[int], list[str]]] = {}
    if run_netns.is_dir():
        for entry in sorted(run_netns.iterdir()):
            try:
                by_inode.setdefault(entry.stat().st_ino, ([], [], []))[0].append(entry.name)
            except OSError:
                continue
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ino = os.stat(entry / "ns" / "net").st_ino
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        _names, pids, comms = by_inode.setdefault(ino, ([], [], []))
        pids.append(int(entry.name))
        if comm not in comms:
            comms.append(comm)
    return [NamespaceInfo(ino, tuple(n), tuple(sorted(p)), tuple(c[:5]))
            for ino, (n, p, c) in sorted(by_inode.items())]
