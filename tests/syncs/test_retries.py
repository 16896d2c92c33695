"""What a failed CRM call does to a job: retry when, how often, and when to give up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from connectors.base import ConnectorError
from syncs.engine.runs import sync_job_run
from syncs.models import AuditEntry, JobStatus, SyncJob

from .crm_double import MemoryCrm
from .helpers import event_of, lead_job

pytestmark = pytest.mark.django_db
retry_countdown = SyncJob.lifecycle.backoff  # full jitter (syncs.engine.models)


def eta_seconds(published) -> float:
    return (datetime.fromisoformat(published.eta) - timezone.now()).total_seconds()


def test_a_retry_after_is_honoured_and_not_counted(run_job, world, crm_a, broker):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("slow down", status=429, retry_after=7))
    job = lead_job(world.client_a)
    before = timezone.now()
    job = run_job(job, crm)
    assert job.status == JobStatus.FAILED and job.attempts == 0
    assert job.next_attempt_at >= before + timedelta(seconds=7)
    (message,) = broker.drain()
    assert message.job_id == job.pk and eta_seconds(message) > 6
    assert not crm.contacts


def test_a_retry_job_is_not_run_before_its_time(run_job, world, crm_a):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("slow down", status=429, retry_after=60))
    job = run_job(lead_job(world.client_a), crm)
    assert sync_job_run(job.pk, vendor=crm) == "skipped"  # an early duplicate message
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert run_job(job, crm).status == JobStatus.SYNCED and len(crm.contacts) == 1


def test_transient_errors_back_off_then_the_job_dies_after_eight_attempts(
    run_job, world, crm_a, broker
):
    crm = MemoryCrm()
    job = lead_job(world.client_a)
    for attempt in range(1, settings.SYNC_MAX_ATTEMPTS + 1):
        crm.failures.append(ConnectorError("502 Bad Gateway", status=502))
        job = run_job(job, crm)
        assert job.attempts == attempt
        if attempt < settings.SYNC_MAX_ATTEMPTS:
            assert job.status == JobStatus.FAILED
            SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert job.status == JobStatus.DEAD and "502" in job.last_error
    assert len(broker.drain()) == settings.SYNC_MAX_ATTEMPTS - 1
    assert AuditEntry.objects.filter(action="sync.dead", target=f"job:{job.pk}").count() == 1
    assert event_of(job).status == "failed"
    assert sync_job_run(job.pk, vendor=crm) == "skipped"


def test_a_permanent_error_is_dead_at_once_with_the_vendors_message(run_job, world, crm_a, broker):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("Property 'foo' does not exist", status=400, permanent=True))
    job = run_job(lead_job(world.client_a), crm)
    assert job.status == JobStatus.DEAD and job.attempts == 1
    assert "Property 'foo' does not exist" in job.last_error
    assert broker.drain() == []


def test_a_dead_grant_waits_for_the_connection(run_job, world, crm_a):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("invalid_grant", status=400, needs_reauth=True))
    job = run_job(lead_job(world.client_a), crm)
    assert job.status == JobStatus.WAITING_CONNECTION and "invalid_grant" in job.last_error


def test_an_unexpected_crash_is_retried_not_stranded(run_job, world, crm_a):
    class Broken(MemoryCrm):
        def find_contact(self, **kwargs):
            raise KeyError("surprise")

    job = run_job(lead_job(world.client_a), Broken())
    assert job.status == JobStatus.FAILED and "KeyError" in job.last_error


def test_backoff_is_jittered_grows_and_stays_under_the_caps():
    for attempt in range(1, 9):
        ceiling = min(
            settings.SYNC_RETRY_CAP_SECONDS, settings.SYNC_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        )
        values = [retry_countdown(attempt) for _ in range(200)]
        assert all(1.0 <= v <= max(1.0, ceiling) for v in values)
        assert max(values) <= settings.CELERY_MAX_COUNTDOWN
    assert len({retry_countdown(8) for _ in range(20)}) > 1  # jittered, not fixed
    assert max(retry_countdown(8) for _ in range(200)) > settings.SYNC_RETRY_BASE_SECONDS * 4


def test_a_huge_retry_after_is_capped_below_the_visibility_timeout(run_job, world, crm_a, broker):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("daily limit", status=429, retry_after=10**7))
    run_job(lead_job(world.client_a), crm)
    (message,) = broker.drain()
    assert eta_seconds(message) <= settings.CELERY_MAX_COUNTDOWN
