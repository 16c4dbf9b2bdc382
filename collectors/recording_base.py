"""What every recording format shares: the errors, the records a chunk decodes to, the
header, the index entry of a chunk, and the limits that keep a crafted file bounded."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import msgspec

from .keys import Key

FILE_MAGIC = b"NETTOPREC\n"

# Limits (docs/recording.md). The writer never comes near them; a reader refuses past them.
MAX_BODY = 4 << 20  # decompressed bytes of one v3 chunk's samples
MAX_META = 4 << 20  # decompressed bytes of one v3 chunk's meta (times, events, column names)
MAX_LEGACY = 8 << 20  # decompressed bytes of one v1/v2 chunk (JSON lines)
MAX_FRAME = 16 << 20  # compressed bytes of a chunk, any version
MAX_COLUMNS = 1 << 16  # columns of one source
MAX_SAMPLES = 1 << 18  # samples in one v3 chunk (the recorder cuts a chunk at 100,000 values)
MAX_BLOCKS = 4096  # column blocks in one chunk
MAX_EVENTS = 4096  # downs and marks in one chunk
MAX_KEPT_EVENTS = 200_000  # downs and marks kept for a whole recording
MAX_NAME_BYTES = 64 << 20  # column names kept for a whole recording
MAX_WARNINGS = 200  # then one line says how many more


class RecordingError(ValueError):
    """Not a recording, or one of a format version this nettop does not read."""


class Header(msgspec.Struct, kw_only=True):
    """Who and where: what a replay on another machine needs to say what it shows. Unknown
    fields are ignored, so a newer minor field does not make a file unreadable."""

    format: str
    host: str | None = None
    kernel: str | None = None
    netns: str | None = None
    interval: float | None = None
    wall_origin: float = 0.0
    monotonic_origin: float = 0.0

    def valid(self) -> bool:
        times = (self.wall_origin, self.monotonic_origin, self.interval or 0.0)
        return all(math.isfinite(x) for x in times)

    def as_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


@dataclass(slots=True)
class Sample:
    key: Key[Any]
    t: float
    names: tuple[str, ...]
    values: list[int]
    detail: Any = None
    has_detail: bool = False


@dataclass(slots=True)
class Down:
    t: float
    key: Key[Any]
    reason: str
    applicable: bool = True


@dataclass(slots=True)
class ChunkRef:
    """Where a chunk is and what it holds, without its samples: the index a replay seeks by."""

    offset: int  # of the bytes after the chunk's head
    size: int  # how many bytes to read there
    crc: int
    t0: float = math.inf  # first and last sample time
    t1: float = -math.inf
    count: int = 0  # samples
    sources: int = 0  # bit i: the recording's source i has samples here
    meta_size: int = 0  # v3: the meta's compressed bytes (the body follows)
    raw: int = 0  # v3: the body's decompressed bytes


class Warnings(list[str]):
    """Warnings said once each, and at most MAX_WARNINGS of them."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()
        self.dropped = 0

    def add(self, message: str) -> None:
        if message in self._seen:
            return
        if len(self) >= MAX_WARNINGS:
            self.dropped += 1
            return
        self._seen.add(message)
        self.append(message)


def finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
