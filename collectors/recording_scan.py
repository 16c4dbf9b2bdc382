"""Finding the chunks of a recording and indexing them once: where each is, which times and
sources it holds, the header, the downs and marks, and (v3) the column names.

The scan is linear in the file's size whatever the file holds: a chunk whose checksums do
not match is skipped and the scan resynchronises on the next chunk magic, and the bytes read
and searched are capped at a few times the file's size (a crafted file full of overlapping
chunk heads cannot make it quadratic).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from . import recording_legacy as legacy
from . import recording_v1, recording_v3
from .keys import Key, by_name
from .recording_base import (
    FILE_MAGIC,
    MAX_FRAME,
    MAX_KEPT_EVENTS,
    MAX_META,
    MAX_NAME_BYTES,
    ChunkRef,
    Down,
    Header,
    RecordingError,
    Sample,
    Warnings,
)

READABLE = (recording_v3.FORMAT, *legacy.FORMATS)
TRUNCATED, DAMAGED, CUT = "truncated", "damaged", "cut"  # CUT: a v3 head checks out, its data is not all there
SEARCH_BLOCK = 1 << 20


@dataclass(slots=True)
class Frame:
    at: int  # offset of its head
    kind: bytes  # recording_v3.MAGIC or legacy.MAGIC
    data: bytes
    data_at: int
    crc: int
    meta_len: int = 0

    @property
    def end(self) -> int:
        return self.data_at + len(self.data)


@dataclass
class Scanner:
    f: BinaryIO
    size: int
    warnings: Warnings
    budget: int = 0

    def __post_init__(self) -> None:
        self.budget = 4 * self.size + (64 << 20)

    def read(self, off: int, n: int, charge: bool = True) -> bytes:
        self.budget -= n if charge else 0
        self.f.seek(off)
        return self.f.read(n)

    def frames(self) -> Iterator[Frame]:
        off = len(FILE_MAGIC)
        while off < self.size:
            if self.budget < 0:
                self.warnings.add(f"too much damage: the rest of the file from byte {off} skipped")
                return
            frame = self.frame(off)
            if isinstance(frame, Frame):
                yield frame
                off = frame.end
                continue
            nxt = None if frame == CUT else self.find_magic(off + 1)
            if nxt is None and self.budget < 0:
                self.warnings.add(f"too much damage: the rest of the file from byte {off} skipped")
                return
            if nxt is None:
                self.warnings.add(f"truncated chunk at byte {off}: the recorder stopped mid-write" if frame != DAMAGED
                                  else f"damaged chunk at byte {off} skipped (nothing after it)")
                return
            self.warnings.add(f"damaged chunk at byte {off} skipped")
            off = nxt

    def frame(self, off: int) -> Frame | str:
        head = self.read(off, recording_v3.HEAD.size)
        if head[:4] == recording_v3.MAGIC:
            return self.v3(off, head)
        if head[:4] == legacy.MAGIC:
            return self.legacy(off, head)
        return TRUNCATED if len(head) < 4 else DAMAGED

    def v3(self, off: int, head: bytes) -> Frame | str:
        if len(head) < recording_v3.HEAD.size:
            return TRUNCATED
        _, meta_len, body_len, crc, head_crc = recording_v3.HEAD.unpack(head)
        if zlib.crc32(head[:-recording_v3.HEAD_CRC.size]) != head_crc or meta_len + body_len > MAX_FRAME:
            return DAMAGED
        start = off + recording_v3.HEAD.size
        if start + meta_len + body_len > self.size:
            return CUT
        data = self.read(start, meta_len + body_len)
        return Frame(off, recording_v3.MAGIC, data, start, crc, meta_len) if zlib.crc32(data) == crc else DAMAGED

    def legacy(self, off: int, head: bytes) -> Frame | str:
        if len(head) < legacy.HEAD.size:
            return TRUNCATED
        _, length, crc = legacy.HEAD.unpack_from(head)
        start = off + legacy.HEAD.size
        if length > MAX_FRAME:
            return DAMAGED
        if start + length > self.size:
            return TRUNCATED
        data = self.read(start, length)
        return Frame(off, legacy.MAGIC, data, start, crc) if zlib.crc32(data) == crc else DAMAGED

    def find_magic(self, off: int) -> int | None:
        while off < self.size and self.budget >= 0:
            block = self.read(off, SEARCH_BLOCK + 3, charge=False)
            hits = [i for i in (block.find(recording_v3.MAGIC), block.find(legacy.MAGIC)) if i >= 0]
            self.budget -= min(hits, default=SEARCH_BLOCK) + 1  # what was searched
            if hits:
                return off + min(hits)
            off += SEARCH_BLOCK
        return None


@dataclass
class Index:
    """What the scan found; `finish()` checks it is a recording of a readable version."""

    name: str
    warnings: Warnings = field(default_factory=Warnings)
    kind: bytes | None = None
    header: Header | None = None
    v1: bool = False
    chunks: list[ChunkRef] = field(default_factory=list)
    downs: list[Down] = field(default_factory=list)
    marks: list[float] = field(default_factory=list)
    keys: list[Key[Any]] = field(default_factory=list)  # bit i of ChunkRef.sources
    bits: dict[str, int] = field(default_factory=dict)
    names: dict[int, tuple[str, ...]] = field(default_factory=dict)
    name_bytes: int = 0

    def add(self, frame: Frame) -> None:
        if self.kind is None:
            self.kind = frame.kind
        elif frame.kind != self.kind:
            self.warnings.add(f"chunk of another format version at byte {frame.at} skipped")
            return
        if frame.kind == recording_v3.MAGIC:
            self.add_v3(frame)
        else:
            self.add_legacy(frame)

    def set_header(self, header: Header) -> None:
        formats = (recording_v3.FORMAT,) if self.kind == recording_v3.MAGIC else legacy.FORMATS
        if self.header is None:
            if header.format not in formats:
                raise RecordingError(f"{self.name}: format {header.format!r}, this nettop reads "
                                     + " and ".join(READABLE))
            self.header = header
            self.v1 = header.format == recording_v1.FORMAT
        elif header != self.header:
            self.warnings.add("copies of the header differ: the first is used")

    def sources(self, names: list[str]) -> int:
        mask = 0
        for name in names:
            bit = self.bits.get(name)
            if bit is None:
                key = by_name(name)
                if key is None:
                    self.warnings.add(f"samples of an unknown source {name!r} skipped")
                    continue
                bit = self.bits[name] = len(self.keys)
                self.keys.append(key)
            mask |= 1 << bit
        return mask

    def add_v3(self, frame: Frame) -> None:
        meta = recording_v3.decode_meta(frame.data[:frame.meta_len], MAX_META)
        if isinstance(meta, str):
            self.warnings.add(f"chunk at byte {frame.at} skipped: {meta}")
            return
        if meta.header is not None and not meta.header.valid():
            self.warnings.add(f"chunk at byte {frame.at}: a copy of the header with times that are not finite skipped")
        elif meta.header is not None:
            self.set_header(meta.header)
        for ident, names in meta.columns.items():
            self.add_names(ident, names)
        for d in meta.downs:
            key = by_name(d.source)
            if key is None:
                self.warnings.add(f"samples of an unknown source {d.source!r} skipped")
            else:
                self.add_event(Down(d.t, key, d.reason, not d.na))
        for t in meta.marks:
            self.add_event(t)
        if meta.count:
            self.chunks.append(ChunkRef(frame.data_at, len(frame.data), frame.crc, meta.t0, meta.t1, meta.count,
                                        self.sources(meta.sources), frame.meta_len, meta.raw))

    def add_names(self, ident: int, names: list[str]) -> None:
        if recording_v3.names_id(names) != ident:
            self.warnings.add("column names that do not match their id skipped")
            return
        if ident in self.names:
            return
        size = sum(len(n) for n in names) + 8 * len(names)
        if self.name_bytes + size > MAX_NAME_BYTES:
            self.warnings.add(f"more than {MAX_NAME_BYTES >> 20} MiB of column names: the rest skipped")
            return
        self.name_bytes += size
        self.names[ident] = tuple(names)

    def add_event(self, event: Down | float) -> None:
        if len(self.downs) + len(self.marks) >= MAX_KEPT_EVENTS:
            self.warnings.add(f"more than {MAX_KEPT_EVENTS} downs and marks: the rest skipped")
        elif isinstance(event, Down):
            self.downs.append(event)
        else:
            self.marks.append(event)

    def add_legacy(self, frame: Frame) -> None:
        chunk = legacy.decode_chunk(frame.data, self.v1, self.warnings, details=False)
        if chunk.header is not None:
            self.set_header(chunk.header)
        for down in chunk.downs:
            self.add_event(down)
        for mark in chunk.marks:
            self.add_event(mark)
        if chunk.samples:
            self.chunks.append(ChunkRef(frame.data_at, len(frame.data), frame.crc, chunk.samples[0].t,
                                        chunk.samples[-1].t, len(chunk.samples),
                                        self.sources(sorted({s.key.name for s in chunk.samples}))))

    def finish(self, first: bytes) -> Header:
        if self.header is None:
            if self.kind is None and first[:3] == b"NTR" and first[:4] not in (recording_v3.MAGIC, legacy.MAGIC):
                raise RecordingError(f"{self.name}: a format version this nettop does not read "
                                     f"(chunk {first[:4]!r}); it reads " + " and ".join(READABLE))
            raise RecordingError(f"{self.name}: the header is missing or damaged in every copy")
        self.chunks.sort(key=lambda c: c.t0)
        self.downs.sort(key=lambda d: d.t)
        self.marks.sort()
        if self.warnings.dropped:
            self.warnings.append(f"... and {self.warnings.dropped} more warnings")
        return self.header


def decode(index_kind: bytes, data: bytes, ref: ChunkRef, v1: bool, names: dict[int, tuple[str, ...]],
           warnings: Warnings) -> list[Sample]:
    """A chunk's samples, decoded from its bytes (meta and body for v3, the payload before)."""
    if index_kind == recording_v3.MAGIC:
        return recording_v3.decode_body(data[ref.meta_size:], ref, names.get, warnings)
    return legacy.decode_chunk(data, v1, warnings).samples
