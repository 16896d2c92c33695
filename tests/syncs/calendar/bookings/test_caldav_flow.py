"""A booking written to a real CalDAV server (Radicale): the re-read after the write must know
the booking's own event (named by its resource, as ``create_event`` names it) and confirm."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from syncs.calendar.bookings import services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from syncs.engine.runs import sync_job_run
from syncs.models import SyncJob
from tests.connectors.caldav.conftest import connection_to, server  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_caldav_booking_is_written_re_read_and_confirmed(server, world, broker):  # noqa: F811
    client = world.client_a
    client.time_zone = "Europe/Berlin"
    client.save(update_fields=["time_zone"])
    connection = connection_to(server, client)
    calendar = server.new_calendar()
    for weekday in range(7):
        BusinessHours.objects.create(client=client, weekday=weekday, start=time(9), end=time(17))
    CalendarRole.objects.create(
        client=client, connection=connection, calendar_id=calendar, name="Surgery",
        time_zone="Europe/Berlin", role=CalendarRole.Role.WRITES,
    )  # fmt: skip
    service = Service.objects.create(
        client=client, name="Check-up", duration_minutes=30, slot_interval_minutes=30
    )
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=3)
    booking = services.hold(
        client=client,
        service=service,
        start=datetime.combine(day, time(10), tzinfo=BERLIN),
        contact=services.Contact(name="Ana", email="ana@example.org", phone=""),
        time_zone="Europe/Berlin",
        payload={},
        session_id="s-1",
    )
    job = SyncJob.objects.get(event_id=booking.event_id)
    assert sync_job_run(job.pk) == "synced"
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.status == BookingStatus.CONFIRMED, booking.status_reason
    assert booking.provider_event_id.endswith(".ics")
    assert server.get(calendar, booking.provider_event_id).status_code == 200
