"""Booking events are made by the booking API alone (with their booking and calendar job);
the intake refuses them, and they raise no ``lead.*`` webhooks."""

from __future__ import annotations

import pytest

from syncs.models import AiEvent, EventKind, EventStatus
from syncs.webhooks.events import announce_event_status
from syncs.webhooks.models import WebhookMessage
from syncs.webhooks.services import endpoint_create
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["booking.requested", "booking.reschedule", "booking.cancel"])
def test_booking_kinds_cannot_be_posted_as_ai_events(api, world, kind):
    body = {"kind": kind, "payload": {"email": "m@example.com"}}
    response = api.post("/api/v1/events", body, format="json", **bearer(world.key_a))
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert not AiEvent.objects.exists()


def test_a_booking_event_synced_is_no_lead_synced(world):
    endpoint_create(client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"])
    event = AiEvent.objects.create(
        client=world.client_a, kind=EventKind.BOOKING_REQUESTED, status=EventStatus.SYNCED
    )
    assert announce_event_status(event, jobs=[]) is None
    lead = AiEvent.objects.create(
        client=world.client_a, kind=EventKind.LEAD_CAPTURED, status=EventStatus.SYNCED
    )
    assert announce_event_status(lead, jobs=[]) is not None
    assert list(WebhookMessage.objects.values_list("event_type", flat=True)) == ["lead.synced"]


def test_the_hold_sweep_is_registered_and_scheduled(settings):
    from agency.celery import app

    app.loader.import_default_modules()
    assert "syncs.calendar.bookings.expire_holds" in app.tasks
    scheduled = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled["syncs.calendar.bookings.expire_holds"] <= settings.BOOKING_HOLD_SECONDS
