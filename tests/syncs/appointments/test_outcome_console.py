"""Staff record an outcome in the console: an operator can, a viewer cannot, and another
agency's staff never reach the booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.syncs.appointments.bookings import confirmed, sent, subscribe

pytestmark = pytest.mark.django_db


def _url(world, booking) -> str:
    return f"/console/clients/{world.client_a.public_id}/bookings/{booking.public_id}/outcome"


@pytest.fixture
def booking(world):
    subscribe(world.client_a, "booking.outcome")
    return confirmed(world.client_a, timezone.now() - timedelta(hours=2))


def test_an_operator_records_a_no_show(client, world, operator, booking):
    client.force_login(operator)
    response = client.post(_url(world, booking), {"outcome": "no_show"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.outcome == "no_show"
    assert sent(world.client_a, "booking.outcome")[0]["outcome"] == "no_show"


def test_a_viewer_cannot_and_a_bad_outcome_changes_nothing(client, world, viewer, operator,
                                                          booking):  # fmt: skip
    client.force_login(viewer)
    assert client.post(_url(world, booking), {"outcome": "attended"}).status_code == 403
    client.force_login(operator)
    assert client.post(_url(world, booking), {"outcome": "late"}).status_code == 302
    booking.refresh_from_db()
    assert booking.outcome == "" and sent(world.client_a, "booking.outcome") == []
