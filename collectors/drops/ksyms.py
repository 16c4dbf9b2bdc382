"""Kernel address -> "func+0xoff" from /proc/kallsyms."""

from __future__ import annotations

import bisect
from pathlib import Path


class Symbolizer:
    """Kernel address -> "func+0xoff" from /proc/kallsyms (loaded lazily, once)."""

    MAX_OFFSET = 1 << 20

    def __init__(self, path: Path = Path("/proc/kallsyms")) -> None:
        self._path = path
        self._addrs: list[int] | None = None
        self._names: list[str] = []
        self._cache: dict[int, str] = {}
        self.restricted = False  # kallsyms shows zeros (kptr_restrict / not root)

    @property
    def note(self) -> str | None:
        if self._addrs is None:
            self._load()
        if self.restricted:
            return "kernel symbol addresses hidden (kptr_restrict or not root): showing raw addresses"
        return None

    def _load(self) -> None:
        pairs: list[tuple[int, str]] = []
        try:
            with open(self._path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[1] in ("t", "T", "w", "W"):
                        pairs.append((int(parts[0], 16), " ".join(parts[2:4])))
        except OSError:
            pairs = []
        self.restricted = not any(addr for addr, _ in pairs)
        pairs.sort()
        self._addrs = [a for a, _ in pairs]
        self._names = [n for _, n in pairs]

    def name(self, addr: int) -> str:
        if self._addrs is None:
            self._load()
        hit = self._cache.get(addr)
        if hit is None:
            hit = self._lookup(addr)
            if len(self._cache) < 65536:
                self._cache[addr] = hit
        return hit

    def _lookup(self, addr: int) -> str:
        assert self._addrs is not None
        i = bisect.bisect_right(self._addrs, addr) - 1
        if self.restricted or i < 0 or addr - self._addrs[i] > self.MAX_OFFSET:
            return f"0x{addr:x}"
        func, _, module = self._names[i].partition(" ")
        return f"{func}+0x{addr - self._addrs[i]:x}" + (f" {module}" if module else "")
