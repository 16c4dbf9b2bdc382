"""Crafted recordings whose checksums are right: whatever they hold, reading and playing them
raises nothing but RecordingError, never hangs, and stays within a bounded amount of memory
(the heavy cases run in a child process under RLIMIT_AS = 1 GiB)."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, make_recording
from nettop.collectors import recording_legacy as legacy
from nettop.collectors import recording_v3 as v3
from nettop.collectors.recording import FILE_MAGIC, RecordingError, read_recording
from nettop.collectors.recording_base import MAX_BODY, MAX_COLUMNS
from nettop.collectors.replay import Player

HERE = Path(__file__).resolve().parent


# --- crafting ---------------------------------------------------------------------------------


def frame(meta: object, body: object = b"", *, raw: int | None = None, meta_z: bytes | None = None,
          body_z: bytes | None = None) -> bytes:
    """A v3 chunk of whatever meta and body, with every checksum right. `raw` (the body's size in
    the meta) follows the body unless given; `*_z` replace the compressed bytes (bombs)."""
    body_raw = body if isinstance(body, bytes) else msgspec.msgpack.encode(body)
    if isinstance(meta, list) and len(meta) == len(META):
        meta = [*meta[:RAW], len(body_raw) if raw is None else raw, *meta[RAW + 1:]]
    mz = meta_z if meta_z is not None else zlib.compress(msgspec.msgpack.encode(meta))
    bz = body_z if body_z is not None else zlib.compress(body_raw)
    head = v3.HEAD.pack(v3.MAGIC, len(mz), len(bz), zlib.crc32(bz, zlib.crc32(mz)), 0)[:-4]
    return head + struct.pack("<I", zlib.crc32(head)) + mz + bz


HEADER = {"format": v3.FORMAT, "host": "h", "kernel": "k", "netns": None, "interval": 0.1,
          "wall_origin": 1.8e9, "monotonic_origin": 0.0}
NAMES = ["TcpExt.A", "TcpExt.B"]
NAMES_ID = v3.names_id(NAMES)


META = v3.Meta.__struct_fields__
RAW = META.index("raw")


def meta(**over: Any) -> list[Any]:
    """A chunk's meta (an array: recording_v3.Meta) with some fields replaced."""
    m: dict[str, Any] = {"seq": 1, "t0": 10.0, "t1": 10.9, "count": 10, "raw": 0, "sources": ["netstat"],
                         "header": HEADER, "columns": {NAMES_ID: NAMES}, "downs": [], "marks": []}
    m.update(over)
    return [m[f] for f in META]


def block(**over: Any) -> list[Any]:
    b: dict[str, Any] = {"source": "netstat", "columns": NAMES_ID, "ts": [0] + [100_000] * 9,
                         "rows": [[i, i * 2] for i in range(10)], "details": []}
    b.update(over)
    return list(b.values())


def good_chunk(t0: float = 10.0, **over: Any) -> bytes:
    return frame(meta(t0=t0, t1=t0 + 0.9, **over), [block()])


def bomb(gigabytes: int = 2) -> bytes:
    """zlib data that inflates to `gigabytes` of zeros (its checksum is never reached)."""
    c = zlib.compressobj(9)
    zeros = b"\0" * (16 << 20)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * (gigabytes * 64 - 1) + c.flush()


def deep(depth: int = 100_000) -> bytes:
    return b"\x91" * depth + b"\xc0"


def legacy_file(records: list[Any], header: object = None) -> bytes:
    head = header if header is not None else {"k": "header", "format": "nettop.recording/2", "wall_origin": 1.0}
    return FILE_MAGIC + legacy.chunk([head]) + legacy_payload(records)


def legacy_payload(records: list[Any], payload: bytes | None = None) -> bytes:
    if payload is None:
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        payload = zlib.compress("\n".join(lines).encode())
    return legacy.HEAD.pack(legacy.MAGIC, len(payload), zlib.crc32(payload)) + payload


# --- exercising --------------------------------------------------------------------------------


