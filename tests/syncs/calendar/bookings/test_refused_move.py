"""A move refused after its write (someone else's event found over the new time by the re-read)
whose confirmed time another booking took meanwhile: the booking holds no time, so no event of
it may stay in the calendar (beside the other booking's, it would double-book the customer's
calendar), and its CRM meeting is cancelled as a cancellation's is. On every calendar vendor:
the Google emulator, the Graph emulator and a real CalDAV server (Radicale); the CRM is the
HubSpot emulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from connectors import ratelimit
from connectors.google.client import GoogleCalendarClient, build
from connectors.models import Connection
from emulators.crm import control as crm_control
from emulators.graph import control as graph_control
from syncs.calendar.bookings import services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.models import BusinessHours, CalendarRole, Service
from syncs.engine.runs import sync_job_run
from syncs.models import AuditEntry, JobStatus, SyncJob
from syncs.webhooks.services import endpoint_create
from tests.connectors import crm_fixtures
from tests.connectors.caldav.conftest import connection_to, server  # noqa: F401  (fixture)
from tests.connectors.google.conftest import (  # noqa: F401  (fixtures, used by name)
    discovery_document,
    google,
    sent_requests_fit_the_discovery_document,
)
from tests.connectors.outlook.conftest import (  # noqa: F401  (fixtures, used by name)
    graph,
    sent_bodies_fit_graphs_models,
)

from .conftest import BOOKING_EVENTS, make_clinic, webhooks
from .test_quota_queue import run_now, shut_project_bucket

pytestmark = pytest.mark.django_db(transaction=True)
emulated = crm_fixtures.emulated  # the CRM suites' fixture, used by name
BERLIN = ZoneInfo("Europe/Berlin")
MARY = services.Contact(name="Mary O'Brien", email="mary@example.com")
ANA = services.Contact(name="Ana Lima", email="ana@example.com")


@dataclass
class Desk:
    """A client open 09-17 Berlin time with a 30-minute service, booking into one calendar of
    one vendor; ``put_foreign`` makes an event as the calendar's owner would in the vendor's
    own app, ``live_ids`` lists the events the calendar holds now (not cancelled)."""

    client: object
    connection: Connection
    service: Service
    day: date
    put_foreign: Callable[[datetime, datetime], None]
    live_ids: Callable[[], set[str]]

    def at(self, hour: int) -> datetime:
        return datetime.combine(self.day, time(hour), tzinfo=BERLIN)


def open_desk(client, connection: Connection, calendar_id: str) -> tuple[Service, date]:
    client.time_zone = "Europe/Berlin"
    client.save(update_fields=["time_zone"])
    for weekday in range(7):
        BusinessHours.objects.create(client=client, weekday=weekday, start=time(9), end=time(17))
    CalendarRole.objects.create(
        client=client, connection=connection, calendar_id=calendar_id, name="Front desk",
        time_zone="Europe/Berlin", role=CalendarRole.Role.WRITES,
    )  # fmt: skip
    service = Service.objects.create(
        client=client, name="Consultation", duration_minutes=30, slot_interval_minutes=30
    )
    endpoint_create(client=client, url="http://127.0.0.1:1/hook", event_types=BOOKING_EVENTS)
    return service, timezone.now().astimezone(BERLIN).date() + timedelta(days=3)


def google_desk(request, world) -> Desk:
    clinic = make_clinic(request.getfixturevalue("google"), world.client_a)

    def put_foreign(start: datetime, end: datetime) -> None:
        clinic.put_foreign("private0009", start, end)

    def live_ids() -> set[str]:
        return {e["id"] for e in clinic.live_events()}

    return Desk(clinic.client, clinic.connection, clinic.service, clinic.day, put_foreign,
                live_ids)  # fmt: skip


def graph_desk(request, world) -> Desk:
    mailbox = request.getfixturevalue("graph")
    service, day = open_desk(world.client_a, mailbox.connection, mailbox.calendar)
    stamp = "%Y-%m-%dT%H:%M:%S"

    def put_foreign(start: datetime, end: datetime) -> None:
        graph_control.insert_event(mailbox.account, mailbox.calendar, {
            "subject": "Dentist (private)",
            "start": {"dateTime": start.astimezone(UTC).strftime(stamp), "timeZone": "UTC"},
            "end": {"dateTime": end.astimezone(UTC).strftime(stamp), "timeZone": "UTC"},
        })  # fmt: skip

    def live_ids() -> set[str]:
        return {e["id"] for e in graph_control.stored_events(mailbox.account)}

    return Desk(world.client_a, mailbox.connection, service, day, put_foreign, live_ids)


def caldav_desk(request, world) -> Desk:
    radicale = request.getfixturevalue("server")
    connection = connection_to(radicale, world.client_a)
    calendar = radicale.new_calendar()
    service, day = open_desk(world.client_a, connection, calendar)
    names: set[str] = set()

    def put_foreign(start: datetime, end: datetime) -> None:
        stamp = "%Y%m%dT%H%M%SZ"
        name = f"{uuid.uuid4().hex}.ics"
        radicale.put(calendar, name, "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//someone's app//EN", "BEGIN:VEVENT",
            f"UID:{name}", "DTSTAMP:20260101T000000Z", "SUMMARY:Dentist (private)",
            f"DTSTART:{start.astimezone(UTC):{stamp}}", f"DTEND:{end.astimezone(UTC):{stamp}}",
            "END:VEVENT", "END:VCALENDAR", "",
        ]))  # fmt: skip
        names.add(name)

    def live_ids() -> set[str]:
        ours = set(Booking.objects.values_list("provider_event_id", flat=True))
        there = names | ours
        return {n for n in there if n and radicale.get(calendar, n).status_code == 200}

    return Desk(world.client_a, connection, service, day, put_foreign, live_ids)


DESKS = {"google": google_desk, "graph": graph_desk, "caldav": caldav_desk}


@pytest.fixture(params=sorted(DESKS))
def desk(request, world) -> Desk:
    return DESKS[request.param](request, world)


def hold(desk: Desk, hour: int, contact: services.Contact = MARY, **kw) -> Booking:
    return services.hold(
        client=desk.client, service=desk.service, start=desk.at(hour), contact=contact,
        time_zone="Europe/Berlin", payload={"raw": True}, session_id="sess-1", **kw,
    )  # fmt: skip


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def meetings(account: str) -> list[dict]:
    return [r["data"] for r in crm_control.records("hubspot", account, "meetings")]


def test_a_refused_move_that_lost_its_time_leaves_no_event_and_cancels_the_meeting(
    desk, emulated, run_jobs
):
    _, account = emulated("hubspot")
    booking = hold(desk, 11)
    run_jobs()
    assert fresh(booking).status == BookingStatus.CONFIRMED
    services.reschedule(fresh(booking), desk.at(15))
    other = hold(desk, 11, ANA, check=False)  # the old time, released by the move
    desk.put_foreign(desk.at(15), desk.at(16))  # after the move's check, before its write
    run_jobs()  # the move (refused), the other booking's write, the removal, the offer, CRM

    lost, kept = fresh(booking), fresh(other)
    assert lost.status == BookingStatus.CONFLICT and kept.status == BookingStatus.CONFIRMED
    live = desk.live_ids()
    assert lost.provider_event_id not in live  # the double booking this test is about
    assert kept.provider_event_id in live and len(live) == 2  # and the foreign event
    removed = AuditEntry.objects.filter(
        action="calendar.event.cancelled", target__endswith=f":event:{lost.provider_event_id}"
    )
    assert removed.count() == 1
    # Run again (a duplicate delivery after a lost ack): the event already gone counts as done.
    removal = SyncJob.objects.get(event__kind="booking.cancel")
    SyncJob.objects.filter(pk=removal.pk).update(status="pending")
    assert sync_job_run(removal.pk) == "synced"
    assert desk.live_ids() == live
    [conflict] = webhooks(desk.client, "booking.cancelled")  # the older name, to this endpoint
    assert conflict["status"] == "conflict" and conflict["alternatives"]["after"]
    assert conflict["conflict"]["event_id"] == lost.provider_event_id
    by_state = sorted((m["hs_meeting_outcome"], m["hs_timestamp"]) for m in meetings(account))
    at_11 = desk.at(11).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    # Ours cancelled at the time it showed (not the refused one); the other booking's logged.
    assert by_state == [("CANCELED", at_11), ("SCHEDULED", at_11)]


class OldTimeTakenDuringMoveBack(GoogleCalendarClient):
    """The real client; another booking takes the old time while our event is moved back
    there (the job saw it free just before)."""

    take: Callable[[], None] = staticmethod(lambda: None)  # set per test
    calls = 0

    def update_event(self, calendar_id, event_id, draft, etag=""):
        self.calls += 1
        event = super().update_event(calendar_id, event_id, draft, etag=etag)
        if self.calls == 2:  # the move back
            self.take()
        return event


def test_an_event_moved_back_beside_a_booking_that_took_its_time_is_removed(
    request, world, run_jobs
):
    desk = google_desk(request, world)
    booking = hold(desk, 11)
    run_jobs()
    services.reschedule(fresh(booking), desk.at(15))
    desk.put_foreign(desk.at(15), desk.at(16))
    taken: list[Booking] = []
    calendar = OldTimeTakenDuringMoveBack(build(desk.connection).http)
    calendar.take = lambda: taken.append(hold(desk, 11, ANA, check=False))
    job = SyncJob.objects.filter(event__kind="booking.reschedule").get()
    assert sync_job_run(job.pk, vendor=calendar) == "synced"
    assert calendar.calls == 2 and fresh(booking).status == BookingStatus.CONFLICT
    assert fresh(booking).provider_event_id in desk.live_ids()  # back at 11, for now
    run_jobs()  # the removal, the other booking's write, the offer
    assert fresh(taken[0]).status == BookingStatus.CONFIRMED
    assert desk.live_ids() == {"private0009", fresh(taken[0]).provider_event_id}


def test_the_removal_waits_for_the_quota_in_the_queue(request, world, run_jobs):
    """The event's removal is a job on the engine: with the project's quota spent it is put
    off (no attempt spent) and removes the event once its turn comes."""
    desk = google_desk(request, world)
    booking = hold(desk, 11)
    run_jobs()
    services.reschedule(fresh(booking), desk.at(15))
    hold(desk, 11, ANA, check=False)
    desk.put_foreign(desk.at(15), desk.at(16))
    move = SyncJob.objects.get(event__kind="booking.reschedule")
    assert sync_job_run(move.pk) == JobStatus.SYNCED
    removal = SyncJob.objects.get(event__kind="booking.cancel")
    shut_project_bucket(desk.connection, 30)
    assert sync_job_run(removal.pk) == JobStatus.FAILED
    removal.refresh_from_db()
    assert removal.attempts == 0 and removal.next_attempt_at > timezone.now()
    lost = fresh(booking)
    assert lost.provider_event_id in desk.live_ids()

    ratelimit.reset_all()
    assert run_now(removal) == JobStatus.SYNCED
    assert lost.provider_event_id not in desk.live_ids()
