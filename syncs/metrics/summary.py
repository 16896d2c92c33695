"""Sync metrics for one client, per provider, over a window: latency from the event received
to the CRM record written (fixed-bucket histogram, p50, p99), error rate and manual-intervention
rate. Everything is aggregated in the database: one grouped query for the counts and one
single-row query per percentile, however many jobs there are.

Definitions (shown in the console beside the figures):
- latency: ``SyncJob.finished_at`` minus the moment the job could run (the event's receipt,
  moved later by any wait for a connection or in review: ``syncs.engine.waits``) of jobs that
  reached ``synced``;
- error rate: jobs ``failed`` (retry scheduled) or ``dead``, over jobs attempted at least once;
- manual-intervention rate: jobs waiting for review or released after a staff fix
  (``overrides`` set), over all jobs of the window.
Lead-to-appointment conversion needs the calendar sync and is not computed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from syncs.models import JobStatus, SyncJob
from tenants.models import Client
from tenants.scoping import for_client

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _Latency(TypedDict):
        latency: timedelta

    # Jobs annotated with ``latency`` (``_latency``), as django-stubs' plugin types them.
    TimedJobs = QuerySet[WithAnnotations[SyncJob, _Latency]]

BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000)  # upper bounds; then +inf
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
ERROR_STATUSES = (JobStatus.FAILED, JobStatus.DEAD)
# A job rolled back later was synced all the same: its latency and success still count.
SYNCED_STATUSES = (JobStatus.SYNCED, JobStatus.ROLLED_BACK)


@dataclass
class Bucket:
    label: str  # "≤ 250 ms" or "> 10000 ms"
    count: int
    share: float  # of all measured jobs, 0..1 (bar width in the console)


@dataclass
class ProviderMetrics:
    provider: str
    total: int
    attempted: int
    synced: int
    errors: int
    needs_review: int
    histogram: list[Bucket] = field(default_factory=list)
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.attempted if self.attempted else None

    @property
    def manual_rate(self) -> float | None:
        return self.needs_review / self.total if self.total else None


def _ms(value: int) -> timedelta:
    return timedelta(milliseconds=value)


def _jobs(client: Client, window: timedelta, now: datetime | None = None) -> QuerySet[SyncJob]:
    since = (now or timezone.now()) - window
    return for_client(SyncJob, client).filter(event__received_at__gte=since)


def latency_expression() -> ExpressionWrapper:
    """A job's sync latency as a duration, computed by the database: from the moment it could
    run (``ready_at``; without a wait, its event's receipt) to its record written."""
    ready = Coalesce(F("ready_at"), F("event__received_at"))
    return ExpressionWrapper(F("finished_at") - ready, DurationField())


def _latency(jobs: QuerySet[SyncJob]) -> TimedJobs:
    """Synced jobs annotated with their latency (a duration, computed by the database)."""
    return jobs.filter(status__in=SYNCED_STATUSES, finished_at__isnull=False).annotate(
        latency=latency_expression()
    )


def _aggregates() -> dict:
    """Counts and histogram buckets (non-cumulative), in one grouped aggregate."""
    measured = Q(status__in=SYNCED_STATUSES, finished_at__isnull=False)
    counts = {
        "total": Count("pk"),
        "attempted": Count("pk", filter=Q(attempts__gt=0)),
        "synced": Count("pk", filter=Q(status__in=SYNCED_STATUSES)),
        "errors": Count("pk", filter=Q(status__in=ERROR_STATUSES)),
        "needs_review": Count("pk", filter=Q(status=JobStatus.NEEDS_REVIEW) | ~Q(overrides={})),
    }
    lower = None
    for i, upper in enumerate((*BUCKETS_MS, None)):
        cond = measured
        if lower is not None:
            cond &= Q(latency__gt=_ms(lower))
        if upper is not None:
            cond &= Q(latency__lte=_ms(upper))
        counts[f"bucket_{i}"] = Count("pk", filter=cond)
        lower = upper
    return counts


def percentile_ms(latencies: TimedJobs, n: int, q: float) -> float | None:
    """Nearest-rank percentile: the ⌈q·n⌉-th smallest latency, read as one row."""
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    value = latencies.order_by("latency", "pk").values_list("latency", flat=True)[rank - 1]
    return value.total_seconds() * 1000


def _labels() -> list[str]:
    return [f"≤ {b} ms" for b in BUCKETS_MS] + [f"> {BUCKETS_MS[-1]} ms"]


def _build(provider: str, row: Mapping[str, Any], jobs: QuerySet[SyncJob]) -> ProviderMetrics:
    counts = [row[f"bucket_{i}"] for i in range(len(BUCKETS_MS) + 1)]
    measured = sum(counts)
    latencies = _latency(jobs)
    return ProviderMetrics(
        provider=provider,
        total=row["total"],
        attempted=row["attempted"],
        synced=row["synced"],
        errors=row["errors"],
        needs_review=row["needs_review"],
        histogram=[
            Bucket(label, count, count / measured if measured else 0.0)
            for label, count in zip(_labels(), counts, strict=True)
        ],
        p50_ms=percentile_ms(latencies, measured, 0.50),
        p99_ms=percentile_ms(latencies, measured, 0.99),
    )


def sync_metrics(
    client: Client, window: str = "24h", now: datetime | None = None
) -> list[ProviderMetrics]:
    """One entry per provider with jobs in the window, then ``"all"`` (the client's total).

    Raises KeyError for a window not in ``WINDOWS``.
    """
    jobs = _jobs(client, WINDOWS[window], now)
    annotated = jobs.annotate(latency=latency_expression())
    rows = annotated.values("provider").order_by("provider").annotate(**_aggregates())
    out = [
        _build(row["provider"] or "(none)", row, jobs.filter(provider=row["provider"]))
        for row in rows
    ]
    total = annotated.aggregate(**_aggregates())
    if out:
        out.append(_build("all", total, jobs))
    return out
