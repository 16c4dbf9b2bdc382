"""Where a member sits in a kernel struct, from the kernel's own BTF (/sys/kernel/btf/vmlinux).

A BPF program that reads kernel memory (struct Qdisc's backlog) must know offsets that change
between kernels and builds; BTF has them for the running kernel, so nothing is hard-coded and
no headers are needed. Only what that needs is decoded: the type table's layout, struct and
union members, and typedef/const/volatile chains.
"""

from __future__ import annotations

import struct
from functools import lru_cache

VMLINUX = "/sys/kernel/btf/vmlinux"
KIND_STRUCT, KIND_UNION, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT = 4, 5, 8, 9, 10, 11
KIND_TYPE_TAG = 18
# bytes after struct btf_type, per kind (include/uapi/linux/btf.h): (fixed, per vlen item)
EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
         15: (0, 12), 17: (4, 0), 19: (0, 12)}
MODIFIERS = (KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG)


class BtfError(ValueError):
    """BTF unreadable here, or the struct or member asked for is not in it."""


class Btf:
    def __init__(self, data: bytes) -> None:
        if len(data) < 24:
            raise BtfError("BTF too short")
        magic, _, _, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("=HBBIIIII", data)
        if magic != 0xEB9F:
            raise BtfError("not BTF (bad magic)")
        self.data = data
        self.strings = hdr_len + str_off
        self.strings_end = self.strings + str_len
        self.types: list[int] = [0]  # type id -> offset of its struct btf_type (id 0 is void)
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        while pos + 12 <= end:
            self.types.append(pos)
            _, info, _ = struct.unpack_from("=III", data, pos)
            kind, vlen = info >> 24 & 0x1F, info & 0xFFFF
            fixed, item = EXTRA.get(kind, (0, 0))
            pos += 12 + fixed + item * vlen

    def name(self, off: int) -> str:
        start = self.strings + off
        end = self.data.find(b"\0", start, self.strings_end)
        return self.data[start:end if end >= 0 else self.strings_end].decode("ascii", "replace")

    def _type(self, type_id: int) -> tuple[int, int, int, int, int]:
        """(offset, name_off, kind, vlen, kind_flag) of a type."""
        if not 0 < type_id < len(self.types):
            raise BtfError(f"no BTF type {type_id}")
        pos = self.types[type_id]
        name_off, info, _ = struct.unpack_from("=III", self.data, pos)
        return pos, name_off, info >> 24 & 0x1F, info & 0xFFFF, info >> 31

    def _resolve(self, type_id: int) -> int:
        for _ in range(32):
            pos, _, kind, _, _ = self._type(type_id)
            if kind not in MODIFIERS:
                return type_id
            type_id = struct.unpack_from("=I", self.data, pos + 8)[0]
        raise BtfError("a typedef chain that does not end")

    def struct_id(self, name: str) -> int:
        for type_id in range(1, len(self.types)):
            _, name_off, kind, _, _ = self._type(type_id)
            if kind == KIND_STRUCT and self.name(name_off) == name:
                return type_id
        raise BtfError(f"no struct {name} in BTF")

    def member(self, type_id: int, name: str) -> tuple[int, int]:
        """(byte offset, member type id) of a member of a struct or union (anonymous ones searched)."""
        pos, _, kind, vlen, kflag = self._type(self._resolve(type_id))
        if kind not in (KIND_STRUCT, KIND_UNION):
            raise BtfError(f"type {type_id} is not a struct")
        for i in range(vlen):
            m_name, m_type, m_off = struct.unpack_from("=III", self.data, pos + 12 + 12 * i)
            bits = m_off & 0xFFFFFF if kflag else m_off
            if self.name(m_name) == name:
                return bits // 8, m_type
            if m_name == 0:  # an anonymous struct or union: look inside
                try:
                    inner, inner_type = self.member(m_type, name)
                except BtfError:
                    continue
                return bits // 8 + inner, inner_type
        raise BtfError(f"no member {name}")

    def offset(self, struct_name: str, path: str) -> int:
        """Byte offset of `a.b.c` within `struct struct_name`."""
        type_id, total = self.struct_id(struct_name), 0
        for part in path.split("."):
            off, type_id = self.member(type_id, part)
            total += off
        return total


@lru_cache(maxsize=1)
def vmlinux() -> Btf:
    """The running kernel's BTF, read once (a few MB)."""
    try:
        with open(VMLINUX, "rb") as f:
            return Btf(f.read(64 << 20))
    except OSError as exc:
        raise BtfError(f"cannot read {VMLINUX}: {exc.strerror or exc}") from None
