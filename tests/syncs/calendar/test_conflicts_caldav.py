"""The console's conflicts against a real CalDAV server (Radicale): someone else's event over a
confirmed booking is a conflict until the calendar's owner declines it (then it blocks nothing
and is no conflict, though it stays in the calendar)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.conflicts import booking_conflicts
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from tests.connectors.caldav.conftest import connection_to, server  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def dentist(start: datetime, end: datetime, partstat: str) -> str:
    """The owner's own event, as their calendar app writes it once they answer it."""
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//someone's app//EN", "BEGIN:VEVENT",
        "UID:dentist", "DTSTAMP:20260101T000000Z", "SUMMARY:Dentist",
        f"DTSTART:{start.astimezone(UTC):{stamp}}", f"DTEND:{end.astimezone(UTC):{stamp}}",
        "ORGANIZER:mailto:desk@surgery.example",
        f"ATTENDEE;PARTSTAT={partstat}:mailto:desk@surgery.example",
        "END:VEVENT", "END:VCALENDAR", "",
    ]  # fmt: skip
    return "\r\n".join(lines)


def test_an_event_the_owner_declined_is_no_conflict(server, world):  # noqa: F811
    client = world.client_a
    client.time_zone = "Europe/Berlin"
    client.save(update_fields=["time_zone"])
    calendar = server.new_calendar()
    role = CalendarRole.objects.create(
        client=client, connection=connection_to(server, client), calendar_id=calendar,
        name="Surgery", time_zone="Europe/Berlin", role=CalendarRole.Role.WRITES,
    )  # fmt: skip
    for weekday in range(7):
        BusinessHours.objects.create(client=client, weekday=weekday, start=time(9), end=time(17))
    service = Service.objects.create(
        client=client, name="Check-up", duration_minutes=30, slot_interval_minutes=30
    )
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=3)
    start = datetime.combine(day, time(10), tzinfo=BERLIN)
    end = start + timedelta(minutes=30)
    key = uuid.uuid4()
    booking = Booking.objects.create(
        client=client, public_id=key, event_key=key, service=service, resource=role,
        start=start, end=end, buffer_start=start, buffer_end=end,
        status=BookingStatus.CONFIRMED, time_zone="Europe/Berlin", provider="caldav",
    )  # fmt: skip

    server.put(calendar, "dentist.ics", dentist(start, end + timedelta(hours=1), "ACCEPTED"))
    report = booking_conflicts(client)
    assert [c.booking.pk for c in report.conflicts] == [booking.pk] and not report.unchecked

    server.put(calendar, "dentist.ics", dentist(start, end + timedelta(hours=1), "DECLINED"))
    report = booking_conflicts(client)
    assert report.conflicts == [] and not report.unchecked
