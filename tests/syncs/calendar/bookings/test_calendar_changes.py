"""Changes made in the calendar to our bookings' events, against the Google Calendar emulator
(and the HubSpot emulator for the CRM meeting): a move the database refuses is a conflict,
never a reschedule; a held booking follows a move made while its job writes; the sync pass
calls no vendor while its transaction is open; a decline frees the time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db.models.signals import post_save

from connectors.base import CalendarEvent
from connectors.google.client import GoogleCalendarClient, build
from connectors.models import ApiCall
from emulators.crm import control as crm_control
from emulators.google_calendar import control
from syncs.calendar.bookings import availability, services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.bookings.signals import booking_changed
from syncs.calendar.models import CalendarRole
from syncs.calendar.signals import calendar_changed
from syncs.calendar.sync import calendar_sync_run
from syncs.calendar.sync_state.models import CalendarSync
from syncs.crm.meetings import MEETING
from syncs.engine.runs import sync_job_run
from syncs.models import SyncJob
from syncs.webhooks.services import endpoint_create
from tests.connectors import crm_fixtures

from .conftest import webhooks

pytestmark = pytest.mark.django_db(transaction=True)
emulated = crm_fixtures.emulated  # the CRM suites' fixture, used by name
MARY = services.Contact(name="Mary O'Brien", email="mary@example.com", phone="+14155552671")


def hold(clinic, hour: int, minute: int = 0, email: str = "mary@example.com") -> Booking:
    return services.hold(
        client=clinic.client, service=clinic.service, start=clinic.at(hour, minute),
        contact=services.Contact(name="Mary O'Brien", email=email), time_zone="Europe/Berlin",
        payload={"raw": True}, session_id="sess-1",
    )  # fmt: skip


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def changed(clinic, booking: Booking, **fields) -> None:
    """The calendar sync reports our event of ``booking`` with ``fields`` changed."""
    event = CalendarEvent(**{
        "calendar_id": "primary", "id": booking.provider_event_id, "start": booking.start,
        "end": booking.end, "booking_id": str(booking.event_key), "etag": '"2"', **fields,
    })  # fmt: skip
    calendar_changed.send(sender=None, client=clinic.client, role=clinic.role, events=(event,))


@pytest.fixture
def told():
    """What ``booking_changed`` said: (booking id, change, details)."""
    said: list[tuple[str, str, dict]] = []

    def record(sender, *, booking, change, details=None, **kwargs):
        said.append((str(booking.public_id), change, dict(details or {})))

    booking_changed.connect(record, weak=False, dispatch_uid="test-told")
    yield said
    booking_changed.disconnect(dispatch_uid="test-told")


def meetings(account: str) -> list[dict]:
    return [r["data"] for r in crm_control.records("hubspot", account, "meetings")]


# --- 1: a move in the calendar that the database refuses -------------------------------------


def test_a_move_onto_another_booking_is_a_conflict_never_a_reschedule(
    clinic, run_jobs, emulated, told
):
    _, account = emulated("hubspot")
    endpoint_create(client=clinic.client, url="http://127.0.0.1:1/new", event_types=["*"])
    first, second = hold(clinic, 9), hold(clinic, 14)
    run_jobs()  # both confirmed, and their meetings logged in the CRM
    assert [m["hs_meeting_outcome"] for m in meetings(account)] == ["SCHEDULED"] * 2
    told.clear()

    changed(clinic, fresh(second), start=fresh(first).start, end=fresh(first).end)
    refused = fresh(second)
    assert refused.status == BookingStatus.CONFLICT and refused.start == clinic.at(14)
    assert webhooks(clinic.client, "booking.updated") == []
    # The alternatives are read by a job, after the sync pass's transaction: nothing yet.
    assert webhooks(clinic.client, "booking.conflict") == [] and told == []
    run_jobs()

    [conflict] = webhooks(clinic.client, "booking.conflict")
    assert conflict["id"] == str(second.public_id) and conflict["status"] == "conflict"
    assert conflict["conflict"]["refused_start"] == clinic.at(9).isoformat()
    assert conflict["conflict"]["event_id"] == refused.provider_event_id
    assert conflict["alternatives"]["after"]
    assert all(s["start"] != clinic.at(9).isoformat() for s in conflict["alternatives"]["after"])
    # The endpoint that subscribed before booking.conflict existed hears it under the older
    # name that says the booking no longer holds time; the "*" endpoint hears it once.
    [older] = [w for w in webhooks(clinic.client, "booking.cancelled")]
    assert older["status"] == "conflict" and older["alternatives"] == conflict["alternatives"]
    from syncs.webhooks.models import WebhookDelivery

    per_endpoint = sorted(
        (d.endpoint.url, d.message.event_type)
        for d in WebhookDelivery.objects.filter(message__event_type__startswith="booking.c")
        .exclude(message__event_type="booking.created")
        .select_related("endpoint", "message")
    )
    assert per_endpoint == [
        ("http://127.0.0.1:1/hook", "booking.cancelled"),
        ("http://127.0.0.1:1/new", "booking.conflict"),
    ]
    assert [(c, sorted(d)) for _, c, d in told] == [
        ("booking.conflict", ["alternatives", "conflict"])
    ]
    # The CRM meeting is not moved to the refused time, nor called rescheduled.
    assert not any(
        j.overrides[MEETING]["change"] != "booking.created"
        for j in SyncJob.objects.filter(kind="crm")
        if MEETING in j.overrides
    )
    assert [m["hs_meeting_outcome"] for m in meetings(account)] == ["SCHEDULED"] * 2
    run_jobs()
    assert len(webhooks(clinic.client, "booking.conflict")) == 1


# --- 2: a held booking moved in the calendar while its job writes -----------------------------


class MovedDuringWrite(GoogleCalendarClient):
    """The real client; the calendar's owner moves our new event at once, and the calendar
    sync reports it while the job is between its write and its re-read."""

    clinic = None  # set per test
    to = None

    def create_event(self, calendar_id, draft):
        event = super().create_event(calendar_id, draft)
        if self.to is not None:
            to, self.to = self.to, None
            moved = GoogleCalendarClient.update_event(
                self, calendar_id, event.id,
                type(draft)(**{**draft.__dict__, "start": to, "end": to + timedelta(minutes=30)}),
                etag=event.etag,
            )  # fmt: skip
            booking = Booking.objects.get(event_key=draft.booking_id)
            changed(self.clinic, booking, id=event.id, start=moved.start, end=moved.end,
                    etag=moved.etag)  # fmt: skip
        return event


def _run_create(clinic, booking: Booking, to) -> str:
    calendar = MovedDuringWrite(build(clinic.connection).http)
    calendar.clinic, calendar.to = clinic, to
    job = SyncJob.objects.get(event_id=booking.event_id)
    return sync_job_run(job.pk, vendor=calendar)


def test_a_held_booking_moved_in_the_calendar_while_written_is_confirmed_there(clinic, told):
    booking = hold(clinic, 10)
    assert _run_create(clinic, booking, clinic.at(15)) == "synced"
    done = fresh(booking)
    assert done.status == BookingStatus.CONFIRMED
    assert (done.start, done.buffer_end) == (clinic.at(15), clinic.at(15, 30))
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T15:00:00")
    assert done.provider_etag == event["etag"]  # the move's etag, not our insert's
    [created] = webhooks(clinic.client, "booking.created")
    assert created["start"] == clinic.at(15).isoformat()
    assert [c for _, c, _ in told] == ["booking.created"]
    # Its old time is free, the new one is not.
    hold(clinic, 10)
    with pytest.raises(services.SlotTaken):
        hold(clinic, 15)


def test_a_held_booking_moved_onto_another_booking_while_written_is_a_conflict(clinic, run_jobs):
    other = hold(clinic, 15)
    run_jobs()
    booking = hold(clinic, 10)
    _run_create(clinic, booking, clinic.at(15))
    refused = fresh(booking)
    assert refused.status == BookingStatus.CONFLICT
    assert webhooks(clinic.client, "booking.created") == [
        w for w in webhooks(clinic.client, "booking.created") if w["id"] == str(other.public_id)
    ]
    run_jobs()
    [conflict] = webhooks(clinic.client, "booking.cancelled")  # the endpoint's older name
    assert conflict["id"] == str(booking.public_id) and conflict["status"] == "conflict"
    assert conflict["conflict"]["refused_start"] == clinic.at(15).isoformat()
    # Never confirmed: the job withdrew the event it wrote; the other booking keeps 15:00.
    assert [e["id"] for e in clinic.live_events()] == [fresh(other).provider_event_id]
    assert fresh(other).status == BookingStatus.CONFIRMED


def test_a_held_move_reported_at_its_confirmed_time_is_no_move(clinic, run_jobs):
    """A sync pass that read the event before the move job's write reports the confirmed
    time: the booking keeps the time it is being moved to."""
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    moving = fresh(booking)
    changed(clinic, moving, start=clinic.at(11), end=clinic.at(11, 30))
    assert fresh(booking).start == clinic.at(15)
    run_jobs()
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert fresh(booking).start == clinic.at(15)


def test_a_held_move_moved_elsewhere_in_the_calendar_follows_the_calendar(clinic, run_jobs):
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    # The owner moved the event (still at 11:00 there) to 16:00 before the move job ran.
    [stored] = clinic.live_events()
    control.put_event(clinic.account, "primary", {
        **stored, "start": {"dateTime": clinic.at(16).isoformat()},
        "end": {"dateTime": clinic.at(16, 30).isoformat()},
    })  # fmt: skip
    [stored] = clinic.live_events()
    changed(clinic, fresh(booking), start=clinic.at(16), end=clinic.at(16, 30),
            etag=stored["etag"])  # fmt: skip
    assert fresh(booking).status == BookingStatus.HELD and fresh(booking).start == clinic.at(16)
    run_jobs()
    done = fresh(booking)
    assert done.status == BookingStatus.CONFIRMED and done.start == clinic.at(16)
    assert done.previous_start is None
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T16:00:00")
    [updated] = webhooks(clinic.client, "booking.updated")
    assert updated["start"] == clinic.at(16).isoformat() and "move_refused" not in updated


class SyncedJustBeforeOurWrite(GoogleCalendarClient):
    """The real client; the owner's move reaches the booking (the calendar sync) between the
    move job's read of the booking and its write, which then carries the old etag."""

    clinic = None  # set per test
    booking = None

    def update_event(self, calendar_id, event_id, draft, *, etag=""):
        if self.booking is not None:
            booking, self.booking = self.booking, None
            [stored] = self.clinic.live_events()
            changed(self.clinic, booking, start=self.clinic.at(16), end=self.clinic.at(16, 30),
                    etag=stored["etag"])  # fmt: skip
        return super().update_event(calendar_id, event_id, draft, etag=etag)


