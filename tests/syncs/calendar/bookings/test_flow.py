"""A booking's life on the engine against the Google Calendar emulator: hold, write, re-read,
confirm; compensation when a foreign event lands between the write and the re-read; retries
that never make two events; holds that expire; cancel, reschedule, rollback and changes made
in the calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from connectors.base import CalendarEvent
from connectors.google import wire
from connectors.google.client import GoogleCalendarClient, build
from syncs.calendar.bookings import services, sync
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.signals import calendar_changed
from syncs.engine.targets import target_for
from syncs.models import AiEvent, AuditEntry, EventKind, ExternalRecord, JobStatus, SyncJob
from syncs.rollback.services import preview_rollback

from .conftest import webhooks

pytestmark = pytest.mark.django_db(transaction=True)
MARY = services.Contact(name="Mary O'Brien", email="mary@example.com", phone="+14155552671")


def hold(clinic, hour: int, minute: int = 0, **kw) -> Booking:
    return services.hold(
        client=clinic.client,
        service=clinic.service,
        start=clinic.at(hour, minute),
        contact=MARY,
        time_zone="America/New_York",
        payload={"service": str(clinic.service.public_id), "raw": True},
        session_id="sess-1",
        **kw,
    )


def fresh(booking: Booking) -> Booking:
    return Booking.objects.get(pk=booking.pk)


def test_a_hold_is_written_re_read_and_confirmed(clinic, run_jobs):
    booking = hold(clinic, 10)
    assert booking.status == BookingStatus.HELD and booking.hold_expires_at is not None
    event = AiEvent.objects.get(pk=booking.event_id)
    assert event.kind == EventKind.BOOKING_REQUESTED and event.payload["raw"] is True
    job = SyncJob.objects.get(event=event)
    assert (job.kind, job.provider) == ("calendar", "google")
    assert job.connection_id == clinic.connection.pk

    assert run_jobs() == ["synced"]
    booking = fresh(booking)
    assert booking.status == BookingStatus.CONFIRMED and booking.hold_expires_at is None
    [stored] = clinic.live_events()
    assert stored["id"] == booking.provider_event_id == wire.event_id_for(str(booking.public_id))
    assert stored["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T10:00:00")
    record = ExternalRecord.objects.get(job=job)
    assert (record.object_type, record.action, record.external_id) == (
        "event", "created", booking.provider_event_id,
    )  # fmt: skip
    assert record.source_tag == "AI_Chatbot" and record.session_id == "sess-1"
    assert AuditEntry.objects.filter(action="calendar.event.created").count() == 1
    [created] = webhooks(clinic.client, "booking.created")
    assert created["id"] == str(booking.public_id)
    assert created["start"] == clinic.at(10).astimezone(booking_zone()).isoformat()
    assert created["calendar_event_id"] == booking.provider_event_id
    # The booked time is no longer offered.
    with pytest.raises(services.SlotTaken):
        hold(clinic, 10)


def booking_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")


def test_an_overlapping_hold_is_refused_by_the_database_even_unchecked(clinic):
    hold(clinic, 11)
    with pytest.raises(services.SlotTaken):
        hold(clinic, 11, check=False)
    assert Booking.objects.count() == 1 and AiEvent.objects.count() == 1


def test_a_retried_job_finds_its_event_and_never_makes_a_second(clinic, run_jobs):
    booking = hold(clinic, 12)
    # A first attempt wrote the event and its worker died before recording anything.
    build(clinic.connection).create_event("primary", sync._draft(fresh(booking)))
    assert len(clinic.live_events()) == 1
    assert run_jobs() == ["synced"]
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert len(clinic.events()) == 1
    # The engine runs the same job again (a duplicate message after a lost ack): no-op.
    job = SyncJob.objects.get(event_id=booking.event_id)
    SyncJob.objects.filter(pk=job.pk).update(status="pending")
    from syncs.engine.runs import sync_job_run

    assert sync_job_run(job.pk) == "synced"
    assert len(clinic.events()) == len(clinic.live_events()) == 1
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert ExternalRecord.objects.filter(job=job).count() == 1
    assert len(webhooks(clinic.client, "booking.created")) == 1


class ForeignEventDuringWrite(GoogleCalendarClient):
    """The real client; someone books the same time in Google's UI just after our insert."""

    clinic = None  # set per test

    def create_event(self, calendar_id, draft):
        event = super().create_event(calendar_id, draft)
        self.clinic.put_foreign("privateappt1", draft.start, draft.end)
        return event


