"""Sync metrics on a constructed data set: exact histogram counts, percentiles and rates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syncs.metrics.summary import BUCKETS_MS, sync_metrics
from syncs.models import AiEvent, SyncJob

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def job(client, provider, status="synced", ms=None, age=timedelta(hours=1), **fields):
    received = NOW - age
    event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
    AiEvent.objects.filter(pk=event.pk).update(received_at=received)
    finished = received + timedelta(milliseconds=ms) if ms is not None else None
    fields.setdefault("attempts", 0 if status == "pending" else 1)
    return SyncJob.objects.create(
        client=client, event=event, provider=provider, status=status, finished_at=finished, **fields
    )


@pytest.fixture
def data(world):
    a = world.client_a
    for ms in (10, 50, 100, 300, 800, 3000, 20000):
        job(a, "hubspot", ms=ms)
    job(a, "hubspot", ms=60, overrides={"phone": "+14155552671"})  # released after a fix
    job(a, "hubspot", "dead", attempts=8)
    job(a, "hubspot", "failed", attempts=2)
    job(a, "hubspot", "needs_review")
    job(a, "hubspot", "pending")
    job(a, "salesforce", ms=200)
    job(a, "salesforce", ms=400)
    job(a, "hubspot", ms=90000, age=timedelta(days=3))  # outside 24 h, inside 7 d
    job(world.client_b, "hubspot", "dead", attempts=8)  # another client: never counted
    job(world.client_b, "hubspot", ms=1)
    return a


def by_provider(metrics):
    return {m.provider: m for m in metrics}


def test_it_counts_latencies_into_fixed_buckets(data):
    hubspot = by_provider(sync_metrics(data, "24h", now=NOW))["hubspot"]
    assert [b.count for b in hubspot.histogram] == [2, 2, 0, 1, 1, 0, 1, 0, 1]
    assert len(hubspot.histogram) == len(BUCKETS_MS) + 1
    assert hubspot.histogram[0].label == "≤ 50 ms" and hubspot.histogram[-1].label == "> 10000 ms"
    assert hubspot.histogram[0].share == pytest.approx(2 / 8)


def test_it_computes_nearest_rank_percentiles(data):
    metrics = by_provider(sync_metrics(data, "24h", now=NOW))
    # hubspot: 10 50 60 100 | 300 800 3000 20000 → ⌈0.5·8⌉ = 4th, ⌈0.99·8⌉ = 8th
    assert (metrics["hubspot"].p50_ms, metrics["hubspot"].p99_ms) == (100, 20000)
    assert (metrics["salesforce"].p50_ms, metrics["salesforce"].p99_ms) == (200, 400)
    # all: 10 50 60 100 200 | 300 400 800 3000 20000 → rank 5 and rank 10
    assert (metrics["all"].p50_ms, metrics["all"].p99_ms) == (200, 20000)


def test_it_computes_error_and_manual_intervention_rates(data):
    metrics = by_provider(sync_metrics(data, "24h", now=NOW))
    hubspot = metrics["hubspot"]
    assert (hubspot.total, hubspot.attempted, hubspot.errors, hubspot.needs_review) == (
        12,
        11,
        2,
        2,
    )
    assert hubspot.error_rate == pytest.approx(2 / 11)
    assert hubspot.manual_rate == pytest.approx(2 / 12)
    assert metrics["salesforce"].error_rate == 0 and metrics["salesforce"].manual_rate == 0
    assert metrics["all"].total == 14 and metrics["all"].synced == 10


def test_it_honours_the_window(data):
    week = by_provider(sync_metrics(data, "7d", now=NOW))
    assert week["hubspot"].total == 13 and week["hubspot"].histogram[-1].count == 2
    with pytest.raises(KeyError):
        sync_metrics(data, "1y", now=NOW)


def test_it_reports_nothing_without_jobs(world):
    assert sync_metrics(world.outsider_client, "30d", now=NOW) == []


def test_it_aggregates_in_the_database(data):
    with CaptureQueriesContext(connection) as small:
        sync_metrics(data, "24h", now=NOW)
    for _ in range(30):
        job(data, "hubspot", ms=120)
    with CaptureQueriesContext(connection) as large:
        sync_metrics(data, "24h", now=NOW)
    assert len(large.captured_queries) == len(small.captured_queries)
