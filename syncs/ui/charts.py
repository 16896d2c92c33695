"""Server-rendered SVG charts: the geometry of line and bar charts, for a template to draw.

No JavaScript and nothing from another host (the console's Content-Security-Policy allows
neither): the page carries the chart as inline SVG, styled by classes in the console's own
stylesheet, each point with a ``<title>`` a pointer or a screen reader can read, and the same
figures in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28  # margins around the plot area
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    css: str
    segments: list[str]  # SVG polyline ``points``; a gap (no value) starts a new segment
    dots: list[Dot]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass
class Chart:
    title: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[Line] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bar_css: str = ""
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    target: Tick | None = None  # a horizontal reference line (the 5-second target)

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(line.dots for line in self.lines) and not any(b.height for b in self.bars)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power


def _format(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:g}%"
    if unit == "ms" and value >= 1000:
        return f"{value / 1000:g} s"
    return f"{value:g} {unit}".strip()


class _Frame:
    """Maps bucket indexes and values to SVG coordinates."""

    def __init__(self, count: int, top_value: float) -> None:
        self.count = max(count, 1)
        self.top = top_value
        self.slot = (WIDTH - LEFT - RIGHT) / self.count

    def x(self, index: int) -> float:
        return round(LEFT + self.slot * (index + 0.5), 1)

    def y(self, value: float) -> float:
        return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(value, self.top) / self.top), 1)


def _axes(chart: Chart, frame: _Frame, labels: Sequence[str]) -> None:
    chart.y_ticks = [
        Tick(frame.y(frame.top * i / 4), _format(frame.top * i / 4, chart.unit)) for i in range(5)
    ]
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    chart.x_ticks = [Tick(frame.x(i), label) for i, label in enumerate(labels) if i % every == 0]


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    unit: str,
    target: float | None = None,
) -> Chart:
    """Lines over buckets: ``series`` holds (name, css class, one value or None per label).

    The value axis starts at 0 and ends at a round number above the largest value (and the
    target, so the target line is always visible)."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    top = nice_ceiling(max([*values, target or 0, 0]))
    frame = _Frame(len(labels), top)
    chart = Chart(title=title, unit=unit)
    _axes(chart, frame, labels)
    if target is not None:
        chart.target = Tick(frame.y(target), _format(target, unit))
    for name, css, vs in series:
        segments: list[list[str]] = [[]]
        dots = []
        for i, value in enumerate(vs):
            if value is None:
                if segments[-1]:
                    segments.append([])
                continue
            x, y = frame.x(i), frame.y(value)
            segments[-1].append(f"{x},{y}")
            dots.append(Dot(x, y, f"{labels[i]}: {name} {_format(round(value, 1), unit)}"))
        chart.lines.append(Line(name, css, [" ".join(s) for s in segments if s], dots))
    return chart


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[int], *, unit: str, css: str
) -> Chart:
    """One bar per bucket (counts). The axis ends at a multiple of 4, so its four
    steps are whole numbers."""
    top = 4 * max(1.0, nice_ceiling(max([*values, 0]) / 4))
    frame = _Frame(len(labels), top)
    chart = Chart(title=title, unit=unit, bar_css=css)
    _axes(chart, frame, labels)
    width = round(frame.slot * 0.7, 1)
    base = frame.y(0)
    for i, value in enumerate(values):
        y = frame.y(value)
        chart.bars.append(
            Bar(
                x=round(frame.x(i) - width / 2, 1),
                y=y,
                width=width,
                height=round(base - y, 1),
                title=f"{labels[i]}: {value} {unit}".strip(),
            )
        )
    return chart
