"""Files nettop writes are whole or absent, private, and never clobbered by accident."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nettop.collectors import atomic
from nettop.collectors.atomic import write_atomic


def test_write_is_private_and_complete(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    write_atomic(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    write_atomic(target, b"new", force=True)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_failure_mid_write_leaves_neither_file_nor_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_atomic(tmp_path / "s.json", b"x" * 100_000)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_file_when_forcing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "s.json"
    target.write_bytes(b"previous")
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "EIO")))
    with pytest.raises(OSError):
        write_atomic(target, b"new", force=True)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["s.json"]