def test_a_move_job_racing_a_move_in_the_calendar_writes_again_from_the_calendars(clinic, run_jobs):
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    [stored] = clinic.live_events()
    control.put_event(clinic.account, "primary", {
        **stored, "start": {"dateTime": clinic.at(16).isoformat()},
        "end": {"dateTime": clinic.at(16, 30).isoformat()},
    })  # fmt: skip
    calendar = SyncedJustBeforeOurWrite(build(clinic.connection).http)
    calendar.clinic, calendar.booking = clinic, fresh(booking)
    job = SyncJob.objects.filter(event__kind="booking.reschedule").get()
    # Our write meets Google's 412 (the owner's version is newer): the job is retried rather
    # than putting the booking back on 11:00, which the calendar no longer shows.
    assert sync_job_run(job.pk, vendor=calendar) != "synced"
    assert fresh(booking).status == BookingStatus.HELD and fresh(booking).start == clinic.at(16)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    assert sync_job_run(job.pk, vendor=calendar) == "synced"
    done = fresh(booking)
    assert done.status == BookingStatus.CONFIRMED and done.start == clinic.at(16)
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T16:00:00")
    assert [w["start"] for w in webhooks(clinic.client, "booking.updated")] == [
        clinic.at(16).isoformat()
    ]


# --- 3: no vendor call while the sync pass's transaction is open ------------------------------


