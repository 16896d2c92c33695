"""The metrics page's charts, from ``syncs.metrics.timeseries`` series: latency p50/p95 against the
5-second target, volume, error rate, and the waits that latency leaves out."""

from __future__ import annotations

from dataclasses import dataclass

from connectors import registry
from syncs.metrics.timeseries import ALL, Series
from syncs.ui.charts import Chart, bar_chart, line_chart

# The source article's target for "time from AI event to CRM record creation".
LATENCY_TARGET_MS = 5000


@dataclass
class SeriesCharts:
    series: Series
    name: str
    latency: Chart
    volume: Chart
    error_rate: Chart
    waits: Chart


def display_name(provider: str) -> str:
    if provider == ALL:
        return "All providers"
    return registry.display_name(provider)


def _minutes(ms: float | None) -> float | None:
    return None if ms is None else ms / 60000


def charts_for(series: Series) -> SeriesCharts:
    points = series.points
    labels = [p.label for p in points]
    name = display_name(series.provider)
    return SeriesCharts(
        series=series,
        name=name,
        latency=line_chart(
            f"{name}: sync latency",
            labels,
            [
                ("p50", "line-p50", [p.p50_ms for p in points]),
                ("p95", "line-p95", [p.p95_ms for p in points]),
            ],
            unit="ms",
            target=LATENCY_TARGET_MS,
        ),
        volume=bar_chart(
            f"{name}: volume", labels, [p.volume for p in points], unit="jobs", css="col-volume"
        ),
        error_rate=line_chart(
            f"{name}: error rate",
            labels,
            [
                (
                    "errors",
                    "line-errors",
                    [None if p.error_rate is None else 100 * p.error_rate for p in points],
                )
            ],
            unit="%",
        ),
        waits=line_chart(
            f"{name}: waits not counted as latency (mean per waiting job)",
            labels,
            [
                (
                    "connection",
                    "line-wait-connection",
                    [_minutes(p.wait_connection_ms) for p in points],
                ),
                ("review", "line-wait-review", [_minutes(p.wait_review_ms) for p in points]),
            ],
            unit="min",
        ),
    )
