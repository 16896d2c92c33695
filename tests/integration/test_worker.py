"""A task sent through the configured broker runs in a real worker process."""

from __future__ import annotations

import uuid

import pytest

from agency.models import WorkerHeartbeat
from agency.tasks import heartbeat

from ..worker import celery_worker, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_it_runs_a_task_in_a_real_worker():
    purge_broker()
    nonce = uuid.uuid4().hex
    with celery_worker(name="heartbeat"):
        heartbeat.delay(nonce)
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(nonce=nonce).first(), timeout=60)
    assert row.hostname


def test_the_task_waits_for_a_worker_and_is_not_lost():
    """A message published while no worker runs is delivered once a worker starts."""
    purge_broker()
    nonce = uuid.uuid4().hex
    heartbeat.delay(nonce)
    assert not WorkerHeartbeat.objects.filter(nonce=nonce).exists()
    with celery_worker(name="late"):
        wait_for(lambda: WorkerHeartbeat.objects.filter(nonce=nonce).exists(), timeout=60)
    assert WorkerHeartbeat.objects.filter(nonce=nonce).count() == 1
