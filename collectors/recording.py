"""Recordings: every sample as it comes, in self-contained checksummed chunks.

File layout (docs/recording.md):
    b"NETTOPREC\\n"
    chunk*          chunk = b"NTRC" + u32 length + u32 crc32(payload) + payload
    payload         zlib-compressed UTF-8 JSON lines, one record per line

The first chunk holds the header record; every later chunk about a second of
samples. A recorder killed with SIGKILL leaves a file readable up to its last
complete chunk; a damaged chunk is skipped. Nothing is ever unpickled or evaluated:
details go through their key's codec (keys.py), which validates every field.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from . import recording_v1
from .keys import CodecError, Key, by_name

FORMAT = "nettop.recording/2"
READABLE = (FORMAT, recording_v1.FORMAT)
FILE_MAGIC = b"NETTOPREC\n"
CHUNK_MAGIC = b"NTRC"
CHUNK_HEAD = struct.Struct("=4sII")
CHUNK_SECONDS = 1.0  # how much a SIGKILL can lose
MAX_CHUNK = 64 << 20
DETAIL_EVERY = 1.0  # structured details are kept once a second; the columns at full rate


class RecordingError(ValueError):
    """Not a recording, or one of a format version this nettop does not read."""


# --- writing -----------------------------------------------------------------------------


def _chunk(records: list[dict[str, Any]]) -> bytes:
    payload = zlib.compress("\n".join(json.dumps(r, separators=(",", ":")) for r in records).encode(), 6)
    return CHUNK_HEAD.pack(CHUNK_MAGIC, len(payload), zlib.crc32(payload)) + payload


@dataclass
class Recorder:
    """Appends samples to a recording; called from the sampler thread."""

    path: Path
    header: dict[str, Any]
    force: bool = False
    clock: Callable[[], float] = time.monotonic
    _file: BinaryIO | None = field(init=False, default=None)
    _pending: list[dict[str, Any]] = field(init=False, default_factory=list)
    _names: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    _detail_at: dict[str, float] = field(init=False, default_factory=dict)
    _last_flush: float = field(init=False, default=0.0)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    samples: int = field(init=False, default=0)
    failed: str | None = field(init=False, default=None)  # why writing stopped (a full disk ...)

    def open(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if self.force else os.O_EXCL)
        fd = os.open(self.path, flags, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._file.write(FILE_MAGIC + _chunk([{"k": "header", "format": FORMAT, **self.header}]))
        self._sync()
        self._last_flush = self.clock()

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        source = key.name
        record: dict[str, Any] = {"s": source, "t": round(t, 6), "v": values}
        if self._names.get(source) != names:
            self._names[source] = names
            record["n"] = list(names)
            self._detail_at.pop(source, None)  # the structure changed: keep its detail now
        if detail is not None and key.has_detail and t - self._detail_at.get(source, float("-inf")) >= DETAIL_EVERY:
            record["d"] = key.encode(detail)
            self._detail_at[source] = t
        self._add(record)
        self.samples += 1

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool = True) -> None:
        self._add({"k": "down", "s": key.name, "t": round(t, 6), "e": reason, "na": not applicable})

    def mark(self, t: float) -> None:
        self._add({"k": "mark", "t": round(t, 6)})

    def _add(self, record: dict[str, Any]) -> None:
        with self._lock:
            if self._file is None:
                return
            self._pending.append(record)
            if self.clock() - self._last_flush >= CHUNK_SECONDS:
                self._flush()

    def _flush(self) -> None:
        if self._pending and self._file is not None:
            try:
                self._file.write(_chunk(self._pending))
                self._sync()
            except OSError as exc:
                self._give_up(exc)
                return
            self._pending = []
            self._names.clear()  # each chunk names its columns again: chunks stand alone
        self._last_flush = self.clock()

    def _give_up(self, exc: OSError) -> None:
        """Stop writing; what is on disk stays readable up to its last whole chunk."""
        self.failed = f"{exc.strerror or exc} ({self.path})"
        self._pending = []
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                file.close()

    def _sync(self) -> None:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._flush()
            if self._file is not None:
                try:
                    self._file.close()
                except OSError as exc:
                    self.failed = self.failed or f"{exc.strerror or exc} ({self.path})"
                self._file = None


# --- reading -----------------------------------------------------------------------------


@dataclass
class Sample:
    key: Key[Any]
    t: float
    names: tuple[str, ...]
    values: list[int]
    detail: Any = None
    has_detail: bool = False


@dataclass
class Down:
    t: float
    key: Key[Any]
    reason: str
    applicable: bool = True


@dataclass
class Recording:
    header: dict[str, Any]
    samples: list[Sample]
    downs: list[Down]
    marks: list[float]
    warnings: list[str]

    @property
    def start(self) -> float:
        return self.samples[0].t if self.samples else 0.0

    @property
    def end(self) -> float:
        return self.samples[-1].t if self.samples else 0.0

    def wall(self, t: float) -> float:
        """The wall-clock time (epoch seconds) of a recorded monotonic time."""
        return float(self.header.get("wall_origin", 0.0)) + t - float(self.header.get("monotonic_origin", 0.0))


def _chunks(data: bytes, warnings: list[str]) -> Iterator[bytes]:
    off = len(FILE_MAGIC)
    while off < len(data):
        if len(data) - off < CHUNK_HEAD.size:
            warnings.append(f"truncated chunk at byte {off}: the recorder stopped mid-write")
            return
        magic, length, crc = CHUNK_HEAD.unpack_from(data, off)
        body = data[off + CHUNK_HEAD.size: off + CHUNK_HEAD.size + length]
        if magic == CHUNK_MAGIC and length <= MAX_CHUNK and len(body) == length and zlib.crc32(body) == crc:
            yield body
            off += CHUNK_HEAD.size + length
            continue
        if magic == CHUNK_MAGIC and len(body) < length and off + CHUNK_HEAD.size + length > len(data):
            warnings.append(f"truncated chunk at byte {off}: the recorder stopped mid-write")
            return
        nxt = data.find(CHUNK_MAGIC, off + 1)
        warnings.append(f"damaged chunk at byte {off} skipped" + ("" if nxt >= 0 else " (nothing after it)"))
        if nxt < 0:
            return
        off = nxt


@dataclass
class _Reader:
    path: Path
    header: dict[str, Any] | None = None
    samples: list[Sample] = field(default_factory=list)
    downs: list[Down] = field(default_factory=list)
    marks: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    @property
    def legacy(self) -> bool:
        return self.header is not None and self.header.get("format") == recording_v1.FORMAT

    def record(self, rec: dict[str, Any]) -> None:
        kind = rec.get("k")
        if kind == "header":
            if rec.get("format") not in READABLE:
                raise RecordingError(f"{self.path}: format {rec.get('format')!r}, this nettop reads "
                                     + " and ".join(READABLE))
            self.header = rec
        elif kind == "down":
            key = self._key(rec["s"])
            if key is not None:
                self.downs.append(Down(rec["t"], key, rec["e"], not rec.get("na", False)))
        elif kind == "mark":
            self.marks.append(rec["t"])
        elif "s" in rec:
            self.sample(rec)

    def _key(self, name: str) -> Key[Any] | None:
        key = by_name(name)
        if key is None and name not in self.unknown:
            self.unknown.add(name)
            self.warnings.append(f"samples of an unknown source {name!r} skipped")
        return key

    def sample(self, rec: dict[str, Any]) -> None:
        key = self._key(rec["s"])
        if key is None:
            return
        if "n" in rec:
            names = tuple(rec["n"])
            self.names[key.name] = recording_v1.columns(key, names) if self.legacy else names
        if key.name not in self.names:
            self.warnings.append(f"sample of {key.name} without its column names skipped")
            return
        detail = self.detail(key, rec["d"]) if "d" in rec else None
        self.samples.append(Sample(key, rec["t"], self.names[key.name], rec["v"], detail, "d" in rec))

    def detail(self, key: Key[Any], obj: Any) -> Any:
        if not key.has_detail or obj is None:
            return None
        try:
            return recording_v1.detail(key, obj) if self.legacy else key.decode(obj)
        except CodecError as exc:
            self.warnings.append(f"detail skipped: {exc}")
            return None


def read_recording(path: Path) -> Recording:
    data = path.read_bytes()
    if not data.startswith(FILE_MAGIC):
        raise RecordingError(f"{path}: not a nettop recording")
    reader = _Reader(path)
    for body in _chunks(data, reader.warnings):
        try:
            lines = zlib.decompress(body).decode().split("\n")
        except (zlib.error, UnicodeDecodeError):
            reader.warnings.append("undecodable chunk skipped")
            continue
        for line in lines:
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                reader.warnings.append("undecodable record skipped")
                continue
            reader.record(rec)
    if reader.header is None:
        raise RecordingError(f"{path}: the header chunk is missing or damaged")
    reader.samples.sort(key=lambda s: s.t)
    return Recording(reader.header, reader.samples, reader.downs, reader.marks, reader.warnings)


def make_header(netns_spec: str | None, interval: float) -> dict[str, Any]:
    """Who and where: what a replay on another machine needs to say what it shows."""
    import platform
    import socket

    return {"host": socket.gethostname(), "kernel": platform.release(), "netns": netns_spec,
            "interval": interval, "wall_origin": time.time(), "monotonic_origin": time.monotonic()}
