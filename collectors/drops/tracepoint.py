"""The skb:kfree_skb tracepoint as this kernel lays it out.

Field offsets and the reason names are read at run time from the event's `format` file
(reason numbers differ between kernels: NOT_SPECIFIED is 0 on 5.17, 1 on 6.1, 2 on 6.18);
5.19 and 6.0 print names through an array userspace cannot see, so they come from BTF.
tracefs is mounted at /sys/kernel/tracing when it is not.
"""

from __future__ import annotations

import ctypes
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import bpfsys as bs

DEFAULT_TRACEFS = Path("/sys/kernel/tracing")
EVENT_DIR = "events/skb/kfree_skb"
MAX_FORMAT_BYTES = 1 << 20
CPU_SYSFS = Path("/sys/devices/system/cpu")


class DropsUnavailable(Exception):
    """Drop counting cannot work here; ``reason`` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TracepointFormat:
    offsets: dict[str, tuple[int, int]]  # field -> (offset, size)
    reasons: dict[int, str]  # reason number -> name, e.g. 3 -> "NO_SOCKET"


_FIELD_RE = re.compile(r"field:([^;]*);\s*offset:(\d+);\s*size:(\d+);")
_NAME_RE = re.compile(r"(\w+)\s*(\[[^\]]*\])?\s*$")
_SYMBOL_RE = re.compile(r'\{\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*,\s*"([^"]*)"\s*\}')


def parse_format(text: str) -> TracepointFormat:
    """Parse a tracefs ``format`` file: field offsets and the reason symbol table."""
    offsets: dict[str, tuple[int, int]] = {}
    for m in _FIELD_RE.finditer(text):
        name = _NAME_RE.search(m.group(1))
        if name:
            offsets[name.group(1)] = (int(m.group(2)), int(m.group(3)))
    table = text.partition("__print_symbolic(REC->reason")[2].partition(")")[0]
    reasons = {int(n, 0): s for n, s in _SYMBOL_RE.findall(table)}
    return TracepointFormat(offsets, reasons)


def read_format(tracefs: Path) -> TracepointFormat:
    """Read and parse ``<tracefs>/events/skb/kfree_skb/format``."""
    try:
        return parse_format((tracefs / EVENT_DIR / "format").read_text()[:MAX_FORMAT_BYTES])
    except FileNotFoundError:
        raise DropsUnavailable(f"tracepoint skb:kfree_skb absent under {tracefs}") from None
    except PermissionError:
        raise DropsUnavailable(f"not permitted to read {tracefs} (needs root)") from None


def _mount_tracefs(path: Path) -> str | None:
    """mount -t tracefs nodev <path>; returns an error string or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"nodev", str(path).encode(), b"tracefs", ctypes.c_ulong(0), None) == 0:
        return None
    return os.strerror(ctypes.get_errno())


def _ensure_tracefs(tracefs: Path) -> None:
    try:
        if (tracefs / "events").is_dir():
            return
    except PermissionError:
        raise DropsUnavailable(f"not permitted to read {tracefs} (needs root)") from None
    err = "no such directory"
    if tracefs == DEFAULT_TRACEFS and tracefs.is_dir():
        err = _mount_tracefs(tracefs) or ""
        if not err:
            return
    raise DropsUnavailable(f"tracefs not mounted at {tracefs} (mount failed: {err})")


def with_btf_reasons(fmt: TracepointFormat) -> TracepointFormat:
    """Fill in reason names from BTF when the format file has no symbol table
    (5.19/6.0 print ``drop_reasons[REC->reason]``, an array userspace cannot see)."""
    if fmt.reasons:
        return fmt
    enum = bs.btf_enum("skb_drop_reason")
    return TracepointFormat(fmt.offsets, {v: n.removeprefix("SKB_DROP_REASON_") for v, n in enum.items() if v >= 0})


def load_event(tracefs: Path) -> tuple[TracepointFormat, int]:
    _ensure_tracefs(tracefs)
    fmt = with_btf_reasons(read_format(tracefs))
    if "reason" not in fmt.offsets:
        raise DropsUnavailable("skb:kfree_skb has no 'reason' field (kernel older than 5.17)")
    if fmt.offsets.get("location", (0, 0))[1] not in (4, 8) or fmt.offsets["reason"][1] not in (1, 2, 4, 8):
        raise DropsUnavailable(f"unexpected skb:kfree_skb layout: {fmt.offsets}")
    try:
        return fmt, int((tracefs / EVENT_DIR / "id").read_text(), 10)
    except (OSError, ValueError) as exc:
        raise DropsUnavailable(f"cannot read the id of skb:kfree_skb under {tracefs}: {exc}") from None


def cpus(kind: str) -> list[int]:
    return bs.parse_cpu_list((CPU_SYSFS / kind).read_text())
