"""The sampler's CPU budget: sample as often as asked, but never cost more than allowed.

The sampler thread measures its own CPU time (CLOCK_THREAD_CPUTIME_ID) against wall
time over a short window and stretches or shrinks the hot interval in proportion,
between the interval asked for and `max_interval` (1 Hz): on a loaded host nettop
degrades its rate instead of falling behind or taking CPU from the load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Aim a little under the budget so that the cold tier's occasional heavier reads
# (pyroute2 link decoding, sysctls) do not push the average over it.
HEADROOM = 0.85
# Half of each correction is applied at once: converges in a few windows without oscillating.
SMOOTHING = 0.5


@dataclass
class Budget:
    target_interval: float  # the hot interval asked for
    fraction: float | None = 0.02  # CPU of one core allowed; None: no budget
    max_interval: float = 1.0  # never slower than 1 Hz
    window: float = 1.0  # seconds averaged before each adjustment
    interval: float = field(init=False)
    measured: float | None = field(init=False, default=None)  # CPU fraction of the last window
    _cpu: float = field(init=False, default=0.0)
    _wall: float = field(init=False, default=0.0)
    _warm: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.interval = self.target_interval

    def observe(self, cpu_seconds: float, wall_seconds: float) -> float:
        """Account one loop of the sampler; return the hot interval to use next."""
        self._cpu += max(0.0, cpu_seconds)
        self._wall += max(0.0, wall_seconds)
        if self._wall < self.window:
            return self.interval
        self.measured = self._cpu / self._wall
        self._cpu = self._wall = 0.0
        if not self._warm:
            # the first window holds start-up (imports, first cold reads): not steady state
            self._warm = True
            return self.interval
        if self.fraction is None or self.fraction <= 0:
            return self.interval
        wanted = self.interval * self.measured / (self.fraction * HEADROOM)
        # far over budget (a big host, a burst of links): back off at once; otherwise ease in
        smoothing = 1.0 if self.measured > 2 * self.fraction else SMOOTHING
        proposed = (1 - smoothing) * self.interval + smoothing * wanted
        self.interval = min(self.max_interval, max(self.target_interval, proposed))
        return self.interval

    @property
    def limited(self) -> bool:
        """True while the budget keeps the sampler slower than asked."""
        return self.interval > self.target_interval * 1.05