def test_a_foreign_event_between_write_and_re_read_is_compensated(clinic):
    booking = hold(clinic, 14)
    calendar = ForeignEventDuringWrite(build(clinic.connection).http)
    calendar.clinic = clinic
    from syncs.engine.runs import sync_job_run

    job = SyncJob.objects.get(event_id=booking.event_id)
    assert sync_job_run(job.pk, vendor=calendar) == "synced"
    booking = fresh(booking)
    assert booking.status == BookingStatus.CONFLICT
    ours = [e for e in clinic.events() if e["id"] == booking.provider_event_id]
    assert [e["status"] for e in ours] == ["cancelled"]
    assert [e["id"] for e in clinic.live_events()] == ["privateappt1"]
    record = ExternalRecord.objects.get(job=job)
    assert record.rolled_back_at is not None  # a rollback has nothing left to undo
    assert webhooks(clinic.client, "booking.created") == []
    [refused] = webhooks(clinic.client, "booking.cancelled")
    assert refused["status"] == "conflict"
    assert refused["alternatives"]["after"] and refused["alternatives"]["before"]
    assert all(s["start"] != refused["start"] for s in refused["alternatives"]["after"])
    # The time stays the foreign event's: no second booking gets it either.
    with pytest.raises(services.SlotTaken):
        hold(clinic, 14)


def test_a_foreign_event_found_after_the_write_is_announced_as_a_conflict(clinic):
    """The chatbot vendor learns what to offer instead: ``booking.conflict`` with what was
    refused and the alternatives; an endpoint subscribed before that event existed hears it
    as ``booking.cancelled``; nobody hears both."""
    from syncs.engine.runs import sync_job_run
    from syncs.webhooks.models import WebhookDelivery
    from syncs.webhooks.services import endpoint_create

    endpoint_create(client=clinic.client, url="http://127.0.0.1:1/new", event_types=["*"])
    booking = hold(clinic, 15)
    calendar = ForeignEventDuringWrite(build(clinic.connection).http)
    calendar.clinic = clinic
    job = SyncJob.objects.get(event_id=booking.event_id)
    assert sync_job_run(job.pk, vendor=calendar) == "synced"

    booking = fresh(booking)
    [conflict] = webhooks(clinic.client, "booking.conflict")
    assert conflict["id"] == str(booking.public_id) and conflict["status"] == "conflict"
    assert conflict["conflict"]["reason"] == booking.status_reason
    assert conflict["conflict"]["event_id"] == booking.provider_event_id
    assert conflict["conflict"]["refused_start"] == conflict["start"]
    assert conflict["conflict"]["refused_end"] == conflict["end"]
    assert conflict["alternatives"]["before"] and conflict["alternatives"]["after"]
    assert all(s["start"] != conflict["start"] for s in conflict["alternatives"]["after"])
    [older] = webhooks(clinic.client, "booking.cancelled")
    assert older == conflict
    per_endpoint = sorted(
        (d.endpoint.url, d.message.event_type)
        for d in WebhookDelivery.objects.filter(
            message__event_type__startswith="booking.c"
        ).select_related("endpoint", "message")
    )
    assert per_endpoint == [
        ("http://127.0.0.1:1/hook", "booking.cancelled"),
        ("http://127.0.0.1:1/new", "booking.conflict"),
    ]


def test_the_re_read_after_the_write_asks_the_vendor_even_when_the_mirror_is_fresh(clinic):
    """A mirror current "as of now" (a live push channel) that has not heard of an event made
    seconds ago says free; the re-read must ask the calendar, which says busy."""
    from syncs.calendar.sync_state.models import CalendarSync
    from syncs.engine.runs import sync_job_run

    now = timezone.now()
    CalendarSync.objects.create(
        client=clinic.client, role=clinic.role, synced_at=now,
        covered_from=now - timedelta(days=1), covered_until=now + timedelta(days=30),
        channel_id="chan-1", channel_confirmed_at=now,
        channel_expires_at=now + timedelta(days=1),
    )  # fmt: skip
    booking = hold(clinic, 14)
    calendar = ForeignEventDuringWrite(build(clinic.connection).http)
    calendar.clinic = clinic
    job = SyncJob.objects.get(event_id=booking.event_id)
    assert sync_job_run(job.pk, vendor=calendar) == "synced"
    assert fresh(booking).status == BookingStatus.CONFLICT
    assert [e["id"] for e in clinic.live_events()] == ["privateappt1"]


