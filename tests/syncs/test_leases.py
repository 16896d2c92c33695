"""A dead run's lease: released by the worker that saw its process die, or re-checked once
when it ends (unit level; tests/integration/test_worker_lost.py kills real pool processes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from billiard.exceptions import WorkerLostError
from celery.exceptions import TimeLimitExceeded
from django.utils import timezone

from syncs.engine import jobs
from syncs.engine.leases import process_lost
from syncs.engine.outbox import lease_seconds
from syncs.engine.runs import sync_job_claim, sync_job_run
from syncs.models import JobStatus, SyncJob

from .crm_double import MemoryCrm
from .helpers import lead_job

pytestmark = pytest.mark.django_db


def claimed(client, holder: str) -> SyncJob:
    """A job whose run (by delivery ``holder``) is in progress."""
    job = lead_job(client)
    assert sync_job_claim(job.pk, holder=holder) is not None
    return SyncJob.objects.get(pk=job.pk)


def expire_lease(job: SyncJob) -> None:
    long_ago = timezone.now() - timedelta(seconds=lease_seconds() + 5)
    SyncJob.objects.filter(pk=job.pk).update(started_at=long_ago)


def test_it_releases_the_lease_of_a_run_whose_process_died(world, crm_a):
    job = claimed(world.client_a, holder="task-1")
    assert jobs.release(SyncJob, job.pk, holder="task-1")
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.next_attempt_at <= timezone.now()
    crm = MemoryCrm()
    assert sync_job_run(job.pk, vendor=crm, holder="task-1") == JobStatus.SYNCED  # the redelivery
    job.refresh_from_db()
    assert job.claims == 2 and "find_deal" in crm.calls  # a re-run: it looks before it writes
    assert len(crm.contacts) == 1


def test_it_never_releases_a_later_runs_lease(world, crm_a):
    job = claimed(world.client_a, holder="task-1")
    expire_lease(job)
    assert sync_job_claim(job.pk, holder="task-2") is not None  # the sweeper's message
    assert not jobs.release(SyncJob, job.pk, holder="task-1")
    job.refresh_from_db()
    assert (job.status, job.lease_holder, job.claims) == (JobStatus.RUNNING, "task-2", 2)


def test_it_never_releases_a_job_its_run_finished(world, crm_a):
    job = lead_job(world.client_a)
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="task-1") == JobStatus.SYNCED
    assert not jobs.release(SyncJob, job.pk, holder="task-1")
    assert SyncJob.objects.get(pk=job.pk).status == JobStatus.SYNCED


def test_a_run_without_a_delivery_id_is_never_released(world, crm_a):
    job = claimed(world.client_a, holder="")
    assert not jobs.release(SyncJob, job.pk, holder="")
    assert SyncJob.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_a_job_that_keeps_killing_its_process_is_left_to_its_lease(world, crm_a, settings):
    job = claimed(world.client_a, holder="task-1")
    SyncJob.objects.filter(pk=job.pk).update(attempts=settings.SYNC_MAX_ATTEMPTS)
    assert not jobs.release(SyncJob, job.pk, holder="task-1")
    assert SyncJob.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_a_job_whose_last_allowed_run_died_is_dead_lettered_not_run_again(world, crm_a, settings):
    from syncs.models import AiEvent, AuditEntry, EventStatus

    job = claimed(world.client_a, holder="task-1")
    SyncJob.objects.filter(pk=job.pk).update(attempts=settings.SYNC_MAX_ATTEMPTS)
    crm = MemoryCrm()
    assert sync_job_run(job.pk, vendor=crm, holder="recheck") == "skipped"  # within its lease
    expire_lease(job)
    assert sync_job_run(job.pk, vendor=crm, holder="recheck") == JobStatus.DEAD
    assert crm.calls == []  # not run again
    job.refresh_from_db()
    assert job.status == JobStatus.DEAD and job.finished_at and "died" in job.last_error
    assert job.attempts == settings.SYNC_MAX_ATTEMPTS
    assert AiEvent.objects.get(pk=job.event_id).status == EventStatus.FAILED
    assert AuditEntry.objects.filter(action="sync.dead", target=f"job:{job.pk}").count() == 1
    assert sync_job_run(job.pk, vendor=crm, holder="late") == "skipped"  # once


def test_a_job_below_its_last_attempt_is_run_again_after_its_lease(world, crm_a, settings):
    job = claimed(world.client_a, holder="task-1")
    SyncJob.objects.filter(pk=job.pk).update(attempts=settings.SYNC_MAX_ATTEMPTS - 1)
    expire_lease(job)
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="recheck") == JobStatus.SYNCED


def test_only_a_lost_process_releases_not_a_time_limit_or_the_tasks_own_error():
    assert process_lost(WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL)."))
    assert process_lost(SystemExit(1))
    assert not process_lost(TimeLimitExceeded(300))
    assert not process_lost(ValueError("a bug"))


def _eta(published) -> datetime:
    return datetime.fromisoformat(published.eta)


def test_a_refused_message_schedules_one_recheck_for_when_the_lease_ends(world, crm_a, broker):
    job = claimed(world.client_a, holder="task-1")
    broker.drain()
    for _ in range(3):  # duplicates of its message, all refused
        assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="dup") == "skipped"
    [recheck] = broker.drain()
    lease_end = job.started_at + timedelta(seconds=lease_seconds())
    assert recheck.job_id == job.pk
    assert lease_end < _eta(recheck) <= lease_end + timedelta(seconds=2)
    expire_lease(job)  # the run died with its node; the re-check claims it
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="recheck") == JobStatus.SYNCED


def test_a_later_lease_gets_its_own_recheck(world, crm_a, broker):
    job = claimed(world.client_a, holder="task-1")
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="dup") == "skipped"
    expire_lease(job)
    assert sync_job_claim(job.pk, holder="task-2") is not None
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="dup") == "skipped"
    assert sync_job_run(job.pk, vendor=MemoryCrm(), holder="dup") == "skipped"
    assert [p.job_id for p in broker.drain()] == [job.pk, job.pk]


def test_a_refused_message_for_a_finished_job_schedules_nothing(world, crm_a, broker):
    job = lead_job(world.client_a)
    assert sync_job_run(job.pk, vendor=MemoryCrm()) == JobStatus.SYNCED
    broker.drain()
    assert sync_job_run(job.pk, vendor=MemoryCrm()) == "skipped"
    assert broker.drain() == []
