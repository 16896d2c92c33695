"""Sync metrics over time: buckets, nearest-rank p50/p95 per bucket (computed by the database:
this runs on SQLite by default and on PostgreSQL with DATABASE_URL), volume, error rate, and
latency that starts when a job could run, with its waits shown apart."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.models import Connection
from syncs.engine.outbox import release_waiting
from syncs.engine.runs import sync_job_run
from syncs.intake.review import release_review
from syncs.metrics.summary import sync_metrics
from syncs.metrics.timeseries import ALL, SPANS, sync_timeseries, window_start
from syncs.models import AiEvent, SyncJob

from .helpers import lead_job
from .rollback_helpers import UndoCrm

pytestmark = pytest.mark.django_db
# 10:20 UTC: the 24 h window runs from 11:00 yesterday to 11:00 today, in hours.
NOW = datetime(2026, 12, 4, 10, 20, 30, tzinfo=UTC)


def job(client, provider, received, status="synced", ms=None, **fields):
    event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
    AiEvent.objects.filter(pk=event.pk).update(received_at=received)
    finished = received + timedelta(milliseconds=ms) if ms is not None else None
    fields.setdefault("attempts", 0 if status == "pending" else 1)
    return SyncJob.objects.create(
        client=client, event=event, provider=provider, status=status, finished_at=finished, **fields
    )


def nearest_rank(values, q):
    """The oracle: the ⌈q·n⌉-th smallest value."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def by_provider(series):
    return {s.provider: s for s in series}


def test_it_buckets_by_hour_six_hours_and_day_aligned_to_utc():
    assert window_start(SPANS["24h"], NOW) == datetime(2026, 12, 3, 11, tzinfo=UTC)
    assert window_start(SPANS["7d"], NOW) == datetime(2026, 11, 27, 12, tzinfo=UTC)
    assert window_start(SPANS["30d"], NOW) == datetime(2026, 11, 5, tzinfo=UTC)
    assert [SPANS[w].buckets for w in ("24h", "7d", "30d")] == [24, 28, 30]


def test_it_computes_nearest_rank_p50_and_p95_per_bucket_and_provider(world):
    a = world.client_a
    hour = datetime(2026, 12, 4, 8, tzinfo=UTC)  # bucket 21 of the 24 h window
    hubspot = [137 * i % 1009 + 20 for i in range(1, 21)]  # 20 distinct, unordered latencies
    salesforce = [900, 100, 200]
    for i, ms in enumerate(hubspot):
        job(a, "hubspot", hour + timedelta(minutes=2 * i), ms=ms)
    for i, ms in enumerate(salesforce):
        job(a, "salesforce", hour + timedelta(minutes=59, seconds=i), ms=ms)
    job(a, "hubspot", hour + timedelta(hours=1), ms=5)  # the next bucket
    job(world.client_b, "hubspot", hour, ms=99999)  # another client

    series = by_provider(sync_timeseries(a, "24h", now=NOW))

    point = series["hubspot"].points[21]
    assert (point.p50_ms, point.p95_ms) == (nearest_rank(hubspot, 0.5), nearest_rank(hubspot, 0.95))
    assert (point.p50_ms, point.p95_ms) == (sorted(hubspot)[9], sorted(hubspot)[18])
    sf = series["salesforce"].points[21]
    assert (sf.p50_ms, sf.p95_ms) == (200, 900)
    everyone = series[ALL].points[21]
    both = hubspot + salesforce
    assert (everyone.p50_ms, everyone.p95_ms) == (nearest_rank(both, 0.5), nearest_rank(both, 0.95))
    assert series[ALL].points[22].p50_ms == 5 and series[ALL].points[22].volume == 1
    assert series[ALL].points[20].p50_ms is None and series[ALL].points[20].volume == 0


def test_it_counts_volume_and_errors_per_bucket(world):
    a = world.client_a
    hour = datetime(2026, 12, 4, 9, tzinfo=UTC)  # bucket 22
    job(a, "hubspot", hour, ms=100)
    job(a, "hubspot", hour + timedelta(minutes=1), "dead", attempts=8)
    job(a, "hubspot", hour + timedelta(minutes=2), "failed", attempts=2)
    job(a, "hubspot", hour + timedelta(minutes=3), "pending")
    job(a, "hubspot", NOW - timedelta(days=2), ms=100)  # outside the 24 h window

    (everyone, hubspot) = sync_timeseries(a, "24h", now=NOW)

    point = hubspot.points[22]
    assert (point.volume, point.attempted, point.errors, point.synced) == (4, 3, 2, 1)
    assert point.error_rate == pytest.approx(2 / 3)
    assert everyone.volume == hubspot.volume == 4