def test_the_sync_pass_calls_no_vendor_inside_its_transaction(clinic, run_jobs):
    # A second blocking calendar that is not mirrored: availability reads it from Google.
    control.add_calendar(clinic.account, "team@group.calendar.google.com", summary="Team")
    CalendarRole.objects.create(
        client=clinic.client, connection=clinic.connection,
        calendar_id="team@group.calendar.google.com", name="Team", time_zone="Europe/Berlin",
        role=CalendarRole.Role.BLOCKS,
    )  # fmt: skip
    first, second, third = hold(clinic, 9), hold(clinic, 14), hold(clinic, 11)
    run_jobs()
    sync = CalendarSync.objects.create(client=clinic.client, role=clinic.role)
    assert calendar_sync_run(sync.pk) == "idle"  # the first fill
    # In the calendar: someone else's event over 11:00, and the 14:00 booking moved to 09:00.
    clinic.put_foreign("dentist01", clinic.at(11), clinic.at(11, 30))
    [moved] = [e for e in clinic.live_events() if e["id"] == fresh(second).provider_event_id]
    control.put_event(clinic.account, "primary", {
        **moved, "start": {"dateTime": clinic.at(9).isoformat()},
        "end": {"dateTime": clinic.at(9, 30).isoformat()},
    })  # fmt: skip

    calls: list[tuple[bool, str]] = []

    def record(sender, instance, created, **kwargs):
        calls.append((db_connection.in_atomic_block, instance.path))

    post_save.connect(record, sender=ApiCall, weak=False, dispatch_uid="test-calls")
    try:
        assert calendar_sync_run(sync.pk) == "idle"
    finally:
        post_save.disconnect(dispatch_uid="test-calls")
    assert fresh(second).status == BookingStatus.CONFLICT
    assert any("/events" in path for _, path in calls)  # the pass's own read, recorded
    assert [path for atomic, path in calls if atomic] == []
    read = ApiCall.objects.count()
    run_jobs()  # the offers: alternatives read now (the team calendar, live), by jobs
    assert ApiCall.objects.count() > read
    [conflict] = webhooks(clinic.client, "booking.cancelled")  # the endpoint's older name
    assert conflict["id"] == str(second.public_id) and conflict["status"] == "conflict"
    assert conflict["alternatives"]["after"]
    [overlapped] = webhooks(clinic.client, "booking.updated")
    assert overlapped["id"] == str(third.public_id)
    assert overlapped["calendar_conflict"]["event_id"] == "dentist01"
    assert fresh(first).status == BookingStatus.CONFIRMED


