"""The Bookings page: bookings with status, time in the client's zone, contact, calendar event
and source tag; conflicts (a foreign event over a confirmed booking in the Google emulator, a
booking refused after the write) each with the nearest free slots; nothing of another client."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from connectors.models import Connection, ConnectionStatus
from emulators.google_calendar import control as google_control
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.discovery import calendar_roles_discover
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from tests.connectors.google.conftest import google  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
ZONE = "Europe/Berlin"


def a_monday():
    ahead = timezone.now().date() + timedelta(days=7)
    return ahead + timedelta(days=(7 - ahead.weekday()) % 7)


def at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(ZONE))


def event(account: str, start: datetime, end: datetime, summary: str) -> str:
    body = {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
    }
    return google_control.put_event(account, f"{account}@example.com", body)["id"]


def booking(client, service, start, *, status=BookingStatus.CONFIRMED, **extra) -> Booking:
    key = uuid.uuid4()
    end = start + timedelta(minutes=service.duration_minutes)
    return Booking.objects.create(
        client=client, public_id=key, event_key=key, service=service,
        resource=CalendarRole.objects.filter(client=client, role="writes").first(),
        start=start, end=end, buffer_start=start, buffer_end=end, status=status,
        time_zone=ZONE, provider="google", source_tag="AI_Chatbot", **extra,
    )  # fmt: skip


@pytest.fixture
def clinic(world, google):  # noqa: F811
    client = world.client_a
    client.time_zone = ZONE
    client.save()
    connection, account = google()
    calendar_roles_discover(connection, actor="system")
    BusinessHours.objects.create(client=client, weekday=0, start=time(9), end=time(17))
    service = Service.objects.create(
        client=client, name="Check-up", duration_minutes=60, slot_interval_minutes=60
    )
    return client, service, account, a_monday()


def page(http, client, **params):
    url = f"/console/clients/{client.public_id}/calendar/bookings/"
    return http.get(url, params).content.decode()


def test_it_lists_bookings_in_the_clients_zone_with_contact_event_and_tag(
    client, world, viewer, clinic
):
    c, service, account, monday = clinic
    event_id = event(account, at(monday, 10), at(monday, 11), "Check-up: Ann")
    mine = booking(c, service, at(monday, 10), contact_name="Ann Lee",
                   contact_email="ann@example.com", provider_event_id=event_id)  # fmt: skip
    past = booking(c, service, at(monday - timedelta(days=14), 10), status=BookingStatus.CANCELLED)
    client.force_login(viewer)
    body = page(client, c)
    row = body.split(f'id="booking-{mine.public_id}"')[1].split("</tr>")[0]
    assert f"{monday:%Y-%m-%d} 10:00-11:00" in row and "+0100" in row
    assert "Ann Lee" in row and "ann@example.com" in row and "Confirmed" in row
    assert event_id in row and "AI_Chatbot" in row
    assert str(past.public_id) not in body
    assert str(past.public_id) in page(client, c, show="all")
    assert "No conflicts." in body  # our own event over our booking is no conflict


def test_a_foreign_event_over_a_booking_is_a_conflict_with_suggestions(
    client, world, viewer, clinic
):
    c, service, account, monday = clinic
    booking(c, service, at(monday, 10), provider_event_id=event(account, at(monday, 10),
            at(monday, 11), "Check-up"))  # fmt: skip
    ours = event(account, at(monday, 14), at(monday, 15), "Check-up: Bo")
    hit = booking(c, service, at(monday, 14), contact_name="Bo", provider_event_id=ours)
    event(account, at(monday, 14) + timedelta(minutes=30), at(monday, 15), "Dentist")
    client.force_login(viewer)
    body = page(client, c)
    card = body.split(f'id="conflict-{hit.public_id}"')[1].split("</section>")[0]
    primary = CalendarRole.objects.get(role="writes")
    assert f"Another event is in “{primary.name}” at this time." in card
    starts = [s.split('"')[0] for s in card.split('data-start="')[1:]]
    assert [datetime.fromisoformat(s).hour for s in starts[:3]] == [11, 12, 13]  # earliest first
    assert [datetime.fromisoformat(s).hour for s in starts[3:5]] == [15, 16]
    assert body.count('class="card confirm conflict"') == 1


def test_a_booking_refused_after_the_write_is_a_conflict_with_its_reason(
    client, world, viewer, clinic
):
    c, service, _account, monday = clinic
    reason = "A foreign event appeared; our event was cancelled."
    refused = booking(
        c, service, at(monday, 9), status=BookingStatus.CONFLICT, status_reason=reason
    )
    client.force_login(viewer)
    body = page(client, c)
    card = body.split(f'id="conflict-{refused.public_id}"')[1].split("</section>")[0]
    assert reason in card
    starts = [s.split('"')[0] for s in card.split('data-start="')[1:]]
    assert (
        starts and datetime.fromisoformat(starts[0]).hour == 10
    )  # the slot itself is never suggested


def test_a_calendar_that_cannot_be_read_is_named_not_called_free(client, world, viewer, clinic):
    c, service, _account, monday = clinic
    dead = Connection.objects.create(
        client=c, provider="outlook", kind="calendar", status=ConnectionStatus.NEEDS_REAUTH
    )
    CalendarRole.objects.create(client=c, connection=dead, calendar_id="AAMk", name="Colleague")
    booking(c, service, at(monday, 10))
    client.force_login(viewer)
    body = page(client, c)
    assert "Not checked (the calendar could not be read now): Colleague." in body


def test_another_clients_bookings_are_not_shown(client, world, viewer, clinic):
    c, _service, _account, monday = clinic
    bread = Service.objects.create(client=world.client_b, name="Bread", duration_minutes=30)
    theirs = Booking.objects.create(
        client=world.client_b, public_id=uuid.uuid4(), event_key=uuid.uuid4(), service=bread,
        start=at(monday, 9), end=at(monday, 10), buffer_start=at(monday, 9),
        buffer_end=at(monday, 10), status=BookingStatus.CONFLICT, time_zone=ZONE,
    )  # fmt: skip
    client.force_login(viewer)
    body = page(client, c, show="all")
    assert str(theirs.public_id) not in body and "Bread" not in body
