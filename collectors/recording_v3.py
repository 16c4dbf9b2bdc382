"""Format `nettop.recording/3`: msgpack records, columns in blocks, one chunk a second.

    chunk = head | meta | body
    head  = b"NTR3" | meta_len u32 | body_len u32 | crc32(meta + body) u32 | crc32(the 16 bytes before) u32
    meta  = zlib(msgpack Meta): times, sample count, sources, downs, marks; the header and
            column names when this chunk carries them
    body  = zlib(msgpack [Block]): per source and set of columns, the timestamps, a row of
            values per sample, and the details once a second

All integers little-endian. A block names its columns by an id (a hash of the names); the
names themselves ride in the meta of the first two chunks that use them and of every tenth
chunk, like the header, so one damaged chunk costs its own second and nothing else. The
reader validates every record against these types (msgspec: one step, bounded nesting)
and every detail through its key's codec.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from .keys import CodecError, Key, by_name
from .recording_base import (
    MAX_BLOCKS,
    MAX_BODY,
    MAX_COLUMNS,
    MAX_EVENTS,
    MAX_SAMPLES,
    ChunkRef,
    Header,
    Sample,
    Warnings,
    finite,
)

FORMAT = "nettop.recording/3"
MAGIC = b"NTR3"
HEAD = struct.Struct("<4sIIII")  # magic, meta_len, body_len, crc of meta + body, crc of the 16 bytes before
HEAD_CRC = struct.Struct("<I")
CARRY_EVERY = 10  # chunks between copies of the header and of the column names in use
LEVEL = 1  # zlib: level 1 is 2x faster than 6 and within 10 % of its size on these blocks
US = 1e6  # timestamps are kept to the microsecond

U64 = Annotated[int, msgspec.Meta(ge=0)]  # msgpack integers stop at 2**64 - 1
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_BODY)]
Names = Annotated[list[str], msgspec.Meta(max_length=MAX_COLUMNS)]
Row = Annotated[list[int], msgspec.Meta(min_length=1, max_length=MAX_COLUMNS)]
Samples = Annotated[int, msgspec.Meta(ge=0, le=MAX_SAMPLES)]


class DownRec(msgspec.Struct, array_like=True):
    source: str
    t: float
    reason: str
    na: bool


class DetailRec(msgspec.Struct, array_like=True):
    row: Count
    value: msgspec.Raw


class Block(msgspec.Struct, array_like=True):
    """One source's samples with one set of columns: `ts` are microseconds after the chunk's
    t0, each but the first as the step from the one before; one row of values per sample
    (none when the source has no columns)."""

    source: str
    columns: U64
    ts: Annotated[list[U64], msgspec.Meta(max_length=MAX_SAMPLES)]
    rows: Annotated[list[Row], msgspec.Meta(max_length=MAX_SAMPLES)]
    details: Annotated[list[DetailRec], msgspec.Meta(max_length=MAX_BLOCKS)] = []


class Meta(msgspec.Struct, array_like=True, kw_only=True):
    """A chunk's index entry and what rides along: an array, so 40 % smaller than a map; fields
    added later go at the end with a default (an older reader ignores them)."""

    seq: U64
    t0: float
    t1: float
    count: Samples
    raw: Count  # the body's decompressed size
    sources: Annotated[list[str], msgspec.Meta(max_length=MAX_BLOCKS)]
    header: Header | None = None
    columns: Annotated[dict[U64, Names], msgspec.Meta(max_length=MAX_BLOCKS)] = {}
    downs: Annotated[list[DownRec], msgspec.Meta(max_length=MAX_EVENTS)] = []
    marks: Annotated[list[float], msgspec.Meta(max_length=MAX_EVENTS)] = []


Body = Annotated[list[Block], msgspec.Meta(max_length=MAX_BLOCKS)]


def names_id(names: tuple[str, ...] | list[str]) -> int:
    digest = hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


# --- writing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Pending:
    """One source's samples with one set of columns, as the sampler hands them over."""

    source: str
    names: tuple[str, ...]
    columns: int
    ts: list[float] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)
    details: list[DetailRec] = field(default_factory=list)


@dataclass(slots=True)
class PendingChunk:
    seq: int
    blocks: list[Pending]
    downs: list[DownRec]
    marks: list[float]
    header: Header | None
    columns: dict[int, list[str]]


def _block(p: Pending, t0: float) -> Block:
    us = [int((t - t0) * US + 0.5) for t in p.ts]
    steps = [b - a for a, b in zip([0, *us], us, strict=False)]
    if min(steps) < 0:  # a source's times never go backwards: a caller's clock did
        us = list(itertools.accumulate(us, max))
        steps = [b - a for a, b in zip([0, *us], us, strict=False)]
    return Block(p.source, p.columns, steps, p.rows if p.names else [], p.details)


