"""A pool process killed in the middle of a job: the job is synced again within seconds (not
after its lease), once, by the message Celery redelivers; and a job killed at its last attempt
is left to its lease and then dead-lettered by the re-check, not run again and not left to the
sweeper. Real worker, real emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests
from django.conf import settings
from django.db import connection

from emulators.crm import control
from emulators.crm.models import EmuAccount, EmuRecord
from syncs.engine.outbox import lease_seconds
from syncs.models import EventStatus, JobStatus, SyncJob

from ..connectors.crm_fixtures import emulated  # noqa: F401  (fixture)
from ..syncs.conftest import LEAD
from ..worker import celery_worker, pool_children, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DEAL_WAIT = 6  # seconds the emulator holds the deal call: the kill lands inside it
# For the exactly-once test the dead run's deal call is answered only after the re-run (which
# comes ``worker_lost_wait``, 10 s, after the kill) has searched and created: the late create
# must land on the re-run's deal (HubSpot: upsert by the job's write key), not make a second.
LATE_DEAL_WAIT = 22
# Billiard reports a dead pool process after ``worker_lost_wait`` (10 s); then the run itself.
RECOVERED_WITHIN = 45
SHORT_TIME_LIMIT = 10  # the second test's worker: a lease of 40 s


@pytest.fixture
def hubspot(live_server, emulated, world) -> str:  # noqa: F811
    """Client A's HubSpot account in the emulator (``slow_deal_call`` makes its deal slow)."""
    from ..conftest import require

    require(
        bool(settings.REDIS_URL) and connection.vendor == "postgresql",
        "runs on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)",
    )
    _connection, account = emulated("hubspot", world.client_a)
    control.add_default_mapping_fields("hubspot", account)
    world.client_a.crm_provider = "hubspot"
    world.client_a.save()
    purge_broker()
    return account


def slow_deal_call(account: str, seconds: float) -> None:
    """The next deal create (or upsert) is answered ``seconds`` after it arrives."""
    control.inject_fault("hubspot", account, "slow", path="/objects/deals", seconds=seconds)


def deal_call_arrived(account: str) -> bool:
    """The emulator took the slow fault: the deal call is on the wire, being held."""
    return not EmuAccount.objects.get(vendor="hubspot", account_id=account).faults


def objects(account: str, object_type: str) -> list[dict]:
    return control.records("hubspot", account, object_type)


def post_and_kill_its_process(
    base: str, key: str, account: str, proc: subprocess.Popen
) -> tuple[SyncJob, float]:
    """Post a lead; once its contact is in the CRM and the deal call waits at the emulator,
    SIGKILL the pool process running it. Returns the job and the time of the kill."""
    answer = requests.post(
        f"{base}/api/v1/leads", json=LEAD, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: objects(account, "contacts"), timeout=60)
    wait_for(lambda: deal_call_arrived(account), timeout=30)
    job = SyncJob.objects.get()
    assert job.status == JobStatus.RUNNING
    [child] = pool_children(proc.pid)
    os.kill(child, signal.SIGKILL)
    return job, time.monotonic()


def synced(job: SyncJob, timeout: float) -> SyncJob:
    wait_for(lambda: SyncJob.objects.filter(pk=job.pk, status=JobStatus.SYNCED).exists(), timeout)
    return SyncJob.objects.get(pk=job.pk)


def assert_one_of_each(account: str) -> None:
    """The dead run's deal call was answered after all (to a caller that was gone), yet there
    is one deal, one contact and one note."""
    counts = {kind: len(objects(account, kind)) for kind in ("contacts", "deals", "notes")}
    assert counts == {"contacts": 1, "deals": 1, "notes": 1}


def test_a_job_whose_pool_process_is_killed_is_synced_again_at_once_and_once(
    live_server, world, hubspot
):
    vendor = f"{live_server.url}/emulators"
    slow_deal_call(hubspot, LATE_DEAL_WAIT)
    with celery_worker(concurrency=1, name="lost", VENDOR_BASE_URL=vendor) as proc:
        job, killed = post_and_kill_its_process(live_server.url, world.key_a, hubspot, proc)
        job = synced(job, timeout=RECOVERED_WITHIN)
        took = time.monotonic() - killed
    assert took < lease_seconds() / 4, took
    assert job.claims == 2  # the redelivered message re-ran it, as a re-run
    assert took < LATE_DEAL_WAIT, took  # the re-run's deal came first ...
    # ... and the dead run's create, still held by the emulator, lands after it.
    time.sleep(max(LATE_DEAL_WAIT - (time.monotonic() - killed), 0) + 2)
    assert_one_of_each(hubspot)
    # The late upsert reached the emulator and updated the re-run's deal (it did land).
    deal = EmuRecord.objects.get(vendor="hubspot", account_id=hubspot, object_type="deals")
    assert (deal.updated_at - deal.created_at).total_seconds() > 1


def test_a_job_killed_at_its_last_attempt_is_dead_lettered_when_its_lease_ends(
    live_server, world, hubspot
):
    """A killed job at its last attempt keeps its lease (no hot loop); the redelivered message,
    refused, schedules the re-check, which dead-letters it when the lease ends (no sweeper
    runs here): a lead that kills its worker every time is not run again."""
    env = {
        "CELERY_TASK_TIME_LIMIT": str(SHORT_TIME_LIMIT),
        "SYNC_MAX_ATTEMPTS": "1",
        "VENDOR_BASE_URL": f"{live_server.url}/emulators",
    }
    lease = SHORT_TIME_LIMIT + 30  # lease_seconds() in that worker
    slow_deal_call(hubspot, DEAL_WAIT)
    with celery_worker(concurrency=1, name="leased", **env) as proc:
        job, killed = post_and_kill_its_process(live_server.url, world.key_a, hubspot, proc)
        wait_for(
            lambda: SyncJob.objects.filter(pk=job.pk, status=JobStatus.DEAD).exists(),
            timeout=lease + 30,
        )
        took = time.monotonic() - killed
    assert took > lease - DEAL_WAIT - 5, took  # it waited for the lease
    job = SyncJob.objects.select_related("event").get(pk=job.pk)
    assert job.claims == 1 and job.event.status == EventStatus.FAILED
    assert len(objects(hubspot, "contacts")) == 1  # the dead run's writes, and no more
    assert objects(hubspot, "notes") == []
