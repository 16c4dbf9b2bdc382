"""Reading formats 1 and 2: zlib-compressed JSON lines in b"NTRC" chunks (docs/recording.md).

Every line is decoded into a typed record (msgspec: one step, bounded nesting); a line
that does not fit is skipped with a warning, a detail goes through its key's codec (or the
version-1 converter), and a sample whose values do not match its columns is dropped.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from . import recording_v1
from .keys import CodecError, Key, by_name
from .recording_base import MAX_COLUMNS, MAX_LEGACY, Down, Header, Sample, Warnings
from .recording_v3 import inflate

MAGIC = b"NTRC"
HEAD = struct.Struct("=4sII")  # magic, payload length, crc32 of the payload (the machine's byte order)
FORMAT_V2 = "nettop.recording/2"
FORMATS = (FORMAT_V2, recording_v1.FORMAT)
INT_MIN, INT_MAX = -(1 << 63), (1 << 64) - 1  # what a kernel counter or gauge can be


class Record(msgspec.Struct):
    """Any line of a version 1 or 2 chunk: the header, a sample, a down or a mark."""

    k: str | None = None
    s: str | None = None
    t: float | None = None
    v: list[int] | None = None
    n: Annotated[list[str], msgspec.Meta(max_length=MAX_COLUMNS)] | None = None
    d: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    e: str | None = None
    na: bool = False


@dataclass
class LegacyChunk:
    header: Header | None = None
    samples: list[Sample] = field(default_factory=list)
    downs: list[Down] = field(default_factory=list)
    marks: list[float] = field(default_factory=list)


@dataclass
class _Decoder:
    v1: bool
    warnings: Warnings
    details: bool
    out: LegacyChunk = field(default_factory=LegacyChunk)
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a chunk names its columns again

    def line(self, line: bytes) -> None:
        try:
            rec = msgspec.json.decode(line, type=Record)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            self.warnings.add("undecodable record skipped")
            return
        if rec.t is not None and not math.isfinite(rec.t):
            self.warnings.add("record with a time that is not finite skipped")
        elif rec.k == "header":
            self.header(line)
        elif rec.k == "down" and rec.s is not None and rec.t is not None:
            key = self.key(rec.s)
            if key is not None:
                self.out.downs.append(Down(rec.t, key, rec.e or "", not rec.na))
        elif rec.k == "mark" and rec.t is not None:
            self.out.marks.append(rec.t)
        elif rec.k is None and rec.s is not None and rec.t is not None and rec.v is not None:
            self.sample(rec, rec.s, rec.t, rec.v)
        else:
            self.warnings.add("record of an unknown kind skipped")

    def header(self, line: bytes) -> None:
        try:
            header = msgspec.json.decode(line, type=Header)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.warnings.add("a header record that does not fit skipped")
            return
        if header.valid() and self.out.header is None:
            self.out.header = header

    def key(self, name: str) -> Key[Any] | None:
        key = by_name(name)
        if key is None:
            self.warnings.add(f"samples of an unknown source {name!r} skipped")
        return key

    def sample(self, rec: Record, source: str, t: float, values: list[int]) -> None:
        key = self.key(source)
        if key is None:
            return
        if rec.n is not None:
            names = tuple(rec.n)
            self.names[key.name] = recording_v1.columns(key, names) if self.v1 else names
        names = self.names.get(key.name, ())
        if key.name not in self.names or len(values) != len(names):
            self.warnings.add(f"sample of {key.name} without its column names skipped")
            return
        if values and not (min(values) >= INT_MIN and max(values) <= INT_MAX):
            self.warnings.add(f"sample of {key.name} with a value past 64 bits skipped")
            return
        detail = self.detail(key, rec.d) if self.details and len(rec.d) else None
        self.out.samples.append(Sample(key, t, names, values, detail, detail is not None))

    def detail(self, key: Key[Any], raw: msgspec.Raw) -> Any:
        if not key.has_detail:
            return None
        try:
            obj = msgspec.json.decode(raw)
            return recording_v1.detail(key, obj) if self.v1 else key.decode(obj)
        except (msgspec.DecodeError, RecursionError) as exc:
            self.warnings.add(f"detail of {key.name} skipped: {exc}")
        except CodecError as exc:
            self.warnings.add(f"detail skipped: {exc}")
        return None


def decode_chunk(payload: bytes, v1: bool, warnings: Warnings, details: bool = True) -> LegacyChunk:
    """What a chunk holds; `details=False` leaves details out (the index needs times only)."""
    text = inflate(payload, MAX_LEGACY)
    if text is None:
        warnings.add(f"chunk that does not decompress within {MAX_LEGACY >> 20} MiB skipped")
        return LegacyChunk()
    dec = _Decoder(v1, warnings, details)
    for line in text.split(b"\n"):
        if line:
            dec.line(line)
    dec.out.samples.sort(key=lambda s: s.t)
    return dec.out


def chunk(records: list[dict[str, Any]]) -> bytes:
    """A version 2 chunk: what old recorders wrote (tests craft files with it)."""
    payload = zlib.compress("\n".join(json.dumps(r, separators=(",", ":")) for r in records).encode(), 6)
    return HEAD.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload
