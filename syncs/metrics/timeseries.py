"""Sync metrics over time for one client: per provider (and all providers) and per time bucket,
the volume, error rate, latency p50 and p95, and the waits that are not latency.

Windows: the last 24 h in hours, 7 days in 6-hour buckets, 30 days in days, aligned to UTC
boundaries (the last bucket is the one running now). A job belongs to the bucket in which its
event was received. Everything is computed by the database, in four queries whatever the
window: the counts grouped by (provider, bucket) and by bucket, and per grouping one query
that ranks latencies with window functions (``ROW_NUMBER`` and ``COUNT`` over the group, on
PostgreSQL and SQLite alike) and keeps the nearest-rank rows: the ⌈q·n⌉-th smallest latency
of the bucket's n synced jobs for p50 and p95, as ``syncs.metrics.summary`` defines percentiles.

Latency starts when the job could run (``syncs.engine.waits``); a wait for a connection or for a
person in review is shown on its own: how many jobs of the bucket waited, and their mean wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from syncs.metrics.summary import ERROR_STATUSES, SYNCED_STATUSES, latency_expression
from syncs.models import SyncJob
from tenants.models import Client
from tenants.scoping import for_client

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

ALL = "all"
QUANTILES = (50, 95)  # percent


@dataclass(frozen=True)
class Span:
    length: timedelta
    step: timedelta
    label_format: str  # strftime, in the client's time zone

    @property
    def buckets(self) -> int:
        return int(self.length / self.step)


SPANS: dict[str, Span] = {
    "24h": Span(timedelta(hours=24), timedelta(hours=1), "%H:%M"),
    "7d": Span(timedelta(days=7), timedelta(hours=6), "%a %H:%M"),
    "30d": Span(timedelta(days=30), timedelta(days=1), "%m-%d"),
}


class BucketIndex(Func):
    """Which step-sized bucket after ``start`` a timestamp falls in (an integer, counted from
    0), by whole seconds so both databases agree exactly at the boundaries."""

    output_field = IntegerField()

    def __init__(self, expression: Any, start: datetime, step: timedelta) -> None:
        super().__init__(expression, Value(start, output_field=DateTimeField()))
        self.step = int(step.total_seconds())

    # Django calls as_sql(compiler, connection); Func's function/template/arg_joiner go unused.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        when, when_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        sql = f"FLOOR(EXTRACT(EPOCH FROM ({when} - {start})) / {self.step})::integer"
        return sql, (*when_params, *start_params)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        when, when_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        # Django stores SQLite datetimes as UTC text; strftime('%s') reads whole seconds.
        sql = (
            f"((CAST(strftime('%%s', {when}) AS INTEGER)"
            f" - CAST(strftime('%%s', {start}) AS INTEGER)) / {self.step})"
        )
        return sql, (*when_params, *start_params)


@dataclass
class Point:
    start: datetime
    label: str
    volume: int = 0  # jobs of events received in the bucket
    attempted: int = 0
    errors: int = 0
    synced: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    waited_connection: int = 0  # jobs that waited for a connection, and their mean wait
    wait_connection_ms: float | None = None
    waited_review: int = 0  # jobs that waited in review, and their mean wait
    wait_review_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.attempted if self.attempted else None


@dataclass
class Series:
    provider: str  # a provider slug, or ``ALL``
    points: list[Point] = field(default_factory=list)

    @property
    def volume(self) -> int:
        return sum(p.volume for p in self.points)


def window_start(span: Span, now: datetime) -> datetime:
    """The first bucket's start: the window ends at the step boundary after ``now`` (UTC)."""
    step = int(span.step.total_seconds())
    end = datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, tz=UTC)
    return end - span.length


def _counts() -> dict[str, Any]:
    waited_c, waited_r = Q(waited_connection_ms__gt=0), Q(waited_review_ms__gt=0)
    return {
        "volume": Count("pk"),
        "attempted": Count("pk", filter=Q(attempts__gt=0)),
        "errors": Count("pk", filter=Q(status__in=ERROR_STATUSES)),
        "synced": Count("pk", filter=Q(status__in=SYNCED_STATUSES)),
        "waited_connection": Count("pk", filter=waited_c),
        "wait_connection_ms": Avg("waited_connection_ms", filter=waited_c),
        "waited_review": Count("pk", filter=waited_r),
        "wait_review_ms": Avg("waited_review_ms", filter=waited_r),
    }


def _percentile_rows(jobs: QuerySet[SyncJob], by_provider: bool) -> list[dict[str, Any]]:
    """For each group, the rows at the nearest ranks of every quantile in ``QUANTILES``, with
    ``rank`` and each quantile's wanted rank (``q50``, ``q95``) to tell which they are."""
    synced = jobs.filter(status__in=SYNCED_STATUSES, finished_at__isnull=False).annotate(
        latency=latency_expression()
    )
    partition = [F("provider"), F("bucket")] if by_provider else [F("bucket")]
    ranked = synced.annotate(
        rank=Window(RowNumber(), partition_by=partition, order_by=[F("latency"), F("pk")]),
        measured=Window(Count("pk"), partition_by=partition),
    )
    # ⌈q·n/100⌉ in integer arithmetic, the same on both databases.
    wanted = {f"q{q}": (F("measured") * q + 99) / 100 for q in QUANTILES}
    hit = Case(
        *(When(rank=F(name), then=Value(1)) for name in wanted),
        default=Value(0),
        output_field=IntegerField(),
    )
    # One condition (Django filters on window functions only without OR); no ordering: the
    # model's default would add a sort of every ranked row.
    rows = (
        ranked.annotate(**wanted, hit=hit)
        .filter(hit=1)
        .order_by()
        .values("provider", "bucket", "latency", "rank", *wanted)
    )
    return list(rows)


def sync_timeseries(
    client: Client, window: str = "24h", now: datetime | None = None
) -> list[Series]:
    """``ALL`` first, then one series per provider with jobs in the window; each has one
    point per bucket (empty buckets included). Raises KeyError for a window not in ``SPANS``."""
    span = SPANS[window]
    now = now or timezone.now()
    start = window_start(span, now)
    zone = ZoneInfo(client.time_zone)
    # The event's client too, so the events are read through their (client, received_at) index.
    jobs = for_client(SyncJob, client).filter(
        event__client=client,
        event__received_at__gte=start,
        event__received_at__lt=start + span.length,
    )
    jobs = jobs.annotate(bucket=BucketIndex(F("event__received_at"), start, span.step))

    def empty(provider: str) -> Series:
        points = []
        for i in range(span.buckets):
            at = start + i * span.step
            points.append(Point(start=at, label=at.astimezone(zone).strftime(span.label_format)))
        return Series(provider=provider, points=points)

    series: dict[str, Series] = {ALL: empty(ALL)}
    row: Mapping[str, Any]  # grouped by provider and bucket, by bucket, then percentile rows
    grouped = jobs.values("provider", "bucket").order_by().annotate(**_counts())
    for row in grouped:
        provider = row["provider"] or "(none)"
        target = series.setdefault(provider, empty(provider))
        _fill(target.points[row["bucket"]], row)
    for row in jobs.values("bucket").order_by().annotate(**_counts()):
        _fill(series[ALL].points[row["bucket"]], row)
    for by_provider in (True, False):
        for row in _percentile_rows(jobs, by_provider):
            name = (row["provider"] or "(none)") if by_provider else ALL
            point = series[name].points[row["bucket"]]
            for quantile in QUANTILES:
                if row["rank"] == row[f"q{quantile}"]:  # one row may be both (few jobs)
                    setattr(point, f"p{quantile}_ms", row["latency"].total_seconds() * 1000)
    others = sorted(name for name in series if name != ALL)
    return [series[ALL], *(series[name] for name in others)]


def _fill(point: Point, row: Mapping[str, Any]) -> None:
    for name in (
        "volume",
        "attempted",
        "errors",
        "synced",
        "waited_connection",
        "wait_connection_ms",
        "waited_review",
        "wait_review_ms",
    ):
        setattr(point, name, row[name])
