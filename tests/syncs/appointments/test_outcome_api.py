"""``POST /api/v1/bookings/{id}/outcome``: recorded, fed back to the chatbot vendor
(``booking.outcome``) and queued for the CRM meeting; bad input is a 400 problem, a booking that
is not confirmed a 409, another client's booking a 404."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Connection
from syncs.appointments.outcomes import record_booking_outcome
from syncs.calendar.bookings.models import BookingStatus
from syncs.crm.meetings import MEETING
from syncs.models import AuditEntry, SyncJob
from tests.syncs.appointments.bookings import confirmed, sent, subscribe

pytestmark = pytest.mark.django_db


def _post(client, booking, body, key):
    return client.post(
        f"/api/v1/bookings/{booking.public_id}/outcome", data=json.dumps(body),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip


@pytest.fixture
def booking(world):
    Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    subscribe(world.client_a, "booking.outcome")
    return confirmed(world.client_a, timezone.now() - timedelta(hours=1))


def test_it_records_the_outcome_and_feeds_it_back(client, world, booking):
    response = _post(client, booking, {"outcome": "no_show"}, world.key_a)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "no_show"
    booking.refresh_from_db()
    assert booking.outcome == "no_show"
    [hook] = sent(world.client_a, "booking.outcome")
    assert (hook["id"], hook["outcome"]) == (str(booking.public_id), "no_show")
    [job] = [j for j in SyncJob.objects.filter(event=booking.event) if MEETING in j.overrides]
    assert job.overrides[MEETING]["change"] == "booking.outcome"
    assert AuditEntry.objects.filter(action="booking.outcome").count() == 1


def test_the_same_outcome_again_changes_nothing(client, world, booking):
    for _ in range(2):
        assert _post(client, booking, {"outcome": "attended"}, world.key_a).status_code == 200
    assert len(sent(world.client_a, "booking.outcome")) == 1


@pytest.mark.parametrize(
    "body", [{"outcome": "maybe"}, {}, {"outcome": "attended", "note": "x"}, ["attended"]]
)
def test_bad_input_is_a_400_problem(client, world, booking, body):
    response = _post(client, booking, body, world.key_a)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    booking.refresh_from_db()
    assert booking.outcome == ""


def test_a_cancelled_booking_takes_no_outcome(client, world, booking):
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    response = _post(client, booking, {"outcome": "attended"}, world.key_a)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/conflict"


def test_another_clients_booking_is_a_404(client, world, booking):
    response = _post(client, booking, {"outcome": "attended"}, world.key_b)
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.outcome == ""


def test_staff_in_the_console_call_the_same_function(world, booking):
    record_booking_outcome(booking, "attended", actor="staff:ops@example.com")
    assert sent(world.client_a, "booking.outcome")[0]["outcome"] == "attended"
    with pytest.raises(ValueError, match="unknown outcome"):
        record_booking_outcome(booking, "late")