def exercise(path: Path, warnings: list[str] | None = None) -> str:
    """Open, seek everywhere, play, ask for first values and every sample: 'refused' or 'read'
    (and what it warned about, once all was decoded, in `warnings`)."""
    try:
        rec = read_recording(path)
    except RecordingError:
        return "refused"
    player = Player(rec)
    for t in (rec.end, rec.start, (rec.start + rec.end) / 2, rec.start - 100, rec.end + 100, rec.start + 0.5):
        player.seek(t)
        player.advance(0.7)
        for key in player.store.sources():
            player.store.window(key, since=player.position - 60)
            player.store.detail(key)
    player.first_values(rec.start), player.first_values((rec.start + rec.end) / 2)
    assert all(len(s.values) == len(s.names) for s in rec.samples)
    assert all(math.isfinite(x) for x in (rec.start, rec.end, rec.wall(rec.end)))
    if warnings is not None:
        warnings.extend(rec.warnings)
    return "read"


WIDE = [f"c{i}" for i in range(MAX_COLUMNS)]
NO_ID = v3.names_id([])
CASES: dict[str, Callable[[], bytes]] = {
    # deep nesting, in every place a value can be
    "deep detail": lambda: FILE_MAGIC + frame(meta(sources=["qdiscs"], columns={NAMES_ID: NAMES}),
                                              [block(source="qdiscs", details=[[0, msgspec.Raw(deep())]])]),
    "deep body": lambda: FILE_MAGIC + frame(meta(), deep()),
    "deep meta": lambda: FILE_MAGIC + frame(None, meta_z=zlib.compress(deep())),
    "deep rows": lambda: FILE_MAGIC + frame(meta(), b"\x91\x95\xa7netstat\x00\x90" + deep()),
    "deep json": lambda: legacy_file(['{"s":"qdiscs","t":1,"n":[],"v":[],"d":' + "[" * 100_000 + "]" * 100_000 + "}",
                                      '{"s":"netstat","t":1,"n":["a"],"v":' + "[" * 100_000 + "}"]),
    # sizes: decompression bombs, a declared size past the limit, huge column counts
    "body bomb": lambda: FILE_MAGIC + frame(meta(), raw=MAX_BODY, body_z=bomb()),
    "body bomb, size understated": lambda: FILE_MAGIC + frame(meta(), raw=1000, body_z=bomb()),
    "meta bomb": lambda: FILE_MAGIC + frame(None, meta_z=bomb()),
    "legacy bomb": lambda: legacy_file([]) + legacy_payload([], payload=bomb()),
    "raw past the limit": lambda: FILE_MAGIC + frame(meta(), [block()], raw=1 << 40),
    "a million column names": lambda: FILE_MAGIC + frame(meta(columns={7: ["a"] * 1_000_000}), [block(columns=7)]),
    "the widest rows allowed": lambda: FILE_MAGIC + frame(meta(count=40, columns={v3.names_id(WIDE): WIDE}), [
        block(columns=v3.names_id(WIDE), ts=[0] * 40, rows=[[1] * MAX_COLUMNS] * 40)]),
    "two million one-value rows": lambda: FILE_MAGIC + frame(meta(), b"\x91\x95\xa7netstat\x00\x90\xdd\x00\x1f\xff\xf0"
                                                             + b"\x91\x00" * 0x1FFFF0),
    "the most samples allowed": lambda: FILE_MAGIC + frame(meta(count=1 << 18, sources=["links"], columns={NO_ID: []}),
                                                           b"\x91\x95\xa5links\xcf" + NO_ID.to_bytes(8, "big") + b"\xdd\x00\x04\x00\x00"
                                                           + b"\x00" * (1 << 18) + b"\x90\x90"),
    "legacy million names": lambda: legacy_file([{"s": "netstat", "t": 1.0, "n": ["a"] * 1_000_000, "v": [1]}]),
    # overlapping chunk heads, each with a right head checksum and a length within the file
    "overlapping heads": lambda: FILE_MAGIC + b"".join(
        _head_only(8 << 20) for _ in range(60_000)) + bytes(9 << 20),
}


def _head_only(length: int) -> bytes:
    head = v3.HEAD.pack(v3.MAGIC, 0, length, 0, 0)[:-4]
    return head + struct.pack("<I", zlib.crc32(head))


CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
sys.path[:0] = [{tests!r}, {here!r}]
from test_recording_fuzz import exercise
from pathlib import Path
out = {{}}
for path in sorted(Path({dir!r}).iterdir()):
    out[path.name] = exercise(path)
