"""Every root qdisc's highest backlog between two reads, kept by the kernel itself.

Sampling a queue that fills and drains in 30 ms needs a read every few milliseconds, and on a
VM each wake-up alone costs about 0.1 ms of CPU: a 100 Hz sampler is 1% of a core before it
reads anything. Here the kernel does the watching: a tracepoint program on `qdisc:qdisc_enqueue`
(fired after every enqueue on a device's root qdisc) reads the qdisc's `qstats.backlog` (its
offset from BTF, so from this very kernel) and keeps, per (ifindex, handle) and per CPU, the
highest value seen. Each read takes the maxima and clears them, so a burst shows at its full
height in the sample after it, at any sampling rate. Per enqueue: four probe reads and a map
lookup (its cost per packet was not measured separately); everything is closed with the tracker.

Only root qdiscs: the tracepoint is in dev_qdisc_enqueue(), and a classful root (htb) counts its
children's backlog in its own. Where it cannot load (not root, no BTF, kernel without the
tracepoint), `open_peaks` returns None and the qdiscs are only sampled.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
import weakref
from dataclasses import dataclass
from pathlib import Path

from .drops import bpfsys as bs
from .drops.btf import BtfError, vmlinux
from .drops.tracepoint import DEFAULT_TRACEFS, DropsUnavailable, cpus, parse_format

EVENT = "events/qdisc/qdisc_enqueue"
KEY = struct.Struct("=III")  # ifindex, handle, parent
MAX_ENTRIES = 4096
BATCH = 256  # entries per batched take


@dataclass(frozen=True)
class Layout:
    """Where the program finds things: tracepoint fields, then struct members from BTF."""

    qdisc: int    # ctx->qdisc
    txq: int      # ctx->txq
    ifindex: int
    handle: int
    parent: int
    backlog: int  # Qdisc.qstats.backlog
    dev: int      # netdev_queue.dev
    net: int      # net_device.nd_net.net
    inum: int     # net.ns.inum


def _read_ptr(a: bs.Asm, helper: int, size: int, offset: int) -> None:
    """r3 += offset; fp[-24] = *(r3) (size bytes, zero-filled); unreadable: out."""
    a(bs.st_mem(8, bs.R10, -24, 0))
    a(bs.add64_imm(bs.R3, offset))
    a(bs.mov64_reg(bs.R1, bs.R10))
    a(bs.add64_imm(bs.R1, -24))
    a(bs.mov64_imm(bs.R2, size))
    a(bs.call(helper))
    a.jump(a.JNE, bs.R0, 0, "out")
    a(bs.ldx_mem(8, bs.R3, bs.R10, -24))


def build_program(at: Layout, netns_inode: int, map_fd: int, helper: int) -> bytes:
    """In our namespace only: peak[(ifindex, handle, parent)] = max(peak, ctx->qdisc->qstats.backlog),
    per CPU. The namespace is ctx->txq->dev->nd_net.net->ns.inum, compared with ours."""
    a = bs.Asm()
    a(bs.mov64_reg(bs.R6, bs.R1))                          # r6 = ctx
    a(bs.ldx_mem(8, bs.R3, bs.R6, at.txq))                 # r3 = txq
    _read_ptr(a, helper, 8, at.dev)                        # r3 = txq->dev
    _read_ptr(a, helper, 8, at.net)                        # r3 = dev->nd_net.net
    _read_ptr(a, helper, 4, at.inum)                       # r3 = net->ns.inum
    a(bs.mov32_imm(bs.R2, netns_inode))
    a.jump(a.JNE_REG, bs.R3, 0, "out", src=bs.R2)          # another namespace's queue
    a(bs.st_mem(8, bs.R10, -8, 0))                         # value = 0 (8 bytes; 4 are read)
    a(bs.ldx_mem(8, bs.R3, bs.R6, at.qdisc))               # r3 = ctx->qdisc
    a(bs.add64_imm(bs.R3, at.backlog))                     # r3 = &qdisc->qstats.backlog
    a(bs.mov64_reg(bs.R1, bs.R10))
    a(bs.add64_imm(bs.R1, -8))                             # r1 = &value
    a(bs.mov64_imm(bs.R2, 4))                              # r2 = 4 bytes
    a(bs.call(helper))                                     # probe_read_kernel(&value, 4, r3)
    a.jump(a.JNE, bs.R0, 0, "out")                         # unreadable: nothing
    a(bs.st_mem(4, bs.R10, -40, 0))                        # key padding-free: 3 x u32 at fp-40
    a(bs.ldx_mem(4, bs.R1, bs.R6, at.ifindex))
    a(bs.stx_mem(4, bs.R10, bs.R1, -40))                   # key.ifindex
    a(bs.ldx_mem(4, bs.R1, bs.R6, at.handle))
    a(bs.stx_mem(4, bs.R10, bs.R1, -36))                   # key.handle
    a(bs.ldx_mem(4, bs.R1, bs.R6, at.parent))
    a(bs.stx_mem(4, bs.R10, bs.R1, -32))                   # key.parent
    a(bs.ld_map_fd(bs.R1, map_fd))
    a(bs.mov64_reg(bs.R2, bs.R10))
    a(bs.add64_imm(bs.R2, -40))                            # r2 = &key
    a(bs.call(bs.FN_MAP_LOOKUP_ELEM))                      # r0 = this CPU's peak or NULL
    a.jump(a.JNE, bs.R0, 0, "found")
    a(bs.ld_map_fd(bs.R1, map_fd))
    a(bs.mov64_reg(bs.R2, bs.R10))
    a(bs.add64_imm(bs.R2, -40))                            # r2 = &key
    a(bs.mov64_reg(bs.R3, bs.R10))
    a(bs.add64_imm(bs.R3, -8))                             # r3 = &value
    a(bs.mov64_imm(bs.R4, bs.BPF_ANY))
    a(bs.call(bs.FN_MAP_UPDATE_ELEM))                      # first sight: peak = value (map full: dropped)
    a.jump(bs.Asm.JA, 0, 0, "out")
    a.label("found")
    a(bs.ldx_mem(8, bs.R1, bs.R0, 0))                      # r1 = peak
    a(bs.ldx_mem(8, bs.R2, bs.R10, -8))                    # r2 = value
    a.jump(a.JLE_REG, bs.R2, 0, "out", src=bs.R1)          # value <= peak: keep
    a(bs.stx_mem(8, bs.R0, bs.R2, 0))                      # peak = value (per CPU: no race)
    a.label("out")
    a(bs.mov64_imm(bs.R0, 0))
    a(bs.exit_insn())
    return a.assemble()


def layout(tracefs: Path) -> Layout:
    fmt = parse_format((tracefs / EVENT / "format").read_text()[:1 << 20])
    btf = vmlinux()
    fields = {name: fmt.offsets[name][0] for name in ("qdisc", "txq", "ifindex", "handle", "parent")}
    return Layout(**fields, backlog=btf.offset("Qdisc", "qstats.backlog"), dev=btf.offset("netdev_queue", "dev"),
                  net=btf.offset("net_device", "nd_net.net"), inum=btf.offset("net", "ns.inum"))


def _release(fds: list[int]) -> None:
    for fd in reversed(fds):
        os.close(fd)
    fds.clear()


class QdiscPeaks:
    """Open: program attached, for the calling thread's network namespace. `take()`:
    {(ifindex, handle, parent): peak backlog bytes} since the last take."""

    def __init__(self, tracefs: Path = DEFAULT_TRACEFS) -> None:
        at = layout(tracefs)
        tp_id = int((tracefs / EVENT / "id").read_text(), 10)
        netns_inode = os.stat("/proc/thread-self/ns/net").st_ino  # the reading thread's namespace
        self.ncpus = len(cpus("possible"))
        self._batch = True
        self._keys = ctypes.create_string_buffer(BATCH * KEY.size)
        self._values = ctypes.create_string_buffer(BATCH * 8 * self.ncpus)
        self._tokens = (ctypes.create_string_buffer(8), ctypes.create_string_buffer(8))
        self._fds: list[int] = []
        self._finalizer = weakref.finalize(self, _release, self._fds)
        try:
            self.map_fd = bs.map_create(bs.BPF_MAP_TYPE_PERCPU_HASH, KEY.size, 8, MAX_ENTRIES, "nettop_qpeak")
            self._fds.append(self.map_fd)
            self.prog_fd = self._load(at, netns_inode)
            self._fds.append(self.prog_fd)
            perf_fd = bs.perf_event_open(tp_id, cpus("online")[0])
            self._fds.append(perf_fd)
            bs.perf_ioctl(perf_fd, bs.PERF_EVENT_IOC_SET_BPF, self.prog_fd)
            bs.perf_ioctl(perf_fd, bs.PERF_EVENT_IOC_ENABLE)
        except BaseException:
            self.close()
            raise

    def _load(self, at: Layout, netns_inode: int) -> int:
        def load(helper: int) -> int:
            code = build_program(at, netns_inode, self.map_fd, helper)
            return bs.prog_load(bs.BPF_PROG_TYPE_TRACEPOINT, code, "nettop_qpeak")

        try:
            return load(bs.FN_PROBE_READ_KERNEL)
        except OSError as exc:  # before 5.5 there is only bpf_probe_read
            if exc.errno != errno.EINVAL:
                raise
            return load(bs.FN_PROBE_READ)

    def take(self) -> dict[tuple[int, int, int], int]:
        """Each qdisc's highest backlog since the last take, then forget them: a qdisc that saw no
        enqueue since is not listed. One batched syscall where the kernel has it (5.6+)."""
        if self._batch:
            try:
                return self._take_batch()
            except OSError:  # EINVAL/ENOTSUPP: older kernel; ENOSPC: a bucket fuller than a batch
                self._batch = False
        out: dict[tuple[int, int, int], int] = {}
        for key in list(bs.map_keys(self.map_fd, KEY.size)):
            raw = bs.map_lookup(self.map_fd, key, 8 * self.ncpus)
            bs.map_delete(self.map_fd, key)
            if raw is not None:
                out[KEY.unpack(key)] = max(memoryview(raw).cast("Q"))
        return out

    def _take_batch(self) -> dict[tuple[int, int, int], int]:
        out: dict[tuple[int, int, int], int] = {}
        token_in: ctypes.Array[ctypes.c_char] | None = None
        for _ in range(MAX_ENTRIES // BATCH + 2):  # bounded; normally one call
            n, done = bs.map_lookup_batch(self.map_fd, self._keys, self._values, BATCH, token_in,
                                          self._tokens[1], delete=True)
            values = memoryview(self._values).cast("B")[:n * 8 * self.ncpus].cast("Q")
            for i, key in enumerate(KEY.iter_unpack(ctypes.string_at(self._keys, n * KEY.size))):
                out[key] = max(values[i * self.ncpus:(i + 1) * self.ncpus])
            if done:
                break
            ctypes.memmove(self._tokens[0], self._tokens[1], 8)
            token_in = self._tokens[0]
        return out

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive


def open_peaks(tracefs: Path = DEFAULT_TRACEFS) -> QdiscPeaks | None:
    """A tracker, or None where one cannot be loaded (the qdiscs are then only sampled)."""
    if os.environ.get("NETTOP_NO_QPEAK"):
        return None
    try:
        return QdiscPeaks(tracefs)
    except (OSError, BtfError, DropsUnavailable, KeyError, ValueError, ctypes.ArgumentError):
        return None
