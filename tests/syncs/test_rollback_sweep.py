"""A rollback whose chain of messages broke still finishes: the sweeper re-queues the next
step, and a step whose worker died is taken again after its lease (undo is idempotent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.rollback.models import Rollback, RollbackStep
from syncs.rollback.services import rollback_step_run, start_rollback
from syncs.rollback.sweep import rollback_sweep

from .rollback_helpers import UndoCrm, published_steps, run_rollback, sync_lead

pytestmark = pytest.mark.django_db
STAFF = "staff:operator@northwind.example"
LATER = timedelta(hours=1)


@pytest.fixture
def crm(world, crm_a):
    crm = UndoCrm()
    sync_lead(world.client_a, crm)
    return crm


def test_it_requeues_the_next_step_of_a_stalled_rollback(
    world, crm, django_capture_on_commit_callbacks
):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    published_steps()  # the first message is lost
    assert rollback_sweep() == 0  # not idle long enough yet
    with django_capture_on_commit_callbacks(execute=True):
        assert rollback_sweep(now=timezone.now() + LATER) == 1
    first = RollbackStep.objects.get(rollback=rollback, position=0)
    assert published_steps() == [first.pk]


def test_it_takes_again_a_step_whose_worker_died_after_its_lease(world, crm):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    step = RollbackStep.objects.get(rollback=rollback, position=0)
    RollbackStep.objects.filter(pk=step.pk).update(status="running", started_at=timezone.now())
    assert rollback_step_run(step.pk, vendor=crm) == "not_claimed"  # still within its lease
    RollbackStep.objects.filter(pk=step.pk).update(started_at=timezone.now() - LATER)
    assert rollback_step_run(step.pk, vendor=crm) == "restored"
    run_rollback(rollback, crm)
    assert rollback.status == "done" and not crm.contacts


def test_the_sweeper_finishes_a_rollback_whose_last_message_was_lost(world, crm):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    run_rollback(rollback, crm)
    Rollback.objects.filter(pk=rollback.pk).update(status="running", finished_at=None)
    rollback_sweep(now=timezone.now() + LATER)
    rollback.refresh_from_db()
    assert rollback.status == "done" and rollback.finished_at is not None


def test_the_sweeper_waits_for_a_scheduled_retry(world, crm, django_capture_on_commit_callbacks):
    from connectors.base import ConnectorError

    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    first = RollbackStep.objects.get(rollback=rollback, position=0)
    crm.failures.append(ConnectorError("Slow down", status=429, retry_after=3600))
    rollback_step_run(first.pk, vendor=crm)
    published_steps()
    with django_capture_on_commit_callbacks(execute=True):
        assert rollback_sweep(now=timezone.now() + timedelta(minutes=30)) == 0
    assert published_steps() == []