def test_a_foreign_event_away_from_the_booking_changes_nothing(clinic, run_jobs):
    clinic.put_foreign("elsewhere1", clinic.at(15), clinic.at(16))
    booking = hold(clinic, 13)
    run_jobs()
    assert fresh(booking).status == BookingStatus.CONFIRMED


def attempted_and_waiting(booking: Booking) -> None:
    """The booking's job ran and found its connection down: it waits for the connection, so
    its hold is not kept for a write still coming (``test_quota_queue``)."""
    SyncJob.objects.filter(event_id=booking.event_id).update(
        status="waiting_connection", attempts=1
    )


def connection_back(booking: Booking) -> None:
    """The connection is back: the job is pending again (``outbox.release_waiting``); its
    message is still in the broker."""
    SyncJob.objects.filter(event_id=booking.event_id).update(status="pending")


def test_an_expired_hold_gives_its_slot_back_and_is_never_written(clinic, run_jobs):
    booking = hold(clinic, 9)
    attempted_and_waiting(booking)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 1
    assert fresh(booking).status == BookingStatus.EXPIRED
    assert [w["status"] for w in webhooks(clinic.client, "booking.cancelled")] == ["expired"]
    again = hold(clinic, 9)  # the slot is free again
    connection_back(booking)
    # The first job runs late (its connection came back): it writes nothing for the expired
    # hold; the second booking gets the slot.
    assert sorted(run_jobs()) == ["synced", "synced"]
    assert fresh(booking).status == BookingStatus.EXPIRED and not fresh(booking).provider_event_id
    assert fresh(again).status == BookingStatus.CONFIRMED
    assert [e["id"] for e in clinic.live_events()] == [fresh(again).provider_event_id]


def test_an_expired_hold_is_released_by_the_next_hold_without_the_sweep(clinic):
    booking = hold(clinic, 16)
    attempted_and_waiting(booking)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    again = hold(clinic, 16)
    assert fresh(booking).status == BookingStatus.EXPIRED and again.status == BookingStatus.HELD


def test_cancel_frees_the_time_and_removes_the_event(clinic, run_jobs):
    booking = hold(clinic, 10)
    run_jobs()
    cancelled = services.cancel(fresh(booking))
    assert cancelled.status == BookingStatus.CANCELLED
    assert [w["status"] for w in webhooks(clinic.client, "booking.cancelled")] == ["cancelled"]
    assert run_jobs() == ["synced"]
    assert clinic.live_events() == []
    assert services.cancel(fresh(booking)).status == BookingStatus.CANCELLED  # again: no-op
    assert len(webhooks(clinic.client, "booking.cancelled")) == 1
    hold(clinic, 10)


def test_reschedule_moves_the_event_and_frees_the_old_time(clinic, run_jobs):
    booking = hold(clinic, 10)
    run_jobs()
    moving = services.reschedule(fresh(booking), clinic.at(10, 30))
    assert moving.status == BookingStatus.HELD and moving.previous_start == clinic.at(10)
    assert run_jobs() == ["synced"]
    moved = fresh(booking)
    assert moved.status == BookingStatus.CONFIRMED and moved.start == clinic.at(10, 30)
    [event] = clinic.live_events()
    assert event["id"] == moved.provider_event_id
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T10:30:00")
    assert [w["start"] for w in webhooks(clinic.client, "booking.updated")] == [
        clinic.at(10, 30).astimezone(booking_zone()).isoformat()
    ]
    hold(clinic, 10)  # the old time is free
    with pytest.raises(services.SlotTaken):
        services.reschedule(fresh(booking), clinic.at(10))


