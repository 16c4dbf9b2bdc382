"""Raw bpf(2) / perf_event_open(2) layer through ctypes: no compiler, no libbpf.

Only what the drop counter needs: a tiny eBPF assembler, map create/lookup/
update/batch, program load with the verifier log, perf events and their mmap'ed
ring buffers. Struct layouts follow include/uapi/linux/{bpf,perf_event}.h;
each attr is packed with ``struct`` and passed with its exact size (the kernel
zero-fills the rest), so older kernels accept it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import mmap
import os
import platform
import struct
import sys
from collections.abc import Iterator

# (bpf, perf_event_open) syscall numbers; aarch64/riscv64 use the generic table.
_SYSCALLS = {"x86_64": (321, 298), "aarch64": (280, 241), "riscv64": (280, 241)}
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# bpf(2) commands and constants
BPF_MAP_CREATE, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM = 0, 1, 2, 3
BPF_MAP_GET_NEXT_KEY, BPF_PROG_LOAD, BPF_MAP_LOOKUP_BATCH = 4, 5, 24
BPF_MAP_LOOKUP_AND_DELETE_BATCH = 25
BPF_MAP_TYPE_PERCPU_HASH = 5
BPF_PROG_TYPE_TRACEPOINT = 5
BPF_ANY, BPF_PSEUDO_MAP_FD = 0, 1
FN_MAP_LOOKUP_ELEM, FN_MAP_UPDATE_ELEM, FN_PROBE_READ, FN_PROBE_READ_KERNEL = 1, 2, 4, 113
ENOTSUPP = 524  # kernel-internal errno leaked by some bpf commands

# perf_event_open(2) constants
PERF_TYPE_TRACEPOINT = 2
PERF_SAMPLE_RAW = 1 << 10  # (never PERF_SAMPLE_PERIOD: it makes sw events sample every hit)
PERF_ATTR_DISABLED = 1 << 0
PERF_FLAG_FD_CLOEXEC = 1 << 3
PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_DISABLE = 0x2400, 0x2401
PERF_EVENT_IOC_PERIOD, PERF_EVENT_IOC_SET_BPF = 0x40082404, 0x40042408
PERF_RECORD_LOST, PERF_RECORD_SAMPLE = 2, 9


class BpfLoadError(OSError):
    """BPF_PROG_LOAD failed; ``str()`` carries the verifier log."""


def _syscall_numbers() -> tuple[int, int]:
    try:
        return _SYSCALLS[platform.machine()]
    except KeyError:
        raise OSError(errno.ENOSYS, f"unsupported architecture {platform.machine()}") from None


def _addr(buf: ctypes.Array[ctypes.c_char]) -> int:
    return ctypes.addressof(buf)


def bpf(cmd: int, attr: ctypes.Array[ctypes.c_char]) -> int:
    """Call bpf(cmd, attr, sizeof attr); raise OSError on failure."""
    ret = _libc.syscall(ctypes.c_long(_syscall_numbers()[0]), ctypes.c_long(cmd), attr,
                        ctypes.c_long(len(attr)))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err) if err != ENOTSUPP else "ENOTSUPP")
    return int(ret)


# ---------------------------------------------------------------- assembler
_LITTLE = sys.byteorder == "little"
_SIZE = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}  # BPF_B, BPF_H, BPF_W, BPF_DW
R0, R1, R2, R3, R4, R6, R7, R10 = 0, 1, 2, 3, 4, 6, 7, 10


def insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """Encode one struct bpf_insn {u8 code; u8 dst:4, src:4; s16 off; s32 imm}."""
    regs = (src << 4 | dst) if _LITTLE else (dst << 4 | src)
    return struct.pack("=BBhi", code, regs, off, imm)


def mov64_reg(dst: int, src: int) -> bytes:
    return insn(0xBF, dst, src)  # ALU64 | MOV | X


def mov64_imm(dst: int, imm: int) -> bytes:
    return insn(0xB7, dst, imm=imm)  # ALU64 | MOV | K


def mov32_imm(dst: int, imm: int) -> bytes:
    """dst = (u32)imm, upper half zeroed (a 64-bit mov would sign-extend imm)."""
    return insn(0xB4, dst, imm=imm - (1 << 32) if imm >= 1 << 31 else imm)  # ALU | MOV | K


def add64_imm(dst: int, imm: int) -> bytes:
    return insn(0x07, dst, imm=imm)  # ALU64 | ADD | K


def ldx_mem(size: int, dst: int, src: int, off: int) -> bytes:
    return insn(0x61 | _SIZE[size], dst, src, off)  # LDX | MEM | size


def stx_mem(size: int, dst: int, src: int, off: int) -> bytes:
    return insn(0x63 | _SIZE[size], dst, src, off)  # STX | MEM | size


def st_mem(size: int, dst: int, off: int, imm: int) -> bytes:
    return insn(0x62 | _SIZE[size], dst, off=off, imm=imm)  # ST | MEM | size


def atomic_add64(dst: int, src: int, off: int) -> bytes:
    return insn(0xDB, dst, src, off, imm=0)  # STX | ATOMIC | DW, imm = BPF_ADD


def ld_map_fd(dst: int, map_fd: int) -> bytes:
    """Two-slot LD_IMM64 of a map fd, which the verifier turns into a map pointer."""
    return insn(0x18, dst, BPF_PSEUDO_MAP_FD, imm=map_fd) + insn(0)


def call(helper: int) -> bytes:
    return insn(0x85, imm=helper)  # JMP | CALL


def exit_insn() -> bytes:
    return insn(0x95)  # JMP | EXIT


class Asm:
    """Instruction list with forward jumps to named labels."""

    JEQ, JNE = 0x15, 0x55  # JMP | JEQ/JNE | K
    JLE_REG = 0xBD  # JMP | JLE | X: unsigned dst <= src
    JNE_REG = 0x5D  # JMP | JNE | X
    JA = 0x05  # JMP | JA: always

    def __init__(self) -> None:
        self._items: list[bytes | tuple[int, int, int, str, int]] = []
        self._labels: dict[str, int] = {}
        self._slot = 0

    def __call__(self, code: bytes) -> None:
        self._items.append(code)
        self._slot += len(code) // 8

    def jump(self, op: int, reg: int, imm: int, label: str, src: int = 0) -> None:
        self._items.append((op, reg, imm, label, src))
        self._slot += 1

    def label(self, name: str) -> None:
        self._labels[name] = self._slot

    def assemble(self) -> bytes:
        out, slot = [], 0
        for item in self._items:
            if isinstance(item, tuple):
                op, reg, imm, label, src = item
                code = insn(op, reg, src, off=self._labels[label] - slot - 1, imm=imm)
            else:
                code = item
            out.append(code)
            slot += len(code) // 8
        return b"".join(out)


# --------------------------------------------------------------- maps/progs
def map_create(map_type: int, key_size: int, value_size: int, max_entries: int, name: str) -> int:
    attr = ctypes.create_string_buffer(struct.pack(
        "=IIIIIII16s", map_type, key_size, value_size, max_entries, 0, 0, 0, name.encode()[:15]))
    return bpf(BPF_MAP_CREATE, attr)


def _elem_attr(map_fd: int, key: ctypes.Array[ctypes.c_char], value: int, flags: int) -> ctypes.Array[ctypes.c_char]:
    return ctypes.create_string_buffer(struct.pack("=IIQQQ", map_fd, 0, _addr(key), value, flags))


def map_update(map_fd: int, key: bytes, value: bytes, flags: int = BPF_ANY) -> None:
    k, v = ctypes.create_string_buffer(key, len(key)), ctypes.create_string_buffer(value, len(value))
    bpf(BPF_MAP_UPDATE_ELEM, _elem_attr(map_fd, k, _addr(v), flags))


def map_lookup(map_fd: int, key: bytes, value_len: int) -> bytes | None:
    k, v = ctypes.create_string_buffer(key, len(key)), ctypes.create_string_buffer(value_len)
    try:
        bpf(BPF_MAP_LOOKUP_ELEM, _elem_attr(map_fd, k, _addr(v), 0))
    except FileNotFoundError:
        return None
    return v.raw


def map_delete(map_fd: int, key: bytes) -> None:
    k = ctypes.create_string_buffer(key, len(key))
    with contextlib.suppress(FileNotFoundError):
        bpf(BPF_MAP_DELETE_ELEM, _elem_attr(map_fd, k, 0, 0))


def map_keys(map_fd: int, key_size: int) -> Iterator[bytes]:
    """Iterate keys with BPF_MAP_GET_NEXT_KEY (a NULL key starts the walk)."""
    cur, nxt = ctypes.create_string_buffer(key_size), ctypes.create_string_buffer(key_size)
    attr = struct.pack("=IIQQ", map_fd, 0, 0, _addr(nxt))
    while True:
        try:
            bpf(BPF_MAP_GET_NEXT_KEY, ctypes.create_string_buffer(attr))
        except FileNotFoundError:
            return
        yield nxt.raw
        ctypes.memmove(cur, nxt, key_size)
        attr = struct.pack("=IIQQ", map_fd, 0, _addr(cur), _addr(nxt))


def map_lookup_batch(map_fd: int, keys: ctypes.Array[ctypes.c_char], values: ctypes.Array[ctypes.c_char],
                     count: int, token_in: ctypes.Array[ctypes.c_char] | None,
                     token_out: ctypes.Array[ctypes.c_char], delete: bool = False) -> tuple[int, bool]:
    """One BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH) call: returns (entries copied,
    walk finished)."""
    attr = ctypes.create_string_buffer(struct.pack(
        "=QQQQIIQQ", _addr(token_in) if token_in is not None else 0, _addr(token_out),
        _addr(keys), _addr(values), count, map_fd, 0, 0))
    try:
        bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH if delete else BPF_MAP_LOOKUP_BATCH, attr)
        done = False
    except FileNotFoundError:  # ENOENT: no more entries (count may still be > 0)
        done = True
    return struct.unpack_from("=I", attr, 32)[0], done


def prog_load(prog_type: int, code: bytes, name: str, license_: str = "GPL") -> int:
    """BPF_PROG_LOAD with a verifier log; the log is the exception text on failure."""
    insns = ctypes.create_string_buffer(code, len(code))
    lic = ctypes.create_string_buffer(license_.encode())
    log = ctypes.create_string_buffer(1 << 16)
    attr = ctypes.create_string_buffer(struct.pack(
        "=IIQQIIQII16s", prog_type, len(code) // 8, _addr(insns), _addr(lic),
        1, len(log), _addr(log), 0, 0, name.encode()[:15]))
    try:
        return bpf(BPF_PROG_LOAD, attr)
    except OSError as exc:
        text = log.value.decode(errors="replace").strip()
        raise BpfLoadError(exc.errno, f"BPF_PROG_LOAD: {exc.strerror}; verifier log:\n{text}") from None


def fdinfo(fd: int) -> dict[str, str]:
    """/proc/self/fdinfo/<fd> as a dict (prog_id, run_time_ns, run_cnt, map_id, ...)."""
    out: dict[str, str] = {}
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            key, _, val = line.partition(":")
            out[key.strip()] = val.strip()
    return out


# --------------------------------------------------------------- perf events
def perf_event_open(config: int, cpu: int, sample_period: int = 0, sample_type: int = 0) -> int:
    """Open a (disabled) tracepoint perf event for all tasks on one CPU."""
    attr = ctypes.create_string_buffer(struct.pack(
        "=IIQQQQQIIQQ", PERF_TYPE_TRACEPOINT, 72, config, sample_period, sample_type,
        0, PERF_ATTR_DISABLED, 0, 0, 0, 0))
    fd = _libc.syscall(ctypes.c_long(_syscall_numbers()[1]), attr, ctypes.c_long(-1),
                       ctypes.c_long(cpu), ctypes.c_long(-1), ctypes.c_long(PERF_FLAG_FD_CLOEXEC))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"perf_event_open: {os.strerror(err)}")
    return int(fd)


def perf_ioctl(fd: int, request: int, arg: int = 0) -> None:
    fcntl.ioctl(fd, request, arg)


def perf_read_count(fd: int) -> int:
    """The event's counter (read_format 0): every event on that CPU, sampled or not."""
    return int(struct.unpack("=Q", os.read(fd, 8))[0])


