"""The availability preview reads the calendars now (the Google emulator) and shows the slots
customers would be offered, in the client's zone with offsets; a stale calendar is named, and
a service that refuses on stale data shows the refusal instead of slots."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from connectors.models import Connection, ConnectionStatus
from emulators.google_calendar import control as google_control
from syncs.calendar.discovery import calendar_roles_discover
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from tests.connectors.google.conftest import google  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
ZONE = "Europe/Berlin"


def a_monday() -> date:
    """A Monday at least a week ahead: inside any horizon here, past any notice."""
    today = timezone.now().date() + timedelta(days=7)
    return today + timedelta(days=(7 - today.weekday()) % 7)


@pytest.fixture
def clinic(world, google):  # noqa: F811
    """Client A in Berlin, open Mondays 09-12, one hour-long service, its Google calendar
    (discovered) with a meeting 10:00-11:00 on the Monday."""
    world.client_a.time_zone = ZONE
    world.client_a.save()
    connection, account = google()
    calendar_roles_discover(connection, actor="system")
    BusinessHours.objects.create(client=world.client_a, weekday=0, start=time(9), end=time(12))
    service = Service.objects.create(
        client=world.client_a, name="Check-up", duration_minutes=60, slot_interval_minutes=60
    )
    monday = a_monday()
    google_control.put_event(
        account,
        f"{account}@example.com",
        {
            "summary": "Staff meeting",
            "start": {"dateTime": f"{monday}T10:00:00+01:00"},
            "end": {"dateTime": f"{monday}T11:00:00+01:00"},
        },
    )
    return service, monday


def preview(client, world, service, monday):
    return client.get(
        f"/console/clients/{world.client_a.public_id}/calendar/preview/",
        {"service": service.pk, "first": monday.isoformat(), "last": monday.isoformat()},
    )


def slots_shown(body: str, day: date) -> list[str]:
    row = body.split(f'id="slots-{day.isoformat()}"')[1].split("</tr>")[0]
    return [chip.split(">")[1].split("<")[0].strip() for chip in row.split('class="chip slot"')[1:]]


def test_it_shows_the_free_slots_around_calendar_events_in_the_clients_zone(
    client, world, viewer, clinic
):
    service, monday = clinic
    client.force_login(viewer)
    body = preview(client, world, service, monday).content.decode()
    assert slots_shown(body, monday) == ["09:00", "11:00"]
    assert "+0100" in body and f"<strong>{ZONE}</strong>" in body
    assert "Stale calendars" not in body
    assert CalendarRole.objects.filter(last_read_at__isnull=False).exists()  # read now


def test_a_stale_calendar_is_named_and_its_data_never_taken_as_free(client, world, viewer, clinic):
    service, monday = clinic
    dead = Connection.objects.create(
        client=world.client_a, provider="outlook", kind="calendar",
        status=ConnectionStatus.NEEDS_REAUTH,
    )  # fmt: skip
    CalendarRole.objects.create(
        client=world.client_a, connection=dead, calendar_id="AAMk-colleague", name="Colleague"
    )
    client.force_login(viewer)
    body = preview(client, world, service, monday).content.decode()
    assert "Stale calendars" in body and "Colleague" in body
    assert len(slots_shown(body, monday)) == 2  # the "flag" policy: answered, naming it

    Service.objects.filter(pk=service.pk).update(stale_policy="refuse")
    refused = preview(client, world, service, monday).content.decode()
    assert "Refused: the service's policy refuses" in refused and "Colleague" in refused
    assert 'id="slots"' not in refused


def test_a_range_too_long_or_inverted_is_refused_in_the_form(client, world, viewer, clinic):
    service, monday = clinic
    client.force_login(viewer)
    url = f"/console/clients/{world.client_a.public_id}/calendar/preview/"
    long = {"service": service.pk, "first": monday, "last": monday + timedelta(days=20)}
    response = client.get(url, long)
    assert response.status_code == 400 and "at most 14 days" in response.content.decode()
    inverted = {"service": service.pk, "first": monday, "last": monday - timedelta(days=1)}
    assert "must not be before" in client.get(url, inverted).content.decode()
    for far in ("9999-12-25", "0001-01-01"):
        response = client.get(url, {"service": service.pk, "first": far, "last": far})
        assert response.status_code == 400 and "within a year" in response.content.decode()


def test_another_clients_service_cannot_be_previewed(client, world, viewer, clinic):
    _service, monday = clinic
    theirs = Service.objects.create(client=world.client_b, name="Bread", duration_minutes=30)
    client.force_login(viewer)
    response = preview(client, world, theirs, monday)
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_our_own_live_bookings_are_not_offered_again(client, world, viewer, clinic):
    import uuid
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from syncs.calendar.bookings.models import Booking, BookingStatus

    service, monday = clinic
    start = datetime.combine(monday, time(11), tzinfo=ZoneInfo(ZONE))
    key = uuid.uuid4()
    Booking.objects.create(
        client=world.client_a, public_id=key, event_key=key, service=service,
        resource=CalendarRole.objects.get(role="writes"), start=start,
        end=start + timedelta(hours=1), buffer_start=start, buffer_end=start + timedelta(hours=1),
        status=BookingStatus.CONFIRMED, time_zone=ZONE,
    )  # fmt: skip
    client.force_login(viewer)
    body = preview(client, world, service, monday).content.decode()
    assert slots_shown(body, monday) == ["09:00"]
