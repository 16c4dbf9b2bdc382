"""How often each kind of source is read: the tiers and their cadence.

Kept apart from collectors/sources.py (which imports every parser) so that the UI can name a
cadence before its first frame without importing what only the sampler thread needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Tier(enum.Enum):
    """How often a source is read: its cost against how fast it changes."""

    BURST = "burst"  # gauges that fill and drain between reads (queues, backlogs): as often as asked
    HOT = "hot"  # counters: a slower read loses nothing but peak-rate resolution
    WARM = "warm"  # about once a second
    COLD = "cold"  # about every ten seconds


@dataclass
class Cadence:
    """Seconds between reads of each tier; each is at least the one before it."""

    hot: float = 0.1
    warm: float = 1.0
    cold: float = 10.0
    burst: float | None = None  # None: as `hot` (a sampler built with one interval)

    def of(self, tier: Tier) -> float:
        burst = self.hot if self.burst is None else self.burst
        if tier is Tier.BURST:
            return burst
        if tier is Tier.HOT:
            return max(self.hot, burst)
        return max(self.warm if tier is Tier.WARM else self.cold, self.hot, burst)

    @classmethod
    def for_interval(cls, interval: float) -> Cadence:
        """What `--interval` asks: the bursting gauges at that interval, counters at 10 Hz or
        slower if the interval is, the rest at 1 Hz and every 10 s."""
        return cls(hot=max(0.1, interval), burst=interval)