def test_a_move_by_less_than_its_own_length_is_not_blocked_by_its_own_event(
    google, world, run_jobs
):
    """An hour at 10:00 moved to 10:30: only its own event is in the calendar over 10:30-11:00."""
    from .conftest import make_clinic

    clinic = make_clinic(google, world.client_a, duration_minutes=60)
    booking = hold(clinic, 10)
    run_jobs()
    assert fresh(booking).status == BookingStatus.CONFIRMED
    with pytest.raises(services.SlotTaken):
        hold(clinic, 10, 30)  # anyone else is still refused the time
    moved = services.reschedule(fresh(booking), clinic.at(10, 30))
    assert moved.start == clinic.at(10, 30)
    assert run_jobs() == ["synced"]
    assert fresh(booking).status == BookingStatus.CONFIRMED
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T10:30:00")


def test_a_move_onto_a_foreign_event_goes_back_to_the_confirmed_time(clinic, run_jobs):
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    clinic.put_foreign("private0002", clinic.at(15), clinic.at(16))  # after our check
    run_jobs()
    back = fresh(booking)
    assert back.status == BookingStatus.CONFIRMED and back.start == clinic.at(11)
    [ours] = [e for e in clinic.live_events() if e["id"] == back.provider_event_id]
    assert ours["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T11:00:00")
    [updated] = webhooks(clinic.client, "booking.updated")
    assert updated["move_refused"] and updated["start"].startswith(f"{clinic.day.isoformat()}T05")


def test_a_move_refused_after_the_write_whose_old_time_was_taken_is_a_conflict(clinic, run_jobs):
    """The re-read after the move finds someone else's event over the new time, and the old
    time is another booking's by then: the booking has no time left, and the chatbot vendor
    learns it with alternatives (``booking.conflict``; ``booking.cancelled`` to an endpoint
    subscribed before that event existed)."""
    from syncs.webhooks.services import endpoint_create

    endpoint_create(client=clinic.client, url="http://127.0.0.1:1/new", event_types=["*"])
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    other = hold(clinic, 11, check=False)  # the old time, released by the move
    clinic.put_foreign("private0003", clinic.at(15), clinic.at(16))  # after our check
    run_jobs()  # the move (refused), the other booking's write, the offer
    lost = fresh(booking)
    assert lost.status == BookingStatus.CONFLICT and fresh(other).status == "confirmed"
    [conflict] = webhooks(clinic.client, "booking.conflict")
    assert conflict["id"] == str(lost.public_id) and conflict["status"] == "conflict"
    assert conflict["conflict"]["reason"] == "Another event took the new time in the calendar."
    assert conflict["conflict"]["refused_start"] == conflict["start"]
    assert conflict["conflict"]["event_id"] == lost.provider_event_id
    assert conflict["alternatives"]["after"]
    offered = conflict["alternatives"]["before"] + conflict["alternatives"]["after"]
    starts = {datetime.fromisoformat(s["start"]) for s in offered}  # instants: zones differ
    assert starts and not starts.intersection({clinic.at(11), clinic.at(15)})
    [older] = webhooks(clinic.client, "booking.cancelled")
    assert older == conflict


def test_rolling_back_the_tag_cancels_the_events_it_created(clinic, run_jobs):
    booking = hold(clinic, 12)
    run_jobs()
    [step] = preview_rollback(clinic.client, "AI_Chatbot")
    assert step.operation == "delete" and step.record.object_type == "event"
    target = target_for("calendar")
    assert target.undo(step.record, operation="delete", values={}, client=clinic.client) is False
    assert clinic.live_events() == []
    assert fresh(booking).status == BookingStatus.CANCELLED
    assert [w["reason"] for w in webhooks(clinic.client, "booking.cancelled")] == ["Rolled back."]


def changed(clinic, booking: Booking, **fields) -> None:
    """The calendar sync reports our event of ``booking`` with ``fields`` changed."""
    event = CalendarEvent(**{
        "calendar_id": "primary", "id": booking.provider_event_id, "start": booking.start,
        "end": booking.end, "booking_id": str(booking.event_key), "etag": '"2"', **fields,
    })  # fmt: skip
    calendar_changed.send(sender=None, client=clinic.client, role=clinic.role, events=(event,))


