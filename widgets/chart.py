"""A small time chart on textual-plotext: at most one redraw a second, downsampled.

Each chart uses its own `PlotextPlot.plt`, never the global plotext module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from textual.containers import Container


def downsample(xs: Sequence[float], ys: Sequence[float], width: int) -> tuple[list[float], list[float]]:
    """Keep at most `width` points, taking each bucket's maximum so peaks survive."""
    n = len(xs)
    if n <= width or width <= 0:
        return list(xs), list(ys)
    out_x, out_y = [], []
    step = n / width
    for b in range(width):
        lo, hi = int(b * step), max(int((b + 1) * step), int(b * step) + 1)
        k = max(range(lo, min(hi, n)), key=lambda i: ys[i])
        out_x.append(xs[k])
        out_y.append(ys[k])
    return out_x, out_y


LINE_COLORS = ("green", "orange", "red")  # low, pressure, high: marks in the order given


class Chart(Container):
    """Holds a PlotextPlot, created on the first plot: plotext is imported off the first frame."""

    DEFAULT_CSS = """
    Chart { height: 10; min-height: 6; }
    """

    def __init__(self, min_interval: float = 1.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.min_interval = min_interval
        self._last = float("-inf")
        self._key: object = None
        self._plot: Any = None

    def _plotter(self) -> Any:
        if self._plot is None:
            from textual_plotext import PlotextPlot

            self._plot = PlotextPlot()
            self.mount(self._plot)
        return self._plot

    def plot(self, title: str, xs: Sequence[float], ys: Sequence[float],
             lines: Sequence[tuple[str, float]] = (), key: object = None, force: bool = False) -> None:
        """Draw a series (seconds before now, value) with horizontal marks."""
        now = time.monotonic()
        if not force and key == self._key and now - self._last < self.min_interval:
            return
        self._last, self._key = now, key
        plot = self._plotter()
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        width = max(10, self.size.width - 8)
        x, y = downsample(xs, ys, width)
        if x:
            plt.plot(x, y, marker="braille")
        top = max([*y, *(v for _, v in lines)], default=0.0)
        plt.ylim(0, top * 1.1 if top > 0 else 1.0)  # counts and queues start at 0
        for k, (_label, value) in enumerate(lines):
            plt.hline(value, LINE_COLORS[k % len(LINE_COLORS)])
        if lines:
            plt.xlabel("  ".join(f"{label}={value:,.0f}" for label, value in lines))
        plot.refresh()
