"""A pool process killed in the middle of a job: the job is synced again within seconds (not
after its lease), once, by the message Celery redelivers. Real worker, real emulator."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests
from django.conf import settings
from django.db import connection

from connectors.emulators.crm import control
from syncs.models import JobStatus, SyncJob
from syncs.outbox import lease_seconds

from ..connectors.crm_fixtures import emulated  # noqa: F401  (fixture)
from ..syncs.conftest import LEAD
from ..worker import celery_worker, pool_children, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DEAL_WAIT = 6  # seconds the emulator holds the deal call: the kill lands inside it
# Billiard reports a dead pool process after ``worker_lost_wait`` (10 s); then the run itself.
RECOVERED_WITHIN = 45


def _objects(account: str, object_type: str) -> list[dict]:
    return control.records("hubspot", account, object_type)


def test_a_job_whose_pool_process_is_killed_is_synced_again_at_once_and_once(
    live_server,
    emulated,  # noqa: F811
    world,
):
    from ..conftest import require

    require(
        bool(settings.REDIS_URL) and connection.vendor == "postgresql",
        "runs on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)",
    )
    _connection, account = emulated("hubspot", world.client_a)
    control.add_default_mapping_fields("hubspot", account)
    world.client_a.crm_provider = "hubspot"
    world.client_a.save()
    control.inject_fault("hubspot", account, "slow", path="deals", seconds=DEAL_WAIT)
    purge_broker()
    with celery_worker(
        concurrency=1, name="lost", VENDOR_BASE_URL=f"{live_server.url}/emulators"
    ) as proc:
        answer = requests.post(
            f"{live_server.url}/api/v1/leads",
            json=LEAD,
            headers={"Authorization": f"Bearer {world.key_a}"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        # The contact is in the CRM and the deal call is waiting: kill the process running it.
        wait_for(lambda: _objects(account, "contacts"), timeout=60)
        job = SyncJob.objects.get()
        assert job.status == JobStatus.RUNNING
        [child] = pool_children(proc.pid)
        os.kill(child, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(
            lambda: SyncJob.objects.filter(pk=job.pk, status=JobStatus.SYNCED).exists(),
            timeout=RECOVERED_WITHIN,
        )
        took = time.monotonic() - killed
    job.refresh_from_db()
    assert took < lease_seconds() / 4
    assert job.claims == 2  # the redelivered message re-ran it, as a re-run
    # The dead run's deal was made after all (the emulator answered a caller that was gone):
    # the re-run found it instead of making another.
    assert len(_objects(account, "contacts")) == 1
    assert len(_objects(account, "deals")) == 1
    assert len(_objects(account, "notes")) == 1
