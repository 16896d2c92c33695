"""Staff move and cancel bookings from the Bookings page through the booking services: a
move to a free slot holds it (the calendar job queued), a move onto busy time is refused with
the nearest free times, a cancel asks first; "operate" only, never another client's booking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.models import Service
from syncs.models import AuditEntry, SyncJob
from tests.connectors.google.conftest import google  # noqa: F401

from .test_console_bookings import at, booking, clinic, event  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def url(client, b, action: str) -> str:
    return f"/console/clients/{client.public_id}/calendar/bookings/{b.public_id}/{action}"


def test_staff_move_a_booking_to_a_free_slot(client, world, operator, clinic):  # noqa: F811
    c, service, account, monday = clinic
    ours = event(account, at(monday, 10), at(monday, 11), "Check-up")
    b = booking(c, service, at(monday, 10), provider_event_id=ours)
    client.force_login(operator)
    response = client.post(url(c, b, "reschedule"), {"when": f"{monday}T15:00"}, follow=True)
    assert "Moving the booking to" in response.content.decode()
    b.refresh_from_db()
    assert b.start == at(monday, 15) and b.status == BookingStatus.HELD
    assert b.previous_start == at(monday, 10)
    assert SyncJob.objects.filter(kind="calendar", client=c).count() == 1
    entry = AuditEntry.objects.get(action="booking.moved_by_staff")
    assert entry.actor == f"staff:{operator.email}"


def test_a_move_onto_busy_time_is_refused_with_the_nearest_free_times(
    client,
    world,
    operator,
    clinic,  # noqa: F811
):
    c, service, account, monday = clinic
    b = booking(c, service, at(monday, 10))
    event(account, at(monday, 13), at(monday, 14), "Dentist")
    client.force_login(operator)
    start = at(monday, 13).isoformat()
    body = client.post(url(c, b, "reschedule"), {"start": start}, follow=True).content.decode()
    assert "is not free: the nearest free times are" in body
    assert "Mon 12:00" in body and "Mon 14:00" in body
    b.refresh_from_db()
    assert b.start == at(monday, 10) and b.status == BookingStatus.CONFIRMED


def test_staff_cancel_a_booking_after_confirming(client, world, operator, clinic):  # noqa: F811
    c, service, _account, monday = clinic
    b = booking(c, service, at(monday, 10), contact_name="Ann Lee")
    client.force_login(operator)
    confirm = client.get(url(c, b, "cancel")).content.decode()
    assert "Cancel the booking of" in confirm and "Ann Lee" in confirm
    assert client.post(url(c, b, "cancel")).status_code == 200  # no confirm: asked again
    b.refresh_from_db()
    assert b.status == BookingStatus.CONFIRMED
    response = client.post(url(c, b, "cancel"), {"confirm": "yes"}, follow=True)
    assert "is cancelled" in response.content.decode()
    b.refresh_from_db()
    assert b.status == BookingStatus.CANCELLED
    assert AuditEntry.objects.filter(action="booking.cancelled_by_staff").count() == 1


def test_viewers_cannot_move_or_cancel(client, world, viewer, clinic):  # noqa: F811
    c, service, _account, monday = clinic
    b = booking(c, service, at(monday, 10))
    client.force_login(viewer)
    assert client.post(url(c, b, "reschedule"), {"when": f"{monday}T15:00"}).status_code == 403
    assert client.post(url(c, b, "cancel"), {"confirm": "yes"}).status_code == 403
    assert Booking.objects.get(pk=b.pk).status == BookingStatus.CONFIRMED


def test_another_clients_booking_is_not_found(client, world, operator, clinic):  # noqa: F811
    _c, _service, _account, monday = clinic
    bread = Service.objects.create(client=world.client_b, name="Bread", duration_minutes=60)
    theirs = booking(world.client_b, bread, at(monday, 10) + timedelta(days=1))
    client.force_login(operator)
    a = world.client_a
    assert client.post(url(a, theirs, "cancel"), {"confirm": "yes"}).status_code == 404
    assert client.post(url(a, theirs, "reschedule"), {"when": f"{monday}T15:00"}).status_code == 404
    assert Booking.objects.get(pk=theirs.pk).status == BookingStatus.CONFIRMED