def perf_set_period(fd: int, period: int) -> None:
    fcntl.ioctl(fd, PERF_EVENT_IOC_PERIOD, struct.pack("=Q", period))


class PerfRing:
    """Consumer side of one perf mmap ring buffer (1 metadata page + 2^n data pages)."""

    def __init__(self, fd: int, data_pages: int) -> None:
        self.page = mmap.PAGESIZE
        self.mm = mmap.mmap(fd, (1 + data_pages) * self.page, mmap.MAP_SHARED,
                            mmap.PROT_READ | mmap.PROT_WRITE)
        offset, size = struct.unpack_from("=QQ", self.mm, 1040)  # data_offset, data_size (>= 4.1)
        self.offset: int = offset if size else self.page
        self.size: int = size or data_pages * self.page

    def drain(self) -> bytes:
        """Return all complete records written since the last call and release them."""
        head, tail = struct.unpack_from("=QQ", self.mm, 1024)  # data_head, data_tail
        if head == tail:
            return b""
        start, length = tail % self.size, head - tail
        first = min(length, self.size - start)
        base = self.offset
        blob = self.mm[base + start: base + start + first] + self.mm[base: base + length - first]
        struct.pack_into("=Q", self.mm, 1032, head)  # data_tail = head
        return blob

    def close(self) -> None:
        self.mm.close()