out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps(out))
"""


def test_crafted_files_read_in_bounded_memory_and_time(tmp_path: Path) -> None:
    crafted = tmp_path / "crafted"
    crafted.mkdir()
    for name, make in CASES.items():  # each after a good chunk: the file is read, the crafted part skipped
        data = make()
        if not data.startswith(FILE_MAGIC + legacy.MAGIC):
            data = FILE_MAGIC + good_chunk(0.0) + data[len(FILE_MAGIC):]
        (crafted / name.replace(" ", "_").replace(",", "")).write_bytes(data)
    code = CHILD.format(tests=str(HERE.parent), here=str(HERE), dir=str(crafted))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result.pop("maxrss_mb") < 700
    assert set(result.values()) == {"read"}, result  # the good chunk, the rest skipped


@pytest.mark.parametrize("name", sorted(set(CASES) - {"overlapping heads", "two million one-value rows", "the most samples allowed",
                                                       "the widest rows allowed"}))
def test_each_crafted_file_is_refused_or_read_with_a_warning(tmp_path: Path, name: str) -> None:
    (path := tmp_path / "x.ntr").write_bytes(CASES[name]())
    warnings: list[str] = []
    assert exercise(path, warnings) == "refused" or warnings


def test_overlapping_heads_cost_a_bounded_scan(tmp_path: Path) -> None:
    (path := tmp_path / "heads.ntr").write_bytes(FILE_MAGIC + good_chunk() + CASES["overlapping heads"]()[10:])
    rec = read_recording(path)
    assert any("too much damage" in w for w in rec.warnings) and len(rec.chunks) == 1


# --- targeted cases: the format's rules ---------------------------------------------------------

WRONG = {
    "times not finite": lambda: good_chunk(t0=math.nan),
    "t1 infinite": lambda: frame(meta(t1=math.inf), [block()]),
    "t0 after t1": lambda: frame(meta(t0=11.0, t1=10.0), [block()]),
    "a mark not finite": lambda: frame(meta(marks=[math.nan]), [block()]),
    "a down not finite": lambda: frame(meta(downs=[["netstat", math.inf, "x", False]]), [block()]),
    "negative step": lambda: frame(meta(), [block(ts=[0, -5] + [1] * 8)]),
    "negative count": lambda: frame(meta(count=-1), [block()]),
    "negative detail row": lambda: frame(meta(sources=["qdiscs"]), [block(source="qdiscs",
                                                                          details=[[-1, msgspec.Raw(b"\x90")]])]),
    "detail row past the rows": lambda: frame(meta(sources=["qdiscs"]), [block(
        source="qdiscs", details=[[99, msgspec.Raw(msgspec.msgpack.encode([]))]])]),
    "times past the chunk": lambda: frame(meta(), [block(ts=[0] + [10**12] * 9)]),
    "rows shorter than the columns": lambda: frame(meta(), [block(rows=[[1]] * 10)]),
    "fewer rows than times": lambda: frame(meta(), [block(rows=[[1, 2]] * 3)]),
    "columns never named": lambda: frame(meta(columns={}), [block(columns=12345)]),
    "names that do not match their id": lambda: frame(meta(columns={NAMES_ID: ["x", "y"]}), [block()]),
    "unknown source": lambda: frame(meta(sources=["nope"]), [block(source="nope")]),
    "detail of the wrong type": lambda: frame(meta(sources=["qdiscs"]), [block(
        source="qdiscs", details=[[0, msgspec.Raw(msgspec.msgpack.encode({"x": [1, "y"]}))]])]),
    "detail not msgpack": lambda: frame(meta(sources=["qdiscs"]), [block(source="qdiscs",
                                                                          details=[[0, msgspec.Raw(b"\xc1")]])]),
    "meta of the wrong type": lambda: frame([1, 2, 3], [block()]),
    "body of the wrong type": lambda: frame(meta(), {"a": 1}),
    "header of the wrong type": lambda: frame(meta(header={"format": v3.FORMAT, "host": 5, "wall_origin": "x"}),
                                              [block()]),
    "header not finite": lambda: frame(meta(header={**HEADER, "wall_origin": math.inf}), [block()]),
    "value past 64 bits in json": lambda: legacy.chunk([{"s": "netstat", "t": 10.0, "n": ["a"], "v": [10**30]}]),
    "json number too big": lambda: legacy_payload(['{"s":"netstat","t":1e999,"n":["a"],"v":[1]}']),
    "json of the wrong types": lambda: legacy_payload([{"s": 5, "t": "x", "v": "no"}, {"k": "down", "s": [], "t": {}},
                                                       {"k": "mark", "t": None}, [1, 2], "just text", 7]),
    "v1 detail shapes": lambda: legacy_payload([{"s": "classes", "t": 10.0, "n": [], "v": [],
                                                 "d": {"options": "x", "records": 5}},
                                                {"s": "classes", "t": 10.1, "n": [], "v": [],
                                                 "d": {"options": [[[1], 2, {}], [1, 2, 3]], "records": [{"ifindex": [],
                                                                                                          "handle": 1}]}},
                                                {"s": "links", "t": 10.2, "n": [], "v": [], "d": [1, "x", {"index": []}]},
                                                {"s": "protocols", "t": 10.3, "n": [], "v": [], "d": "\x00garbage\n" * 3}]),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_record_against_the_format_is_skipped_with_a_warning(tmp_path: Path, name: str) -> None:
    crafted = WRONG[name]()
    if crafted.startswith(legacy.MAGIC):
        header = {"k": "header", "format": "nettop.recording/1" if "v1" in name else "nettop.recording/2"}
        data = FILE_MAGIC + legacy.chunk([header]) + crafted + legacy_payload([{"s": "netstat", "t": 20.0,
                                                                               "n": ["a"], "v": [1]}])
    else:
        data = FILE_MAGIC + good_chunk(0.0, seq=0) + crafted + good_chunk(20.0, seq=2)
    path = tmp_path / "x.ntr"
    path.write_bytes(data)
    warnings: list[str] = []
    assert exercise(path, warnings) == "read"
    assert warnings, name
    assert read_recording(path).end >= 20.0  # the good chunk after it is read


def test_duplicate_and_missing_headers(tmp_path: Path) -> None:
    path = tmp_path / "x.ntr"
    path.write_bytes(FILE_MAGIC + good_chunk(0.0) + good_chunk(5.0, header={**HEADER, "host": "other"}))
    rec = read_recording(path)
    assert rec.header["host"] == "h" and any("header differ" in w for w in rec.warnings)
    path.write_bytes(FILE_MAGIC + good_chunk(0.0, header=None) + good_chunk(5.0, header=None))
    with pytest.raises(RecordingError, match="header"):
        read_recording(path)
    path.write_bytes(FILE_MAGIC + good_chunk(0.0, header=None) + good_chunk(5.0))  # only a later copy
    assert read_recording(path).header["host"] == "h"
    path.write_bytes(FILE_MAGIC + good_chunk(0.0) + good_chunk(5.0, header={**HEADER, "format": "nettop.recording/2"}))
    assert any("header differ" in w for w in read_recording(path).warnings)
    path.write_bytes(legacy_file([{"k": "header", "format": "nettop.recording/99"}]))  # a second, other one
    assert any("header differ" in w for w in read_recording(path).warnings)
    path.write_bytes(FILE_MAGIC + good_chunk(0.0) + legacy.chunk([{"k": "header", "format": "nettop.recording/2"}]))
    assert any("another format version" in w for w in read_recording(path).warnings)


# --- hypothesis: anything in any place ------------------------------------------------------------

LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats() | st.text(max_size=12)
VALUES = st.recursive(LEAVES | st.binary(max_size=12), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=6) | st.integers(0, 2**64 - 1), inner, max_size=4), max_leaves=20)
JSON_VALUES = st.recursive(LEAVES | st.integers(-(2**70), 2**70), lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


def paths(obj: object, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a value sits in a decoded tree (long lists: their first, second and last item)."""
    out = [here]
    if isinstance(obj, list):
        for i in sorted({0, 1, len(obj) - 1} & set(range(len(obj)))):
            out += paths(obj[i], (*here, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*here, k))
    return out


