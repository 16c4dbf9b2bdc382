"""What the drops source says about how it counts (the detail of keys.DROPS)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DropsInfo:
    """How the drops are counted, for the pane and the snapshot."""

    method: str = ""  # "bpf" or "perf-sample"
    note: str = ""  # why not BPF, hidden symbols, host-wide under --netns
