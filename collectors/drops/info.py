"""What the drops source says about how it counts (the detail of keys.DROPS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DropsInfo:
    """How the drops are counted, for the pane and the snapshot."""

    method: str = ""  # "bpf" or "perf-sample"
    note: str = ""  # why not BPF, hidden symbols, host-wide under --netns


OTHER = "other"
UNTRACKED_COLUMN = "(untracked)"
HOST_WIDE = "counts are host-wide: the kernel does not say which namespace a drop belongs to"


def column(reason: str, location: str) -> str:
    return f"{reason}@{location}"


def split_column(name: str) -> tuple[str, str]:
    """`NO_SOCKET@__udp4_lib_rcv+0x5c1` -> ("NO_SOCKET", "__udp4_lib_rcv+0x5c1")."""
    reason, _, location = name.partition("@")
    return reason, location
