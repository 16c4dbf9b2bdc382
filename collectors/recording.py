"""Recordings: every sample as it comes, in self-contained checksummed chunks.

File layout (docs/recording.md):
    b"NETTOPREC\\n"
    chunk*          chunk = b"NTRC" + u32 length + u32 crc32(payload) + payload
    payload         zlib-compressed UTF-8 JSON lines, one record per line

The first chunk holds the header record; every later chunk about a second of
samples. A recorder killed with SIGKILL leaves a file readable up to its last
complete chunk; a damaged chunk is skipped. Nothing is ever unpickled or evaluated:
records are JSON and details are rebuilt field by field.
"""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator

from .nlinfo import Link
from .nlsources import Address, Route, Routing
from .nlstats import DiagSocket, TcStats
from .sources import SYSCTL_SOURCE
from .sysctl import SysctlReading

FORMAT = "nettop.recording/1"
FILE_MAGIC = b"NETTOPREC\n"
CHUNK_MAGIC = b"NTRC"
CHUNK_HEAD = struct.Struct("=4sII")
CHUNK_SECONDS = 1.0  # how much a SIGKILL can lose
MAX_CHUNK = 64 << 20
DETAIL_EVERY = 1.0  # structured details are kept once a second; the columns at full rate


class RecordingError(ValueError):
    """Not a recording, or one of a format version this nettop does not read."""


# --- details: to and from JSON, per source --------------------------------------------------


def _encode_detail(source: str, detail: Any) -> Any:
    if detail is None:
        return None
    if source == "protocols":
        return detail.decode("utf-8", "backslashreplace") if isinstance(detail, bytes) else detail
    if source == SYSCTL_SOURCE:
        return {"values": detail.values, "absent": detail.absent, "from_host": sorted(detail.from_host)}
    if source == "links":
        return [dataclasses.asdict(link) for link in detail.values()]
    if source in ("qdiscs", "listeners"):
        return [dataclasses.asdict(r) for r in detail]
    if source == "classes":
        records, options = detail
        return {"records": [dataclasses.asdict(r) for r in records],
                "options": [[i, h, o] for (i, h), o in options.items()]}
    if source == "routing":
        return dataclasses.asdict(detail)
    if source in ("tcp_states", "bql"):
        return detail
    return None  # procfs text of hot sources: the columns carry it


def _decode_detail(source: str, obj: Any) -> Any:
    if obj is None:
        return None
    if source == "protocols":
        return obj.encode("utf-8", "surrogateescape")
    if source == SYSCTL_SOURCE:
        return SysctlReading(dict(obj["values"]), dict(obj["absent"]), set(obj.get("from_host", [])))
    if source == "links":
        return {d["index"]: Link(**d) for d in obj}
    if source == "qdiscs":
        return [TcStats(**d) for d in obj]
    if source == "listeners":
        return [DiagSocket(**d) for d in obj]
    if source == "classes":
        return ([TcStats(**d) for d in obj["records"]], {(i, h): o for i, h, o in obj["options"]})
    if source == "routing":
        return Routing([Address(**a) for a in obj["addresses"]], [Route(**r) for r in obj["routes"]])
    return obj


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

    def open(self) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if self.force else os.O_EXCL)
        fd = os.open(self.path, flags, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._file.write(FILE_MAGIC + _chunk([{"k": "header", "format": FORMAT, **self.header}]))
        self._sync()
        self._last_flush = self.clock()

    def sample(self, source: str, t: float, names: tuple[str, ...], values: list[int], detail: Any) -> None:
        record: dict[str, Any] = {"s": source, "t": round(t, 6), "v": values}
        if self._names.get(source) != names:
            self._names[source] = names
            record["n"] = list(names)
            self._detail_at.pop(source, None)  # the structure changed: keep its detail now
        if t - self._detail_at.get(source, float("-inf")) >= DETAIL_EVERY:
            encoded = _encode_detail(source, detail)
            if encoded is not None:
                record["d"] = encoded
                self._detail_at[source] = t
        self._add(record)
        self.samples += 1

    def down(self, source: str, t: float, reason: str) -> None:
        self._add({"k": "down", "s": source, "t": round(t, 6), "e": reason})

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
            self._file.write(_chunk(self._pending))
            self._sync()
            self._pending = []
            self._names.clear()  # each chunk names its columns again: chunks stand alone
        self._last_flush = self.clock()

    def _sync(self) -> None:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._flush()
                self._file.close()
                self._file = None


# --- reading -----------------------------------------------------------------------------


@dataclass
class Sample:
    source: str
    t: float
    names: tuple[str, ...]
    values: list[int]
    detail: Any = None
    has_detail: bool = False


@dataclass
class Recording:
    header: dict[str, Any]
    samples: list[Sample]
    downs: list[tuple[float, str, str]]
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


def read_recording(path: Path) -> Recording:
    data = path.read_bytes()
    if not data.startswith(FILE_MAGIC):
        raise RecordingError(f"{path}: not a nettop recording")
    warnings: list[str] = []
    header: dict[str, Any] | None = None
    samples: list[Sample] = []
    downs: list[tuple[float, str, str]] = []
    marks: list[float] = []
    names: dict[str, tuple[str, ...]] = {}
    for body in _chunks(data, warnings):
        try:
            lines = zlib.decompress(body).decode().split("\n")
        except (zlib.error, UnicodeDecodeError):
            warnings.append("undecodable chunk skipped")
            continue
        for line in lines:
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                warnings.append("undecodable record skipped")
                continue
            kind = rec.get("k")
            if kind == "header":
                if rec.get("format") != FORMAT:
                    raise RecordingError(f"{path}: format {rec.get('format')!r}, this nettop reads {FORMAT}")
                header = rec
            elif kind == "down":
                downs.append((rec["t"], rec["s"], rec["e"]))
            elif kind == "mark":
                marks.append(rec["t"])
            elif "s" in rec:
                if "n" in rec:
                    names[rec["s"]] = tuple(rec["n"])
                if rec["s"] not in names:
                    warnings.append(f"sample of {rec['s']} without its column names skipped")
                    continue
                samples.append(Sample(rec["s"], rec["t"], names[rec["s"]], rec["v"],
                                      _decode_detail(rec["s"], rec.get("d")), "d" in rec))
    if header is None:
        raise RecordingError(f"{path}: the header chunk is missing or damaged")
    samples.sort(key=lambda s: s.t)
    return Recording(header, samples, downs, marks, warnings)


def make_header(netns_spec: str | None, interval: float) -> dict[str, Any]:
    """Who and where: what a replay on another machine needs to say what it shows."""
    import platform
    import socket

    return {"host": socket.gethostname(), "kernel": platform.release(), "netns": netns_spec,
            "interval": interval, "wall_origin": time.time(), "monotonic_origin": time.monotonic()}
