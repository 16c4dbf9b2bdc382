"""The sampler's CPU budget: sample as often as asked, but never cost more than allowed.

The sampler thread measures its own CPU time (CLOCK_THREAD_CPUTIME_ID) over a short window,
and what each tier's reads cost in it. When the whole is over the budget, the counters (hot
tier) slow down first, to 1 Hz at most: a counter read slowly loses nothing but peak-rate
resolution. Only then do the bursting gauges (burst tier) slow down, since a queue that fills
and drains between two reads is never seen. What the other tiers and the self-spacing costly
sources take is left to them; tick overhead is charged to the burst tier, which drives the
ticks. On a loaded host nettop degrades its rates instead of taking CPU from the load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .tiers import Tier

# Aim a little under the budget so that the cold tier's occasional heavier reads
# (pyroute2 link decoding, sysctls) do not push the average over it.
HEADROOM = 0.85
# Half of each correction is applied at once: converges in a few windows without oscillating.
SMOOTHING = 0.5


@dataclass
class Budget:
    target_interval: float  # the burst interval asked for
    fraction: float | None = 0.02  # CPU of one core allowed; None: no budget
    max_interval: float = 1.0  # never slower than 1 Hz
    window: float = 1.0  # seconds averaged before each adjustment
    counter_interval: float = 0.1  # the hot tier's interval asked for
    interval: float = field(init=False)  # the burst interval now
    hot: float = field(init=False)  # the hot interval now
    measured: float | None = field(init=False, default=None)  # CPU fraction of the last window
    _cpu: float = field(init=False, default=0.0)
    _wall: float = field(init=False, default=0.0)
    _tiers: dict[Tier, float] = field(init=False, default_factory=dict)
    _warm: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.interval = self.target_interval
        self.counter_interval = max(self.counter_interval, self.target_interval)
        self.hot = self.counter_interval

    def observe(self, cpu_seconds: float, wall_seconds: float,
                tier_cpu: dict[Tier, float] | None = None) -> tuple[float, float]:
        """Account one loop of the sampler (its CPU, and what each tier's reads took of it);
        return the (burst, hot) intervals to use next."""
        self._cpu += max(0.0, cpu_seconds)
        self._wall += max(0.0, wall_seconds)
        for tier, spent in (tier_cpu or {}).items():
            self._tiers[tier] = self._tiers.get(tier, 0.0) + spent
        if self._wall < self.window:
            return self.interval, self.hot
        total, wall, tiers = self._cpu, self._wall, self._tiers
        self.measured = total / wall
        self._cpu = self._wall = 0.0
        self._tiers = {}
        if not self._warm:
            # the first window holds start-up (imports, first cold reads): not steady state
            self._warm = True
            return self.interval, self.hot
        if self.fraction is None or self.fraction <= 0:
            return self.interval, self.hot
        self._plan(total / wall, {t: c / wall for t, c in tiers.items()})
        return self.interval, self.hot

    def _plan(self, measured: float, shares: dict[Tier, float]) -> None:
        assert self.fraction is not None
        hot_share = shares.get(Tier.HOT, 0.0)
        burst_share = max(0.0, measured - sum(s for t, s in shares.items() if t is not Tier.BURST))
        rest = max(0.0, measured - burst_share - hot_share)
        room = self.fraction * HEADROOM - rest
        burst_cost = burst_share * self.interval  # CPU seconds per burst tick, overhead included
        hot_cost = hot_share * self.hot
        if burst_cost <= 0 and hot_cost <= 0:
            return
        burst_at_target = burst_cost / self.target_interval
        # counters first: as slow as needed (up to max_interval) for the gauges to keep their rate
        left = room - burst_at_target
        hot = self.counter_interval if hot_cost <= 0 else (
            hot_cost / left if left > 0 else self.max_interval)
        hot = min(self.max_interval, max(self.counter_interval, hot))
        # then the gauges, with what the counters at that rate leave
        left = room - (hot_cost / hot if hot_cost > 0 else 0.0)
        burst = burst_cost / left if left > 0 and burst_cost > 0 else (
            self.target_interval if burst_cost <= 0 else self.max_interval)
        far = measured > 2 * self.fraction  # a big host, a burst of links: back off at once
        smoothing = 1.0 if far else SMOOTHING
        self.hot = self._ease(self.hot, hot, self.counter_interval, smoothing)
        self.interval = self._ease(self.interval, burst, self.target_interval, smoothing)

    def _ease(self, now: float, wanted: float, floor: float, smoothing: float) -> float:
        proposed = (1 - smoothing) * now + smoothing * wanted
        return min(self.max_interval, max(floor, proposed))

    @property
    def limited(self) -> bool:
        """True while the budget keeps the bursting gauges slower than asked."""
        return self.interval > self.target_interval * 1.05

    @property
    def counters_limited(self) -> bool:
        return self.hot > self.counter_interval * 1.05