def test_a_cancellation_in_the_calendar_cancels_the_booking_once(clinic, run_jobs):
    booking = hold(clinic, 13)
    run_jobs()
    changed(clinic, fresh(booking), status="cancelled")
    changed(clinic, fresh(booking), status="cancelled")  # push and polling both report it
    assert fresh(booking).status == BookingStatus.CANCELLED
    assert [w["reason"] for w in webhooks(clinic.client, "booking.cancelled")] == [
        "Cancelled in the calendar."
    ]


class DeletedDuringWrite(GoogleCalendarClient):
    """The real client; the customer deletes the new event at once and the calendar sync
    reports it before the job's re-read."""

    clinic = None  # set per test

    def create_event(self, calendar_id, draft):
        event = super().create_event(calendar_id, draft)
        self.cancel_event(calendar_id, event.id)
        booking = Booking.objects.get(event_key=draft.booking_id)
        changed(self.clinic, booking, id=event.id, status="cancelled")
        return event


def test_a_held_booking_whose_event_is_deleted_while_written_is_never_confirmed(clinic):
    from syncs.engine.runs import sync_job_run

    booking = hold(clinic, 10)
    calendar = DeletedDuringWrite(build(clinic.connection).http)
    calendar.clinic = clinic
    job = SyncJob.objects.get(event_id=booking.event_id)
    sync_job_run(job.pk, vendor=calendar)
    assert fresh(booking).status == BookingStatus.CANCELLED
    assert webhooks(clinic.client, "booking.created") == []
    assert [w["reason"] for w in webhooks(clinic.client, "booking.cancelled")] == [
        "Cancelled in the calendar."
    ]
    assert clinic.live_events() == []


class ForeignEventAndPromptSync(ForeignEventDuringWrite):
    """As above, and the calendar sync reports our withdrawn event the moment it is gone."""

    def cancel_event(self, calendar_id, event_id):
        super().cancel_event(calendar_id, event_id)
        booking = Booking.objects.get(provider_event_id=event_id)
        changed(self.clinic, booking, status="cancelled")


def test_our_own_withdrawal_reported_by_the_calendar_stays_a_conflict(clinic):
    from syncs.engine.runs import sync_job_run

    booking = hold(clinic, 14)
    calendar = ForeignEventAndPromptSync(build(clinic.connection).http)
    calendar.clinic = clinic
    job = SyncJob.objects.get(event_id=booking.event_id)
    assert sync_job_run(job.pk, vendor=calendar) == "synced"
    assert fresh(booking).status == BookingStatus.CONFLICT
    assert [w["status"] for w in webhooks(clinic.client, "booking.cancelled")] == ["conflict"]


def test_a_booking_being_moved_takes_a_cancellation_in_the_calendar(clinic, run_jobs):
    booking = hold(clinic, 11)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(15))
    assert fresh(booking).status == BookingStatus.HELD
    changed(clinic, fresh(booking), status="cancelled")
    assert fresh(booking).status == BookingStatus.CANCELLED
    run_jobs()  # the move job, late: nothing to move
    assert fresh(booking).status == BookingStatus.CANCELLED


def test_a_decline_or_a_move_in_the_calendar_reaches_the_booking(clinic, run_jobs):
    first, second = hold(clinic, 9), hold(clinic, 14)
    run_jobs()
    later = fresh(first).start + timedelta(hours=2)
    changed(clinic, fresh(first), start=later, end=later + timedelta(minutes=30))
    moved = fresh(first)
    assert moved.start == later and moved.provider_etag == '"2"'
    assert moved.buffer_start == later and moved.status == BookingStatus.CONFIRMED
    [updated] = webhooks(clinic.client, "booking.updated")
    assert updated["previous_start"] == clinic.at(9).astimezone(booking_zone()).isoformat()
    changed(clinic, moved, start=later, end=later + timedelta(minutes=30))  # same again
    assert len(webhooks(clinic.client, "booking.updated")) == 1
    # Moved onto the other booking's time: the database refuses it, the booking is a conflict.
    changed(clinic, fresh(second), start=later, end=later + timedelta(minutes=30))
    assert fresh(second).status == BookingStatus.CONFLICT
    changed(clinic, moved, declined_by=("MARY@example.com",))
    assert fresh(first).status == BookingStatus.CANCELLED


