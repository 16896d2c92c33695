"""Lead-to-appointment conversion: leads with a confirmed booking from the same session or
the same person, over leads; shown on the console's metrics page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.metrics.conversion import lead_to_appointment
from syncs.models import AiEvent, EventKind
from tests.syncs.appointments.bookings import confirmed

pytestmark = pytest.mark.django_db


def _lead(client, session: str, email: str = "") -> AiEvent:
    return AiEvent.objects.create(client=client, kind=EventKind.LEAD_CAPTURED,
                                  payload={"email": email}, session_id=session)  # fmt: skip


def test_it_counts_leads_with_a_booking_by_session_or_person(world):
    client = world.client_a
    _lead(client, "s-booked")
    _lead(client, "s-other", email="Bea@Example.com")
    _lead(client, "s-none", email="nobody@example.com")
    later = timezone.now() + timedelta(days=1)
    confirmed(client, later, email="x@example.com", session="s-booked")
    confirmed(client, later, email="bea@example.com", session="s-booking-chat")
    unconfirmed = confirmed(client, later, email="nobody@example.com", session="s-x")
    unconfirmed.confirmed_at = None
    unconfirmed.save(update_fields=["confirmed_at"])
    confirmed(world.client_b, later, email="nobody@example.com", session="s-none")  # other client
    result = lead_to_appointment(client, timedelta(days=7))
    assert (result.leads, result.converted) == (3, 2)
    assert result.rate == pytest.approx(2 / 3)


def test_a_booking_made_before_the_lead_does_not_count(world):
    client = world.client_a
    confirmed(client, timezone.now() + timedelta(days=1), session="s1")
    _lead(client, "s1")
    assert lead_to_appointment(client, timedelta(days=7)).converted == 0
    assert lead_to_appointment(world.client_b, timedelta(days=7)).rate is None


def test_the_console_metrics_page_shows_it(client, world, viewer):
    _lead(world.client_a, "s1")
    confirmed(world.client_a, timezone.now() + timedelta(days=1), session="s1")
    client.force_login(viewer)
    page = client.get(f"/console/clients/{world.client_a.public_id}/metrics/?window=7d")
    assert page.status_code == 200
    assert "Lead-to-appointment" in page.content.decode()
    assert "100% (1 of 1)" in page.content.decode()
