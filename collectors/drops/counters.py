"""Live kernel packet-drop counts by (code location, drop reason) from skb:kfree_skb.

Two engines, chosen by `open_drop_counter`:

* "bpf": a ~30-instruction tracepoint program, assembled at run time with the field
  offsets read from the event's `format` file, counts every drop into a per-CPU hash keyed
  by (location, reason). Cost: one map update per drop in the kernel (~120 ns), one batch
  lookup per `DropCounter.read`.
* "perf-sample": when BPF cannot load, one tracepoint perf event per CPU; its counter
  gives the exact per-CPU total, and raw samples (one every *period* drops, the period
  adapted to the rate, parsed from an mmap'ed ring) share that total among the keys.

Both report cumulative counts since open; `untracked` holds drops counted but not
attributed (BPF: map full; perf-sample: no sample yet on that CPU). Everything opened is
closed by `close()` (or when the counter is garbage collected): no program, map or perf
event outlives it. Not thread-safe: call `read` from one thread.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
import time
import weakref
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

from . import bpfsys as bs
from .tracepoint import DEFAULT_TRACEFS, DropsUnavailable, TracepointFormat, cpus, load_event

MAX_ENTRIES = 4096
KEY = struct.Struct("=QII")  # location u64, reason u32, pad u32
UNTRACKED = (0, 0xFFFFFFFF)  # reserved key: drops that found the map full
NO_BPF_ENV = "NETTOP_DROPS_NO_BPF"


def build_program(fmt: TracepointFormat, map_fd: int) -> bytes:
    """Tracepoint program: counts[(ctx->location, ctx->reason)] += 1, return 1."""
    loc_off, loc_size = fmt.offsets["location"]
    rsn_off, rsn_size = fmt.offsets["reason"]
    a = bs.Asm()
    a(bs.mov64_reg(bs.R6, bs.R1))                        # r6 = ctx (raw trace record)
    a(bs.ldx_mem(loc_size, bs.R1, bs.R6, loc_off))       # r1 = ctx->location
    a(bs.stx_mem(8, bs.R10, bs.R1, -16))                 # key.location = r1
    a(bs.ldx_mem(rsn_size, bs.R1, bs.R6, rsn_off))       # r1 = ctx->reason
    a(bs.stx_mem(4, bs.R10, bs.R1, -8))                  # key.reason = r1
    a(bs.st_mem(4, bs.R10, -4, 0))                       # key.pad = 0
    a(bs.mov64_reg(bs.R7, bs.R10))                       # r7 = fp
    a(bs.add64_imm(bs.R7, -16))                          # r7 = &key
    a(bs.ld_map_fd(bs.R1, map_fd))                       # r1 = map
    a(bs.mov64_reg(bs.R2, bs.R7))                        # r2 = &key
    a(bs.call(bs.FN_MAP_LOOKUP_ELEM))                    # r0 = this CPU's counter or NULL
    a.jump(a.JNE, bs.R0, 0, "inc")                       # found: add one
    a(bs.st_mem(8, bs.R10, -24, 1))                      # value = 1
    a(bs.ld_map_fd(bs.R1, map_fd))                       # r1 = map
    a(bs.mov64_reg(bs.R2, bs.R7))                        # r2 = &key
    a(bs.mov64_reg(bs.R3, bs.R10))                       # r3 = fp
    a(bs.add64_imm(bs.R3, -24))                          # r3 = &value
    a(bs.mov64_imm(bs.R4, bs.BPF_ANY))                   # flags: a racing CPU only set its own slot
    a(bs.call(bs.FN_MAP_UPDATE_ELEM))                    # insert {key: 1}
    a.jump(a.JEQ, bs.R0, 0, "out")                       # inserted: done
    a(bs.st_mem(8, bs.R10, -16, UNTRACKED[0]))           # map full: key = UNTRACKED
    a(bs.st_mem(4, bs.R10, -8, -1))                      # key.reason = 0xffffffff
    a(bs.ld_map_fd(bs.R1, map_fd))                       # r1 = map
    a(bs.mov64_reg(bs.R2, bs.R7))                        # r2 = &key
    a(bs.call(bs.FN_MAP_LOOKUP_ELEM))                    # r0 = untracked counter
    a.jump(a.JEQ, bs.R0, 0, "out")                       # (pre-inserted, never NULL)
    a.label("inc")
    a(bs.mov64_imm(bs.R1, 1))                            # r1 = 1
    a(bs.atomic_add64(bs.R0, bs.R1, 0))                  # *r0 += 1
    a.label("out")
    a(bs.mov64_imm(bs.R0, 1))                            # 1: let other perf users see the event
    a(bs.exit_insn())
    return a.assemble()


def _release(fds: list[int], rings: list[bs.PerfRing]) -> None:
    for ring in rings:
        ring.close()
    for fd in reversed(fds):  # perf events, then program, then map
        os.close(fd)
    rings.clear()
    fds.clear()


class DropCounter:
    """Cumulative drop counts since open; call :meth:`read` at least every few seconds."""

    method = ""

    def __init__(self, fmt: TracepointFormat) -> None:
        self.format = fmt
        self.untracked = 0  # drops seen but not attributable to a (location, reason)
        self.fallback_reason: str | None = None  # why BPF was not used, for "perf-sample"
        self._fds: list[int] = []
        self._rings: list[bs.PerfRing] = []
        self._finalizer = weakref.finalize(self, _release, self._fds, self._rings)

    def read(self) -> dict[tuple[int, int], int]:
        raise NotImplementedError

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> Self:
        return self

    def __exit__(self, typ: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class BpfDropCounter(DropCounter):
    method = "bpf"

    def __init__(self, fmt: TracepointFormat, tp_id: int, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(fmt)
        self.ncpus = len(cpus("possible"))
        self.max_entries = max_entries + 1  # + the UNTRACKED slot
        self._batch = True
        try:
            self._setup(tp_id)
        except BaseException:
            self.close()
            raise
        self._keys = ctypes.create_string_buffer(KEY.size * self.max_entries)
        self._values = ctypes.create_string_buffer(8 * self.ncpus * self.max_entries)
        self._tokens = (ctypes.create_string_buffer(8), ctypes.create_string_buffer(8))

    def _setup(self, tp_id: int) -> None:
        self.map_fd = bs.map_create(bs.BPF_MAP_TYPE_PERCPU_HASH, KEY.size, 8, self.max_entries, "nettop_drops")
        self._fds.append(self.map_fd)
        bs.map_update(self.map_fd, KEY.pack(*UNTRACKED, 0), bytes(8 * self.ncpus))
        self.prog_fd = bs.prog_load(bs.BPF_PROG_TYPE_TRACEPOINT, build_program(self.format, self.map_fd),
                                    "nettop_drops")
        self._fds.append(self.prog_fd)
        # One event is enough: a tracepoint's BPF programs run on every CPU.
        perf_fd = bs.perf_event_open(tp_id, cpus("online")[0])
        self._fds.append(perf_fd)
        bs.perf_ioctl(perf_fd, bs.PERF_EVENT_IOC_SET_BPF, self.prog_fd)
        bs.perf_ioctl(perf_fd, bs.PERF_EVENT_IOC_ENABLE)

    def prog_info(self) -> dict[str, str]:
        """fdinfo of the program: prog_id, run_time_ns, run_cnt (with bpf_stats_enabled)."""
        return bs.fdinfo(self.prog_fd)

    def read(self) -> dict[tuple[int, int], int]:
        if self.closed:
            raise ValueError("read() on a closed DropCounter")
        out: dict[tuple[int, int], int] = {}
        for key, total in self._entries():
            if key == UNTRACKED:
                self.untracked = total
            elif total:
                out[key] = total
        return out

    def _entries(self) -> list[tuple[tuple[int, int], int]]:
        if self._batch:
            try:
                return self._entries_batch()
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, bs.ENOTSUPP, errno.EOPNOTSUPP):
                    raise
                self._batch = False  # kernel < 5.6: walk keys one by one
        return self._entries_walk()

    def _entries_batch(self) -> list[tuple[tuple[int, int], int]]:
        result: list[tuple[tuple[int, int], int]] = []
        token_in: ctypes.Array[ctypes.c_char] | None = None
        for _ in range(self.max_entries + 1):  # bounded; normally 1 call
            n, done = bs.map_lookup_batch(self.map_fd, self._keys, self._values, self.max_entries,
                                          token_in, self._tokens[1])
            result += self._decode(ctypes.string_at(self._keys, n * KEY.size),
                                   ctypes.string_at(self._values, n * 8 * self.ncpus))
            if done:
                break
            ctypes.memmove(self._tokens[0], self._tokens[1], 8)
            token_in = self._tokens[0]
        return result

    def _entries_walk(self) -> list[tuple[tuple[int, int], int]]:
        keys = list(bs.map_keys(self.map_fd, KEY.size))
        vals = [bs.map_lookup(self.map_fd, k, 8 * self.ncpus) for k in keys]
        pairs = [(k, v) for k, v in zip(keys, vals, strict=True) if v is not None]
        return self._decode(b"".join(k for k, _ in pairs), b"".join(v for _, v in pairs))

    def _decode(self, keys: bytes, values: bytes) -> list[tuple[tuple[int, int], int]]:
        counts = memoryview(values).cast("Q")
        n = self.ncpus
        return [((loc, reason), sum(counts[i * n:(i + 1) * n]))
                for i, (loc, reason, _) in enumerate(KEY.iter_unpack(keys))]


class PerfSampleDropCounter(DropCounter):
    """Per-CPU sampling: exact per-CPU totals from the event counters, attributed to
    (location, reason) in proportion to the raw samples of the same interval."""

    method = "perf-sample"
    RAW_AT = 12  # sample record: header(8) raw_size(4) raw trace entry
    TARGET_SAMPLES_PER_S = 500  # per CPU; the 64-page ring holds ~8 s of that
    MAX_PERIOD = 1 << 16

    def __init__(self, fmt: TracepointFormat, tp_id: int, period: int = 1, pages: int = 64,
                 adaptive: bool = True) -> None:
        super().__init__(fmt)
        self.adaptive = adaptive
        self.samples = 0  # raw samples parsed
        self.lost_samples = 0  # samples the kernel could not write (ring full); totals stay exact
        self._acc: dict[tuple[int, int], float] = {}
        self._loc, self._rsn = self._field("location"), self._field("reason")
        self.periods: list[int] = []  # current sample period per CPU
        self._seen: list[int] = []  # counter value at the last read, per CPU
        self._pending: list[int] = []  # events counted but not yet attributed, per CPU
        self._last = time.monotonic()
        try:
            for cpu in cpus("online"):
                fd = bs.perf_event_open(tp_id, cpu, period, bs.PERF_SAMPLE_RAW)
                self._fds.append(fd)
                self._rings.append(bs.PerfRing(fd, pages))
            for fd in self._fds:
                bs.perf_ioctl(fd, bs.PERF_EVENT_IOC_ENABLE)
        except BaseException:
            self.close()
            raise
        n = len(self._fds)
        self.periods, self._seen, self._pending = [period] * n, [0] * n, [0] * n

    def _field(self, name: str) -> tuple[int, struct.Struct]:
        off, size = self.format.offsets[name]
        return self.RAW_AT + off, struct.Struct("=" + {1: "B", 2: "H", 4: "I", 8: "Q"}[size])

    def read(self) -> dict[tuple[int, int], int]:
        if self.closed:
            raise ValueError("read() on a closed DropCounter")
        now = time.monotonic()
        elapsed, self._last = max(now - self._last, 1e-3), now
        rates = []
        for cpu, (fd, ring) in enumerate(zip(self._fds, self._rings, strict=True)):
            total = bs.perf_read_count(fd)
            new, self._seen[cpu] = total - self._seen[cpu], total
            self._attribute(cpu, new, self._samples(ring.drain()))
            rates.append(new / elapsed)
        if self.adaptive:
            self._adapt(rates)
        self.untracked = sum(self._pending)
        return {key: round(n) for key, n in self._acc.items() if n >= 0.5}

    def _samples(self, blob: bytes) -> Counter[tuple[int, int]]:
        """Count the raw samples of one ring by (location, reason)."""
        (loc_at, loc), (rsn_at, rsn) = self._loc, self._rsn
        out: Counter[tuple[int, int]] = Counter()
        pos, unpack_hdr = 0, struct.Struct("=IHH").unpack_from
        while pos + 8 <= len(blob):
            typ, _, size = unpack_hdr(blob, pos)
            if size == 0:
                break
            if typ == bs.PERF_RECORD_SAMPLE:
                out[(loc.unpack_from(blob, pos + loc_at)[0], rsn.unpack_from(blob, pos + rsn_at)[0])] += 1
            elif typ == bs.PERF_RECORD_LOST:
                self.lost_samples += struct.unpack_from("=Q", blob, pos + 16)[0]
            pos += size
        self.samples += sum(out.values())
        return out

    def _attribute(self, cpu: int, new: int, samples: Counter[tuple[int, int]]) -> None:
        """Share this CPU's new (and pending) events among the keys seen in its samples."""
        events, n = self._pending[cpu] + new, sum(samples.values())
        if not n:
            self._pending[cpu] = events  # e.g. fewer events than one period: wait for samples
            return
        for key, k in samples.items():
            self._acc[key] = self._acc.get(key, 0.0) + events * k / n
        self._pending[cpu] = 0

    def _adapt(self, rates: list[float]) -> None:
        """Per CPU, a power-of-two period giving about TARGET_SAMPLES_PER_S samples, at
        least 1/8 of the busiest CPU's (a flood that migrates must not hit period 1)."""
        wants = []
        for rate in rates:
            want = 1
            while want < self.MAX_PERIOD and rate / want > self.TARGET_SAMPLES_PER_S:
                want *= 2
            wants.append(want)
        floor = max(wants) // 8
        for cpu, wanted in enumerate(wants):
            period, cur = max(wanted, floor), self.periods[cpu]
            if period > cur or period * 4 <= cur:  # grow at once, shrink with hysteresis
                bs.perf_set_period(self._fds[cpu], period)
                self.periods[cpu] = period


def _explain(exc: OSError, bpf_error: str | None) -> str:
    if exc.errno in (errno.EPERM, errno.EACCES):
        return f"not permitted (needs root or CAP_PERFMON+CAP_BPF): {exc.strerror}"
    return f"{exc.strerror} (BPF: {bpf_error})" if bpf_error else str(exc.strerror)


def open_drop_counter(tracefs: Path = DEFAULT_TRACEFS, allow_bpf: bool = True) -> DropCounter:
    """Open the best available counter; raise DropsUnavailable if none works."""
    fmt, tp_id = load_event(tracefs)
    bpf_error = "BPF disabled"
    if allow_bpf and not os.environ.get(NO_BPF_ENV):
        try:
            return BpfDropCounter(fmt, tp_id)
        except OSError as exc:
            bpf_error = str(exc)
    try:
        counter = PerfSampleDropCounter(fmt, tp_id)
    except OSError as exc:
        raise DropsUnavailable(_explain(exc, bpf_error)) from exc
    counter.fallback_reason = bpf_error
    return counter