# bytes after struct btf_type, per BTF kind (include/uapi/linux/btf.h): (fixed, per vlen item)
_BTF_EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
              15: (0, 12), 17: (4, 0), 19: (0, 12)}


def btf_enum(name: str, path: str = "/sys/kernel/btf/vmlinux") -> dict[int, str]:
    """Values of `enum <name>` from the kernel's BTF ({} if absent or unreadable)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from("=HBBIIIII", data)
    if magic != 0xEB9F:
        return {}
    strs = hdr_len + str_off
    want = data.find(b"\0" + name.encode() + b"\0", strs) + 1 - strs
    pos, end = hdr_len + type_off, hdr_len + type_off + type_len
    while want > 0 and pos < end:
        name_off, info, _ = struct.unpack_from("=III", data, pos)
        kind, vlen = info >> 24 & 0x1F, info & 0xFFFF
        fixed, item = _BTF_EXTRA.get(kind, (0, 0))
        if kind == 6 and name_off == want:
            items = struct.iter_unpack("=Ii", data[pos + 12: pos + 12 + 8 * vlen])
            return {val: data[strs + off: data.index(b"\0", strs + off)].decode() for off, val in items}
        pos += 12 + fixed + item * vlen
    return {}


def parse_cpu_list(text: str) -> list[int]:
    """'0-3,5' -> [0, 1, 2, 3, 5] (format of /sys/devices/system/cpu/online)."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        if part:
            lo, _, hi = part.partition("-")
            cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus
