"""Recordings: every sample as it comes, in self-contained checksummed chunks.

The recorder (format `nettop.recording/3`, recording_v3.py) costs the sampler thread a
list append per sample: values are buffered as the sources hand them over, and once a
second a writer thread encodes them into one chunk (msgpack blocks of columns, zlib),
appends it and fsyncs. A recorder killed with SIGKILL leaves a file readable up to its
last whole chunk; a full disk stops it (`failed`) and truncates the file back to that.

Reading indexes the chunks once (time range, sources, offset) and decodes them on demand
(`Recording.chunk`): a replay keeps the index, not the samples. Versions 1 and 2 (JSON
lines) are still read (recording_legacy.py). docs/recording.md describes it all.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import math
import os
import queue
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import msgspec

from . import recording_v3 as v3
from .keys import Key
from .recording_base import FILE_MAGIC, MAX_COLUMNS, MAX_META, ChunkRef, Down, Header, RecordingError, Sample, Warnings
from .recording_scan import READABLE, Index, Scanner, decode

__all__ = ["FILE_MAGIC", "FORMAT", "READABLE", "Down", "Recorder", "Recording", "RecordingError", "Sample",
           "make_header", "read_recording"]

FORMAT = v3.FORMAT
CHUNK_SECONDS = 1.0  # how much a SIGKILL can lose
DETAIL_EVERY = 1.0  # structured details are kept once a second; the columns at full rate
SOFT_VALUES = 100_000  # a chunk is cut early past this many values (its body stays far below MAX_BODY)
MAX_DETAIL = 1 << 20  # encoded bytes of one detail
WRITE_QUEUE = 8  # chunks the writer may be behind before the sampler waits for it


# --- writing -----------------------------------------------------------------------------


@dataclass
class Recorder:
    """Appends samples to a recording; `sample` is called from the sampler thread."""

    path: Path
    header: dict[str, Any]
    force: bool = False
    clock: Callable[[], float] = time.monotonic
    samples: int = field(init=False, default=0)
    failed: str | None = field(init=False, default=None)  # why writing stopped (a full disk ...)
    skipped: int = field(init=False, default=0)  # samples or details past the format's limits
    _accepting: bool = field(init=False, default=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _blocks: dict[str, v3.Pending] = field(init=False, default_factory=dict)  # current block per source
    _chunk: list[v3.Pending] = field(init=False, default_factory=list)
    _downs: list[v3.DownRec] = field(init=False, default_factory=list)
    _marks: list[float] = field(init=False, default_factory=list)
    _detail_at: dict[str, float] = field(init=False, default_factory=dict)
    _values: int = field(init=False, default=0)
    _chunk_start: float = field(init=False, default=0.0)
    _seq: int = field(init=False, default=0)
    _ids: dict[tuple[str, ...], int] = field(init=False, default_factory=dict)
    _carried: dict[int, int] = field(init=False, default_factory=dict)  # copies of each set of names written
    _head: Header | None = field(init=False, default=None)
    _fd: int | None = field(init=False, default=None)
    _good: int = field(init=False, default=0)  # bytes on disk up to the last whole chunk
    _queue: queue.Queue[v3.PendingChunk | None] = field(init=False, default_factory=lambda: queue.Queue(WRITE_QUEUE))
    _writer: threading.Thread | None = field(init=False, default=None)

    def open(self) -> None:
        self._head = msgspec.convert({**self.header, "format": FORMAT}, Header, strict=False)
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | (os.O_TRUNC if self.force else os.O_EXCL)
        self._fd = os.open(self.path, flags, 0o600)
        try:
            self._write(FILE_MAGIC + v3.encode_chunk(v3.PendingChunk(0, [], [], [], self._head, {})))
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise
        self._seq, self._chunk_start, self._accepting = 1, self.clock(), True
        self._writer = threading.Thread(target=self._write_loop, name="nettop-recorder", daemon=True)
        self._writer.start()

    def sample(self, key: Key[Any], t: float, names: tuple[str, ...], values: list[int], detail: object) -> None:
        with self._lock:
            if not self._accepting:
                return
            block = self._blocks.get(key.name)
            if block is None or (block.names is not names and block.names != names):
                block = self._new_block(key, names)
                if block is None:
                    return
            block.ts.append(t)
            block.rows.append(values)
            self.samples += 1
            self._values += len(values) + 1
            if detail is not None and key.has_detail and t - self._detail_at.get(key.name, -math.inf) >= DETAIL_EVERY:
                self._detail(block, key, detail, t)
            if self.clock() - self._chunk_start < CHUNK_SECONDS and self._values < SOFT_VALUES:
                return  # the common case, inline: this runs for every sample
            chunk = self._detach()
        self._hand_over(chunk)

    def down(self, key: Key[Any], t: float, reason: str, applicable: bool = True) -> None:
        self._event(v3.DownRec(key.name, t, reason, not applicable))

    def mark(self, t: float) -> None:
        self._event(t)

    def _event(self, event: v3.DownRec | float) -> None:
        with self._lock:
            if not self._accepting:
                return
            if isinstance(event, v3.DownRec):
                self._downs.append(event)
            else:
                self._marks.append(float(event))
            chunk = self._due()
        self._hand_over(chunk)

    def _new_block(self, key: Key[Any], names: tuple[str, ...]) -> v3.Pending | None:
        ident = self._ids.get(names)
        if ident is None:
            if len(names) > MAX_COLUMNS or len(msgspec.msgpack.encode(names)) > MAX_META // 4:
                self.skipped += 1
                return None
            if len(self._ids) > 1024:  # names that come and go (listeners, links): forget the old ones
                self._ids.clear()
                self._carried.clear()
            ident = self._ids[names] = v3.names_id(names)
        block = self._blocks[key.name] = v3.Pending(key.name, names, ident)
        self._chunk.append(block)
        self._detail_at.pop(key.name, None)  # a chunk, or a new set of columns, starts with its detail
        return block

    def _detail(self, block: v3.Pending, key: Key[Any], detail: object, t: float) -> None:
        self._detail_at[key.name] = t
        try:
            raw = v3.encode_detail(key, detail)
        except (TypeError, ValueError, OverflowError):
            raw = None
        if raw is None or len(raw) > MAX_DETAIL:
            self.skipped += 1
            return
        block.details.append(v3.DetailRec(len(block.ts) - 1, raw))
        self._values += len(raw) // 8

    def _due(self) -> v3.PendingChunk | None:
        """The chunk to write when a second has passed (or it grew large); called under the lock."""
        if self.clock() - self._chunk_start < CHUNK_SECONDS and self._values < SOFT_VALUES:
            return None
        return self._detach()

    def _detach(self) -> v3.PendingChunk | None:
        if not (self._chunk or self._downs or self._marks):
            self._chunk_start = self.clock()
            return None
        seq, self._seq = self._seq, self._seq + 1
        carry = seq % v3.CARRY_EVERY == 0
        chunk = v3.PendingChunk(seq, self._chunk, self._downs, self._marks, self._head if carry or seq < 2 else None,
                                self._columns(carry))
        self._chunk, self._blocks, self._downs, self._marks, self._values = [], {}, [], [], 0
        self._chunk_start = self.clock()
        return chunk

    def _columns(self, carry: bool) -> dict[int, list[str]]:
        """Names the chunk carries: those used for the first or second time, all every tenth chunk."""
        out: dict[int, list[str]] = {}
        size = 0
        for block in self._chunk:
            ident = block.columns
            if ident in out or not (carry or self._carried.get(ident, 0) < 2):
                continue
            size += sum(len(n) + 2 for n in block.names)
            if size > MAX_META // 2:
                break  # the rest ride in the next chunk
            out[ident] = list(block.names)
            self._carried[ident] = self._carried.get(ident, 0) + 1
        return out

    def _hand_over(self, chunk: v3.PendingChunk | None) -> None:
        if chunk is not None:
            self._queue.put(chunk)  # waits only when the writer is WRITE_QUEUE chunks behind

    def _write_loop(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self.failed is not None:
                continue  # drained, so the sampler never waits on a writer that stopped
            try:
                self._write_chunk(chunk)
            except Exception as exc:  # noqa: BLE001  # a bug here must stop the recording, not the sampler
                self.failed = f"internal error: {type(exc).__name__}: {exc}"
                self._accepting = False

    def _write_chunk(self, chunk: v3.PendingChunk) -> None:
        try:
            data = v3.encode_chunk(chunk)
        except (TypeError, ValueError, OverflowError):  # a value that is not a 64-bit integer
            chunk.blocks = [b for b in chunk.blocks if _encodable(b)]
            self.skipped += 1
            data = v3.encode_chunk(chunk)
        try:
            self._write(data)
        except OSError as exc:
            self._give_up(exc)

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)
        self._good += len(data)

    def _give_up(self, exc: OSError) -> None:
        """Stop writing; cut the file back to its last whole chunk, which stays readable."""
        self.failed = f"{exc.strerror or exc} ({self.path})"
        self._accepting = False
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._good)

    def close(self) -> None:
        with self._lock:
            chunk = self._detach() if self._accepting else None
            self._accepting = False
        writer, self._writer = self._writer, None
        if writer is not None:
            self._hand_over(chunk)
            self._queue.put(None)
            writer.join()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:
                self.failed = self.failed or f"{exc.strerror or exc} ({self.path})"


def _encodable(block: v3.Pending) -> bool:
    try:
        msgspec.msgpack.encode(block.rows)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def make_header(netns_spec: str | None, interval: float) -> dict[str, Any]:
    """Who and where: what a replay on another machine needs to say what it shows."""
    import platform
    import socket

    return {"host": socket.gethostname(), "kernel": platform.release(), "netns": netns_spec,
            "interval": interval, "wall_origin": time.time(), "monotonic_origin": time.monotonic()}


# --- reading -----------------------------------------------------------------------------

CACHED_CHUNKS = 8


@dataclass
class Recording:
    """A recording's index: the header, the chunks (where, when, which sources), the downs and
    marks, the warnings; samples are decoded a chunk at a time, on demand."""

    path: Path
    header: dict[str, Any]
    chunks: list[ChunkRef]
    downs: list[Down]
    marks: list[float]
    warnings: Warnings  # a list; `add` says a warning once, and at most MAX_WARNINGS of them
    keys: list[Key[Any]]  # bit i of ChunkRef.sources
    kind: bytes = v3.MAGIC
    v1: bool = False
    names: dict[int, tuple[str, ...]] = field(default_factory=dict)
    decoded: int = 0  # chunks decoded so far
    _cache: OrderedDict[int, list[Sample]] = field(default_factory=OrderedDict, repr=False)

    @functools.cached_property
    def start(self) -> float:
        return min((c.t0 for c in self.chunks), default=0.0)

    @functools.cached_property
    def end(self) -> float:
        return max((c.t1 for c in self.chunks), default=0.0)

    def wall(self, t: float) -> float:
        """The wall-clock time (epoch seconds) of a recorded monotonic time."""
        return float(self.header.get("wall_origin", 0.0)) + t - float(self.header.get("monotonic_origin", 0.0))

    def chunk(self, i: int) -> list[Sample]:
        """The samples of chunk i in time order (a cached list: do not change it)."""
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        ref = self.chunks[i]
        with self.path.open("rb") as f:
            f.seek(ref.offset)
            data = f.read(ref.size)
        if zlib.crc32(data) == ref.crc:
            samples = decode(self.kind, data, ref, self.v1, self.names, self.warnings)
        else:
            samples = []
            self.warnings.add(f"chunk at byte {ref.offset} changed since the recording was opened; skipped")
        self.decoded += 1
        self._cache[i] = samples
        if len(self._cache) > CACHED_CHUNKS:
            self._cache.popitem(last=False)
        return samples

    @property
    def samples(self) -> Samples:
        return Samples(self)


class Samples(Sequence[Sample]):
    """Every sample of a recording, decoded on demand (a chunk at a time)."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.starts = list(itertools.accumulate((c.count for c in rec.chunks), initial=0))

    def __len__(self) -> int:
        return self.starts[-1]

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self.rec.chunks)):
            yield from self.rec.chunk(i)

    @overload
    def __getitem__(self, i: int) -> Sample: ...

    @overload
    def __getitem__(self, i: slice) -> list[Sample]: ...

    def __getitem__(self, i: int | slice) -> Sample | list[Sample]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        c = bisect.bisect_right(self.starts, i) - 1
        return self.rec.chunk(c)[i - self.starts[c]]


def read_recording(path: Path) -> Recording:
    """Index a recording; RecordingError when it is not one, or of a version not read here."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if f.read(len(FILE_MAGIC)) != FILE_MAGIC:
            raise RecordingError(f"{path}: not a nettop recording")
        first = f.read(4)
        index = Index(str(path))
        for frame in Scanner(f, size, index.warnings).frames():
            index.add(frame)
    header = index.finish(first)
    return Recording(path, header.as_dict(), index.chunks, index.downs, index.marks, index.warnings, index.keys,
                     index.kind or v3.MAGIC, index.v1, index.names)
