"""Sync outcomes reach the client's chatbot vendor as lead.* webhooks, once per change."""

from __future__ import annotations

import pytest

from syncs.engine.runs import sync_job_run
from syncs.intake.review import release_review
from syncs.webhooks import services
from syncs.webhooks.models import WebhookMessage

from ..crm_double import MemoryCrm
from ..helpers import event_of, lead_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks_a(world):
    return services.endpoint_create(
        client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"]
    )[0]


def test_a_synced_lead_is_announced_with_its_crm_id(world, crm_a, hooks_a):
    job = lead_job(world.client_a)
    sync_job_run(job.pk, vendor=MemoryCrm())
    job.refresh_from_db()
    (message,) = WebhookMessage.objects.all()
    assert message.event_type == "lead.synced"
    assert message.payload["event_id"] == str(event_of(job).public_id)
    assert message.payload["chatbot_session_id"] == "sess-1"
    (target,) = message.payload["targets"]
    assert target["crm_id"] == job.external_id and target["provider"] == "hubspot"
    assert list(message.deliveries.values_list("endpoint", flat=True)) == [hooks_a.pk]


def test_a_held_lead_is_announced_then_its_sync_after_release(world, crm_a, hooks_a):
    crm = MemoryCrm()
    job = lead_job(world.client_a, phone="555-01")
    sync_job_run(job.pk, vendor=crm)
    held = WebhookMessage.objects.get()
    assert held.event_type == "lead.needs_review" and "555-01" in held.payload["reason"]

    job.refresh_from_db()
    release_review(job, {"phone": "(415) 555-2671"}, actor="staff:owner@northwind.example")
    sync_job_run(job.pk, vendor=crm)
    types = list(WebhookMessage.objects.order_by("pk").values_list("event_type", flat=True))
    assert types == ["lead.needs_review", "lead.synced"]


def test_a_rerun_that_changes_nothing_announces_nothing_more(world, crm_a, hooks_a):
    job = lead_job(world.client_a)
    sync_job_run(job.pk, vendor=MemoryCrm())
    sync_job_run(job.pk, vendor=MemoryCrm())  # not claimable again: skipped
    from syncs.engine.events import refresh_event_status

    refresh_event_status(event_of(job))
    assert WebhookMessage.objects.count() == 1


def test_other_clients_endpoints_hear_nothing(world, crm_a):
    services.endpoint_create(client=world.client_b, url="http://127.0.0.1:1/h", event_types=["*"])
    sync_job_run(lead_job(world.client_a).pk, vendor=MemoryCrm())
    assert WebhookMessage.objects.count() == 0


def test_an_event_with_two_jobs_is_announced_once_both_are_synced(world, crm_a, hooks_a):
    """A job whose event has another job does not settle the event's status on its own."""
    from connectors.models import Connection
    from syncs.intake.services import event_create
    from syncs.models import SyncJob

    from ..conftest import LEAD

    world.client_a.crm_provider = ""  # every CRM connection gets a job
    world.client_a.save()
    Connection.objects.create(client=world.client_a, provider="salesforce", kind="crm")
    event = event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    first, second = SyncJob.objects.filter(event=event).order_by("pk")
    crm = MemoryCrm()
    assert sync_job_run(first.pk, vendor=crm) == "synced"
    event.refresh_from_db()
    assert event.status == "processing" and not WebhookMessage.objects.exists()
    assert event.normalised["phone"] == "+14155552671"
    assert sync_job_run(second.pk, vendor=crm) == "synced"
    event.refresh_from_db()
    assert event.status == "synced"
    (message,) = WebhookMessage.objects.all()
    assert [t["provider"] for t in message.payload["targets"]] == ["hubspot", "salesforce"]