def test_the_last_bucket_boundary_is_exact_to_the_second(world):
    a = world.client_a
    boundary = datetime(2026, 12, 4, 9, tzinfo=UTC)
    job(a, "hubspot", boundary - timedelta(seconds=1), ms=1)
    job(a, "hubspot", boundary, ms=2)

    (everyone, _) = sync_timeseries(a, "24h", now=NOW)

    assert (everyone.points[21].p50_ms, everyone.points[22].p50_ms) == (1, 2)


def test_the_30_day_window_has_daily_points(world):
    a = world.client_a
    job(a, "hubspot", NOW - timedelta(days=10), ms=400)

    (everyone, _) = sync_timeseries(a, "30d", now=NOW)

    assert len(everyone.points) == 30
    assert [p.p95_ms for p in everyone.points if p.volume] == [400]


def test_it_reads_in_a_fixed_number_of_queries(world):
    for provider in ("hubspot", "salesforce", "zoho", "pipedrive"):
        for day in range(5):
            job(world.client_a, provider, NOW - timedelta(days=day, hours=1), ms=100 + day)

    with CaptureQueriesContext(db_connection) as queries:
        series = sync_timeseries(world.client_a, "7d", now=NOW)

    assert len(series) == 5 and len(queries) == 4


# Latency counts from the moment a job could run; waits are shown apart.


def backdate(job: SyncJob, by: timedelta) -> None:
    AiEvent.objects.filter(pk=job.event_id).update(received_at=timezone.now() - by)
    SyncJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - by)


def test_waiting_for_a_connection_is_no_latency(world):
    waiting = lead_job(world.client_a)  # no CRM connected yet
    assert waiting.status == "waiting_connection"
    backdate(waiting, timedelta(minutes=10))
    crm = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")

    assert release_waiting(crm) == [waiting.pk]
    assert sync_job_run(waiting.pk, vendor=UndoCrm()) == "synced"

    row = SyncJob.objects.get(pk=waiting.pk)
    assert row.waited_connection_ms == pytest.approx(600_000, abs=5_000)
    (metrics,) = [m for m in sync_metrics(world.client_a, "24h") if m.provider == "hubspot"]
    assert metrics.p50_ms < 5_000  # not the ten minutes spent waiting
    (everyone, _) = sync_timeseries(world.client_a, "24h")
    (point,) = [p for p in everyone.points if p.volume]
    assert point.p95_ms < 5_000
    assert point.waited_connection == 1
    assert point.wait_connection_ms == pytest.approx(600_000, abs=5_000)


def test_waiting_in_review_is_no_latency(world):
    Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    crm = UndoCrm()
    held = lead_job(world.client_a, phone="12", email="not-an-email")
    assert sync_job_run(held.pk, vendor=crm) == "needs_review"
    # Held half an hour ago, received half a second before that.
    SyncJob.objects.filter(pk=held.pk).update(waiting_since=timezone.now() - timedelta(minutes=30))
    AiEvent.objects.filter(pk=held.event_id).update(
        received_at=timezone.now() - timedelta(minutes=30, milliseconds=500)
    )

    release_review(held, {"phone": "+14155552671", "email": "fixed@example.com"}, "staff:x")
    assert sync_job_run(held.pk, vendor=crm) == "synced"

    (everyone, _) = sync_timeseries(world.client_a, "24h")
    (point,) = [p for p in everyone.points if p.volume]
    assert 500 <= point.p50_ms < 5_000
    assert point.waited_review == 1
    assert point.wait_review_ms == pytest.approx(1_800_000, abs=5_000)
    assert point.waited_connection == 0


def test_a_job_rolled_back_later_still_counts_as_synced_as_on_the_metrics_table(world):
    """A rollback undoes the records, not the sync: the charts count its latency and success
    as ``syncs.metrics.summary`` does, so the two views of one window agree."""
    hour = datetime(2026, 12, 4, 8, tzinfo=UTC)
    job(world.client_a, "hubspot", hour, ms=300)
    job(world.client_a, "hubspot", hour + timedelta(minutes=1), status="rolled_back", ms=700)

    point = by_provider(sync_timeseries(world.client_a, "24h", now=NOW))["hubspot"].points[21]

    assert (point.volume, point.synced, point.p95_ms) == (2, 2, 700)
