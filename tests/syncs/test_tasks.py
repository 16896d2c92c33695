"""Tasks are registered, thin, and on the beat schedule; a lead posted twice is one contact."""

from __future__ import annotations

import pytest
from django.conf import settings

from agency.celery import app
from syncs.engine.tasks import run_sync_job
from syncs.models import SyncJob

from ..conftest import bearer
from .conftest import LEAD
from .crm_double import MemoryCrm


def test_the_sync_tasks_are_registered_and_scheduled():
    app.loader.import_default_modules()
    for name in (
        "syncs.engine.tasks.run_sync_job",
        "syncs.engine.tasks.sweep_outbox",
        "syncs.engine.tasks.prune_idempotency_records",
    ):
        assert name in app.tasks
    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert scheduled["syncs.engine.tasks.sweep_outbox"] == 30.0
    assert "syncs.engine.tasks.prune_idempotency_records" in scheduled


def test_retry_timing_stays_below_the_visibility_timeout():
    assert settings.SYNC_RETRY_CAP_SECONDS < settings.CELERY_MAX_COUNTDOWN
    assert settings.SYNC_REPUBLISH_AFTER_SECONDS < settings.CELERY_VISIBILITY_TIMEOUT
    assert settings.IDEMPOTENCY_KEY_TTL_HOURS >= 24


@pytest.mark.django_db
def test_the_task_skips_a_job_that_does_not_exist():
    assert run_sync_job(987654) == "skipped"


@pytest.mark.django_db
def test_a_lead_posted_twice_with_one_key_creates_one_contact(api, world, crm_a, run_job):
    crm = MemoryCrm()
    for _ in range(2):
        headers = {**bearer(world.key_a), "HTTP_IDEMPOTENCY_KEY": "twice"}
        assert api.post("/api/v1/leads", LEAD, format="json", **headers).status_code == 202
    for job in SyncJob.objects.all():
        run_job(job, crm)
        run_job(job, crm)  # and a duplicated message for good measure
    assert len(crm.contacts) == 1 and crm.writes.count("create_contact") == 1


@pytest.mark.django_db
def test_without_a_key_two_posts_are_two_events_but_still_one_contact(api, world, crm_a, run_job):
    """No key, no request dedupe; the CRM search before create still finds the person."""
    crm = MemoryCrm()
    for _ in range(2):
        api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    for job in SyncJob.objects.order_by("pk"):
        run_job(job, crm)
    assert SyncJob.objects.count() == 2 and len(crm.contacts) == 1
    assert crm.writes.count("create_contact") == 1
