"""Whatever sits where a /proc or /sys file should be, reading it returns at once: a FIFO,
a device or a directory is refused with its kind and path, a runaway file with its size."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nettop.collectors.bql import BqlSource
from nettop.collectors.errors import NotRegularFile, PartialParse, SourceUnavailable
from nettop.collectors.procfs import ProcFile, ProcRoot, read_bytes, read_small
from nettop.collectors.sysctl import read_sysctls

TIMEOUT = 5.0


def returns_quickly(fn: Callable[[], Any]) -> BaseException | Any:
    """Run fn in a thread: what it returned or raised, failing the test if it blocks."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # noqa: BLE001
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "blocked"
    return out[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "netstat"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # a reader blocked by a regression is released by a writer
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("reader", [lambda p: ProcFile(p).read(), read_small, read_bytes],
                         ids=["ProcFile", "read_small", "read_bytes"])
def test_a_fifo_is_refused_without_blocking(fifo: Path, reader: Callable[[Path], Any]) -> None:
    exc = returns_quickly(lambda: reader(fifo))
    assert isinstance(exc, NotRegularFile)
    assert "FIFO" in str(exc.strerror) and str(fifo) in str(exc.strerror)


def test_a_directory_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile) as info:
        ProcFile(tmp_path).read()
    assert "EISDIR" in str(info.value.strerror) and str(tmp_path) in str(info.value.strerror)


def test_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dev").symlink_to("/dev/zero")
    exc = returns_quickly(lambda: ProcFile(tmp_path / "dev").read())
    assert isinstance(exc, NotRegularFile) and "character device" in str(exc.strerror)


def test_a_runaway_file_is_refused_by_size(tmp_path: Path) -> None:
    path = tmp_path / "dev"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(SourceUnavailable, match="larger than 4096 bytes"):
        ProcFile(path, chunk=1024, limit=4096).read()
    with pytest.raises(SourceUnavailable, match="larger than"):
        read_bytes(path, limit=4096)
    assert len(ProcFile(path, chunk=1024, limit=5000).read()) == 5000


def test_a_file_that_shrinks_and_grows_between_reads(tmp_path: Path) -> None:
    path = tmp_path / "dev"
    path.write_bytes(b"a" * 3000)
    with ProcFile(path, chunk=1024) as f:
        assert f.read() == b"a" * 3000
        path.write_bytes(b"b" * 10)  # truncated in place: the descriptor stays the same file
        assert f.read() == b"b" * 10
        path.write_bytes(b"")
        assert f.read() == b""
        path.write_bytes(b"c" * 2049)
        assert f.read() == b"c" * 2049


def test_sysctls_put_a_fifo_or_an_impossible_number_aside_and_read_the_rest(tmp_path: Path) -> None:
    root = ProcRoot(tmp_path / "proc", tmp_path / "sys")
    core = tmp_path / "proc" / "sys" / "net" / "core"
    core.mkdir(parents=True)
    (core / "somaxconn").write_text("4096\n")
    os.mkfifo(core / "netdev_budget")
    (core / "rmem_max").write_text("9" * 400 + "\n")
    names = ["net.core.somaxconn", "net.core.netdev_budget", "net.core.rmem_max"]
    reading = returns_quickly(lambda: read_sysctls(root, names))
    assert reading.values == {"net.core.somaxconn": "4096"}
    assert "FIFO" in reading.absent["net.core.netdev_budget"]
    assert "400 digits" in reading.absent["net.core.rmem_max"]


def test_bql_refuses_a_fifo_and_a_bad_value_and_keeps_the_other_queues(tmp_path: Path) -> None:
    net = tmp_path / "class" / "net"
    for dev, limit in (("eth0", "1000\n"), ("eth1", "12x\n"), ("eth2", None)):
        bql = net / dev / "queues" / "tx-0" / "byte_queue_limits"
        bql.mkdir(parents=True)
        for field in ("inflight", "limit_max", "limit_min"):
            (bql / field).write_text("7\n")
        if limit is None:
            os.mkfifo(bql / "limit")
        else:
            (bql / "limit").write_text(limit)
    exc = returns_quickly(lambda: BqlSource(tmp_path).read())
    assert isinstance(exc, PartialParse)
    (names, values), queues = exc.result
    got = dict(zip(names, values, strict=True))
    assert got["eth0 tx-0/limit"] == 1000 and got["eth2 tx-0/inflight"] == 7
    assert "eth1 tx-0/limit" not in got and "eth2 tx-0/limit" not in got
    assert set(queues) == {"eth0", "eth1", "eth2"}
    messages = exc.messages()
    assert any("eth1/queues/tx-0/byte_queue_limits/limit:1" in m and "not an unsigned integer" in m
               for m in messages)
    assert any("eth2/queues/tx-0/byte_queue_limits/limit" in m and "FIFO" in m for m in messages)