def replaced(obj: Any, path: tuple[Any, ...], value: object) -> Any:
    if not path:
        return value
    if isinstance(obj, list):
        return [replaced(v, path[1:], value) if i == path[0] else v for i, v in enumerate(obj)]
    return {k: replaced(v, path[1:], value) if k == path[0] else v for k, v in obj.items()}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, Any]]:
    """The (meta, body) of every chunk of a small recording, decoded to builtins."""
    data = make_recording(tmp_path_factory.mktemp("fuzz") / "base.ntr", steps=25).read_bytes()
    out, off = [], len(FILE_MAGIC)
    while off < len(data):
        _, ml, bl, _, _ = v3.HEAD.unpack_from(data, off)
        start = off + v3.HEAD.size
        out.append((msgspec.msgpack.decode(zlib.decompress(data[start:start + ml])),
                    msgspec.msgpack.decode(zlib.decompress(data[start + ml:start + ml + bl]))))
        off = start + ml + bl
    return out


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@FUZZ
@given(data=st.data(), value=VALUES, in_body=st.booleans(), keep_raw=st.booleans())
def test_anything_anywhere_in_a_checksummed_v3_chunk(tmp_path: Path, base: list[tuple[Any, Any]],
                                                     data: st.DataObject, value: object, in_body: bool,
                                                     keep_raw: bool) -> None:
    k = data.draw(st.integers(0, len(base) - 1))
    m, b = base[k]
    tree = b if in_body else m
    where = data.draw(st.sampled_from(paths(tree)))
    frames = [frame(mm, bb, raw=mm[RAW] if keep_raw and i == k else None) for i, (mm, bb) in enumerate(base)]
    frames[k] = frame(m, replaced(b, where, value)) if in_body else frame(replaced(m, where, value), b)
    path = tmp_path / "x.ntr"
    path.write_bytes(FILE_MAGIC + b"".join(frames))
    exercise(path)