# --- 4: declines ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer", "owner"])
def test_a_decline_cancels_the_booking_frees_the_time_and_tells_the_crm(
    clinic, run_jobs, emulated, who
):
    _, account = emulated("hubspot")
    booking = hold(clinic, 10)
    run_jobs()
    with pytest.raises(services.SlotTaken):
        hold(clinic, 10)
    if who == "customer":
        changed(clinic, fresh(booking), declined_by=("MARY@example.com",))
        reason = "Declined by the customer in the calendar."
    else:
        changed(clinic, fresh(booking), owner_declined=True, transparent=True)
        reason = "Declined by the calendar's owner."
    declined = fresh(booking)
    assert declined.status == BookingStatus.CANCELLED and declined.status_reason == reason
    [cancelled] = webhooks(clinic.client, "booking.cancelled")
    assert cancelled["reason"] == reason and cancelled["status"] == "cancelled"
    # The time is free at once, though the event is still in the calendar until its job runs.
    assert len(clinic.live_events()) == 1
    assert availability.slot_is_free(clinic.service, clinic.at(10))
    run_jobs()
    assert clinic.live_events() == []  # our event removed
    assert [m["hs_meeting_outcome"] for m in meetings(account)] == ["CANCELED"]
    changed(clinic, declined, declined_by=("mary@example.com",))  # reported again: no-op
    assert len(webhooks(clinic.client, "booking.cancelled")) == 1
    hold(clinic, 10)


def test_a_decline_by_someone_else_changes_nothing(clinic, run_jobs):
    booking = hold(clinic, 10)
    run_jobs()
    changed(clinic, fresh(booking), declined_by=("colleague@example.com",))
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_a_decline_made_in_google_reaches_the_booking_through_the_sync_pass(clinic, run_jobs):
    """The customer answers "no" in Google: the attendee's ``responseStatus`` is declined."""
    booking = hold(clinic, 10)
    run_jobs()
    sync = CalendarSync.objects.create(client=clinic.client, role=clinic.role)
    calendar_sync_run(sync.pk)
    [stored] = clinic.live_events()
    attendees = [{**a, "responseStatus": "declined"} for a in stored["attendees"]]
    control.put_event(clinic.account, "primary", {**stored, "attendees": attendees})
    assert calendar_sync_run(sync.pk) == "idle"
    assert fresh(booking).status == BookingStatus.CANCELLED
    run_jobs()
    assert clinic.live_events() == []
    assert [w["reason"] for w in webhooks(clinic.client, "booking.cancelled")] == [
        "Declined by the customer in the calendar."
    ]