def test_a_change_to_another_clients_booking_id_is_ignored(clinic, world, run_jobs):
    booking = hold(clinic, 10)
    run_jobs()
    event = CalendarEvent(
        calendar_id="primary", id="x", status="cancelled", booking_id=str(booking.event_key)
    )
    calendar_changed.send(sender=None, client=world.client_b, role=None, events=(event,))
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_a_write_the_calendar_refuses_for_good_fails_the_booking_at_once(clinic, run_jobs):
    """Google answers 404 for a calendar that is gone: the job is dead, and the hold is not
    kept until it expires."""
    clinic.role.calendar_id = "gone@group.calendar.google.com"
    clinic.role.save()
    booking = hold(clinic, 15)  # unreadable: stale, flagged (the default policy), still offered
    assert run_jobs() == ["dead"]
    failed = fresh(booking)
    assert failed.status == BookingStatus.FAILED and "refused" in failed.status_reason
    assert [w["status"] for w in webhooks(clinic.client, "booking.cancelled")] == ["failed"]
    assert clinic.live_events() == []


def test_a_foreign_event_over_a_confirmed_booking_is_announced_once(clinic, run_jobs):
    booking = fresh(hold(clinic, 10))
    run_jobs()
    booking = fresh(booking)
    clinic.put_foreign("overbooked1", clinic.at(10, 15), clinic.at(11))
    foreign = CalendarEvent(
        calendar_id="primary", id="overbooked1", start=clinic.at(10, 15), end=clinic.at(11)
    )
    free = CalendarEvent(
        calendar_id="primary", id="shownfree1", start=clinic.at(10), end=clinic.at(11),
        transparent=True,
    )  # fmt: skip
    for _ in range(2):  # push and polling both report it
        calendar_changed.send(sender=None, client=clinic.client, role=clinic.role,
                              events=(foreign, free))  # fmt: skip
    assert fresh(booking).status == BookingStatus.CONFIRMED  # the owner may mean it
    # Announced by a job after the sync pass commits (its alternatives are a vendor read).
    assert webhooks(clinic.client, "booking.updated") == []
    run_jobs()
    [updated] = webhooks(clinic.client, "booking.updated")
    assert updated["calendar_conflict"]["event_id"] == "overbooked1"
    assert updated["alternatives"]["after"]
    assert AuditEntry.objects.filter(action="booking.calendar_conflict").count() == 1


def test_a_move_not_written_in_time_goes_back_to_the_confirmed_time(clinic, run_jobs):
    """A move whose write is no longer coming (its job waits for the connection to be
    reconnected) expires back to the confirmed time; a move job still owed a run keeps its
    hold (``test_quota_queue``)."""
    booking = hold(clinic, 9)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(16))
    move = SyncJob.objects.filter(event__kind=EventKind.BOOKING_RESCHEDULE)
    assert move.update(status=JobStatus.WAITING_CONNECTION) == 1
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 1
    back = fresh(booking)
    assert back.status == BookingStatus.CONFIRMED and back.start == clinic.at(9)
    assert back.previous_start is None
    [updated] = webhooks(clinic.client, "booking.updated")  # the caller learns it did not move
    assert updated["move_refused"] == "The move was not written in time."
    assert updated["start"] == clinic.at(9).astimezone(booking_zone()).isoformat()
    move.update(status=JobStatus.PENDING)  # reconnected
    run_jobs()  # the move job, late: the booking no longer moves, the event stays at 09:00
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T09:00:00")
    hold(clinic, 16)  # the new time was released


def test_a_move_not_written_in_time_whose_old_time_was_taken_removes_its_event(clinic, run_jobs):
    """Expired with no time to go back to: the booking ends, and its event (still at its
    confirmed time) must not stay beside the booking that took that time."""
    booking = hold(clinic, 9)
    run_jobs()
    services.reschedule(fresh(booking), clinic.at(16))
    move = SyncJob.objects.filter(event__kind=EventKind.BOOKING_RESCHEDULE)
    assert move.update(status=JobStatus.WAITING_CONNECTION) == 1
    other = hold(clinic, 9, check=False)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 1
    assert fresh(booking).status == BookingStatus.EXPIRED
    run_jobs()  # the other booking's write, our event's removal
    assert fresh(other).status == BookingStatus.CONFIRMED
    assert [e["id"] for e in clinic.live_events()] == [fresh(other).provider_event_id]