def encode_chunk(chunk: PendingChunk) -> bytes:
    """The chunk's bytes, head included. Runs in the recorder's writer thread."""
    t0 = min((p.ts[0] for p in chunk.blocks), default=0.0)
    t1 = max((max(p.ts) for p in chunk.blocks), default=0.0)
    body = msgspec.msgpack.encode([_block(p, t0) for p in chunk.blocks])
    meta = Meta(seq=chunk.seq, t0=t0, t1=t1, count=sum(len(p.ts) for p in chunk.blocks), raw=len(body),
                sources=sorted({p.source for p in chunk.blocks}), header=chunk.header, columns=chunk.columns,
                downs=chunk.downs, marks=chunk.marks)
    meta_z = zlib.compress(msgspec.msgpack.encode(meta), LEVEL)
    body_z = zlib.compress(body, LEVEL)
    crc = zlib.crc32(body_z, zlib.crc32(meta_z))
    head = HEAD.pack(MAGIC, len(meta_z), len(body_z), crc, 0)[:-HEAD_CRC.size]
    return head + HEAD_CRC.pack(zlib.crc32(head)) + meta_z + body_z


def encode_detail(key: Key[Any], detail: object) -> msgspec.Raw:
    return msgspec.Raw(msgspec.msgpack.encode(key.encode(detail)))


# --- reading ---------------------------------------------------------------------------------


def inflate(data: bytes, limit: int) -> bytes | None:
    """Decompressed data, or None past `limit` bytes or when it is not zlib."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit)
    except zlib.error:
        return None
    return out if d.eof and not d.unconsumed_tail else None


def decode_meta(data: bytes, limit: int) -> Meta | str:
    """A chunk's meta, or why it is unusable."""
    raw = inflate(data, limit)
    if raw is None:
        return "its meta does not decompress within the limits"
    try:
        meta = msgspec.msgpack.decode(raw, type=Meta)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        return f"its meta is not valid: {exc}"
    if not finite(meta.t0, meta.t1, *meta.marks, *(d.t for d in meta.downs)) or meta.t0 > meta.t1:
        return "its times are not finite or not in order"
    return meta


NamesOf = Callable[[int], "tuple[str, ...] | None"]


def decode_body(body_z: bytes, ref: ChunkRef, names_of: NamesOf, warnings: Warnings) -> list[Sample]:
    """The samples of a chunk, in time order; bad blocks are skipped with a warning."""
    raw = inflate(body_z, ref.raw)
    if raw is None or len(raw) != ref.raw:
        warnings.add(f"chunk at byte {ref.offset}: its samples do not decompress to the size its meta says; skipped")
        return []
    try:
        blocks = msgspec.msgpack.decode(raw, type=Body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        warnings.add(f"chunk at byte {ref.offset}: samples not valid ({exc}); skipped")
        return []
    if sum(len(b.ts) for b in blocks) > ref.count:
        warnings.add(f"chunk at byte {ref.offset}: more samples than its meta says; skipped")
        return []
    out: list[Sample] = []
    for block in blocks:
        out.extend(_samples(block, ref, names_of, warnings))
    out.sort(key=lambda s: s.t)
    return out


def _samples(block: Block, ref: ChunkRef, names_of: NamesOf, warnings: Warnings) -> list[Sample]:
    key = by_name(block.source)
    if key is None:
        warnings.add(f"samples of an unknown source {block.source!r} skipped")
        return []
    names = names_of(block.columns)
    if names is None:
        warnings.add(f"samples of {key.name} whose column names were in a damaged chunk skipped")
        return []
    times = _times(block.ts, ref)
    rows = block.rows if names else [[] for _ in block.ts]
    if times is None or len(rows) != len(times) or any(len(row) != len(names) for row in rows):
        warnings.add(f"chunk at byte {ref.offset}: a block of {key.name} does not fit its columns or times; skipped")
        return []
    details = {d.row: d.value for d in block.details} if key.has_detail else {}
    if any(row >= len(times) for row in details):
        warnings.add(f"chunk at byte {ref.offset}: a detail of {key.name} for a sample it does not have skipped")
    out = []
    for i, t in enumerate(times):
        raw = details.get(i)
        detail = None if raw is None else decode_detail(key, raw, warnings)
        out.append(Sample(key, t, names, rows[i], detail, detail is not None))
    return out


def _times(steps: list[int], ref: ChunkRef) -> list[float] | None:
    out, us = [], 0
    for step in steps:
        us += step
        out.append(min(ref.t0 + us / US, ref.t1))  # rounding never moves a sample past the chunk's end
    if out and not (math.isfinite(out[-1]) and ref.t0 + us / US <= ref.t1 + 1e-6):
        return None
    return out


def decode_detail(key: Key[Any], raw: msgspec.Raw, warnings: Warnings) -> Any:
    try:
        return key.decode(msgspec.msgpack.decode(raw))
    except (msgspec.DecodeError, RecursionError) as exc:
        warnings.add(f"detail of {key.name} skipped: {exc}")
    except CodecError as exc:
        warnings.add(f"detail skipped: {exc}")
    return None