@FUZZ
@given(data=st.data(), flips=st.lists(st.integers(0, 2**31), min_size=1, max_size=4), rechecksum=st.booleans())
def test_bit_flips_anywhere_with_or_without_their_checksums_fixed(tmp_path: Path, base: list[tuple[Any, Any]],
                                                                   data: st.DataObject, flips: list[int],
                                                                   rechecksum: bool) -> None:
    frames = [bytearray(frame(m, b)) for m, b in base]
    for flip in flips:
        f = frames[flip % len(frames)]
        f[(flip // 8) % len(f)] ^= 1 << (flip % 8)
    out = bytearray(FILE_MAGIC)
    for f in frames:
        if rechecksum and len(f) > v3.HEAD.size:
            _, ml, bl, _, _ = v3.HEAD.unpack_from(f)
            body = bytes(f[v3.HEAD.size:])
            head = v3.HEAD.pack(v3.MAGIC, ml, bl, zlib.crc32(body), 0)[:-4]
            out += head + struct.pack("<I", zlib.crc32(head)) + body
        else:
            out += f
    path = tmp_path / "x.ntr"
    path.write_bytes(bytes(out))
    exercise(path)


@FUZZ
@given(data=st.data(), value=JSON_VALUES)
def test_anything_anywhere_in_a_version_2_record(tmp_path: Path, data: st.DataObject, value: object) -> None:
    raw = (FIXTURES / "recordings" / "v2-procfs.ntr").read_bytes()
    off = len(FILE_MAGIC)
    chunks = []
    while off < len(raw):
        _, length, _ = legacy.HEAD.unpack_from(raw, off)
        chunks.append([json.loads(line) for line in zlib.decompress(raw[off + 12:off + 12 + length]).split(b"\n")])
        off += legacy.HEAD.size + length
    k = data.draw(st.integers(0, len(chunks) - 1))
    r = data.draw(st.integers(0, len(chunks[k]) - 1))
    where = data.draw(st.sampled_from(paths(chunks[k][r])))
    chunks[k][r] = replaced(chunks[k][r], where, value)
    path = tmp_path / "x.ntr"
    path.write_bytes(FILE_MAGIC + b"".join(legacy_payload(records) for records in chunks))
    exercise(path)


def test_the_fuzz_inputs_decode_when_left_alone(tmp_path: Path, base: list[tuple[Any, Any]]) -> None:
    """The mutations start from files that read without a warning (so a warning means the mutation)."""
    path = tmp_path / "x.ntr"
    path.write_bytes(FILE_MAGIC + b"".join(frame(m, b) for m, b in base))
    rec = read_recording(path)
    assert rec.warnings == [] and len(rec.samples) > 100 and exercise(path) == "read"
    path.write_bytes(FILE_MAGIC + good_chunk(0.0) + good_chunk(20.0))
    assert read_recording(path).warnings == [] and len(read_recording(path).samples) == 20
