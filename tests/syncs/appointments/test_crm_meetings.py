"""A confirmed booking becomes a meeting on the CRM contact, on the engine, against the HubSpot
emulator: logged once, moved, given its outcome, cancelled, undone by rollback; a job older
than what the CRM shows changes nothing. The oracle is what the emulator stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
from django.db import connection as db_connection
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from emulators.crm import control
from syncs.appointments.outcomes import record_booking_outcome
from syncs.calendar.bookings.models import BookingStatus
from syncs.calendar.bookings.webhooks import announce
from syncs.crm import clients, sync
from syncs.crm.meetings import MEETING
from syncs.engine.runs import sync_job_run
from syncs.models import (
    AuditEntry,
    ExternalRecord,
    JobStatus,
    MeetingLease,
    RecordAction,
    SyncJob,
)
from syncs.rollback.models import RollbackStep
from syncs.rollback.services import rollback_step_run, start_rollback
from tests.conftest import require
from tests.connectors import crm_fixtures
from tests.syncs.appointments.bookings import confirmed

pytestmark = pytest.mark.django_db(transaction=True)
emulated = crm_fixtures.emulated  # the connector suites' fixture, used by name
V = "hubspot"


@pytest.fixture
def hubspot(emulated):
    connection, account = emulated(V)
    return connection, account


def _jobs(booking) -> list[SyncJob]:
    return [j for j in SyncJob.objects.filter(event=booking.event, kind="crm").order_by("pk")
            if MEETING in j.overrides]  # fmt: skip


def _run_new(booking, done: set[int]) -> SyncJob:
    job = next(j for j in _jobs(booking) if j.pk not in done)
    done.add(job.pk)
    sync_job_run(job.pk)
    return SyncJob.objects.get(pk=job.pk)


def _meetings(account) -> list[dict]:
    return [r["data"] for r in control.records(V, account, "meetings")]


def test_a_confirmed_booking_is_a_meeting_on_the_contact(hubspot, world):
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    job = _run_new(booking, set())
    assert job.status == JobStatus.SYNCED, job.last_error
    [contact] = control.records(V, account, "contacts")
    assert contact["data"]["email"] == "ada@example.com"
    [meeting] = control.records(V, account, "meetings")
    assert meeting["data"]["hs_meeting_title"] == "Check-up"
    assert meeting["data"]["hs_meeting_outcome"] == "SCHEDULED"
    assert meeting["links"]["associations"] == [{"toObjectId": contact["id"], "typeId": 200}]
    record = ExternalRecord.objects.get(object_type="meeting")
    assert (record.action, record.source_tag, record.external_id) == (
        RecordAction.CREATED, "AI_Chatbot", meeting["id"],
    )  # fmt: skip
    assert AuditEntry.objects.filter(action="crm.meeting.created").count() == 1


def test_a_move_an_outcome_and_a_cancellation_update_the_one_meeting(hubspot, world):
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    done: set[int] = set()
    announce(booking, "booking.created")
    _run_new(booking, done)
    booking.start += timedelta(hours=1)
    booking.end += timedelta(hours=1)
    booking.buffer_start, booking.buffer_end = booking.start, booking.end
    booking.save()
    announce(booking, "booking.updated")
    _run_new(booking, done)
    [meeting] = _meetings(account)
    assert meeting["hs_meeting_outcome"] == "RESCHEDULED"
    moved = booking.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert meeting["hs_meeting_start_time"] == moved
    record_booking_outcome(booking, "no_show", actor="staff:test")
    _run_new(booking, done)
    assert _meetings(account)[0]["hs_meeting_outcome"] == "NO_SHOW"
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    announce(booking, "booking.cancelled")
    _run_new(booking, done)
    assert [m["hs_meeting_outcome"] for m in _meetings(account)] == ["CANCELED"]
    assert len(control.records(V, account, "contacts")) == 1


def test_a_job_older_than_the_crm_state_changes_nothing(hubspot, world):
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    _run_new(booking, done := set())
    record_booking_outcome(booking, "attended")
    booking.status = BookingStatus.CANCELLED  # (a later change, its job run first)
    booking.save(update_fields=["status"])
    announce(booking, "booking.cancelled")
    attended, cancelled = [j for j in _jobs(booking) if j.pk not in done]
    sync_job_run(cancelled.pk)
    sync_job_run(attended.pk)  # a retry that comes late
    assert SyncJob.objects.get(pk=attended.pk).status == JobStatus.SYNCED
    assert _meetings(account)[0]["hs_meeting_outcome"] == "CANCELED"


def test_rollback_of_the_meeting_deletes_it_in_the_crm(hubspot, world):
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    _run_new(booking, set())
    record = ExternalRecord.objects.get(object_type="meeting")
    assert sync.object_key(record) == (V, "meeting", record.external_id)
    gone = sync.undo(record, operation=sync.DELETE, values={}, client=world.client_a)
    assert gone is False and _meetings(account) == []


def test_no_crm_job_for_a_booking_cancelled_before_it_was_confirmed(hubspot, world):
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    booking.confirmed_at = None
    booking.status = BookingStatus.EXPIRED
    booking.save(update_fields=["confirmed_at", "status"])
    announce(booking, "booking.cancelled")
    assert _jobs(booking) == []


def test_a_client_without_a_crm_gets_no_meeting_job(world):
    booking = confirmed(world.client_b, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    assert _jobs(booking) == []


def _run_steps(rollback) -> None:
    steps = RollbackStep.objects.filter(rollback=rollback).order_by("position")
    for step_id in steps.values_list("pk", flat=True):
        rollback_step_run(step_id)
    rollback.refresh_from_db()


MEETING_OBJECTS = {"hubspot": "meetings", "salesforce": "Event", "zoho": "Events",
                   "pipedrive": "activities"}  # fmt: skip


@pytest.mark.parametrize("vendor", sorted(MEETING_OBJECTS))
def test_each_crm_gets_the_meeting_and_a_rollback_of_the_tag_removes_it(
    emulated,
    world,
    vendor,
):
    _, account = emulated(vendor)
    world.client_a.crm_provider = vendor
    world.client_a.save(update_fields=["crm_provider"])
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    done: set[int] = set()
    assert _run_new(booking, done).status == JobStatus.SYNCED
    booking.start += timedelta(hours=1)
    booking.end += timedelta(hours=1)
    booking.buffer_start, booking.buffer_end = booking.start, booking.end
    booking.save()
    announce(booking, "booking.updated")
    assert _run_new(booking, done).status == JobStatus.SYNCED
    assert len(control.records(vendor, account, MEETING_OBJECTS[vendor])) == 1
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by="staff:test")
    _run_steps(rollback)
    assert (rollback.status, rollback.failed) == ("done", 0), list(
        RollbackStep.objects.values_list("error", flat=True)
    )
    assert control.records(vendor, account, MEETING_OBJECTS[vendor]) == []


@pytest.mark.parametrize("cancelled_first", [True, False])
def test_a_cancellation_and_the_retried_confirmation_leave_no_scheduled_meeting(
    hubspot, world, cancelled_first
):
    """The confirmation's job retries; the cancellation's job may run before or after it.
    Either way the CRM ends with no scheduled meeting for the cancelled booking."""
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    announce(booking, "booking.cancelled")
    created, cancelled = _jobs(booking)
    for job in (cancelled, created) if cancelled_first else (created, cancelled):
        sync_job_run(job.pk)
        assert SyncJob.objects.get(pk=job.pk).status == JobStatus.SYNCED
    outcomes = [m["hs_meeting_outcome"] for m in _meetings(account)]
    assert outcomes == ([] if cancelled_first else ["CANCELED"])
    if cancelled_first:  # the skipped cancellation is remembered, not rolled back or shown
        [mark] = ExternalRecord.objects.filter(object_type="meeting")
        assert (mark.action, mark.job_id, mark.external_id) == (
            RecordAction.SKIPPED, cancelled.pk, ""
        )  # fmt: skip


def test_a_lease_left_by_a_dead_run_does_not_hold_the_booking(hubspot, world):
    """A worker killed while writing a meeting never gives the booking's lease back, and its
    ``until`` is minutes away. Its job no longer runs (the engine released it, or it ended),
    so the booking's next job takes the lease at once, as a row lock would be freed; a lease
    of a job still running is respected (the job goes back to the queue, no attempt spent)."""
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    [job] = _jobs(booking)
    later = timezone.now() + timedelta(minutes=5)
    other = SyncJob.objects.create(client=world.client_a, event=booking.event, kind="crm",
                                   provider=V, status=JobStatus.RUNNING)  # fmt: skip
    lease = MeetingLease.objects.create(
        event=booking.event, client=world.client_a, holder="alive", until=later, job=other
    )
    with override_settings(MEETING_LEASE_WAIT_SECONDS=0):
        assert sync_job_run(job.pk) == JobStatus.FAILED
    assert SyncJob.objects.get(pk=job.pk).attempts == job.attempts  # a throttle, not a failure
    assert _meetings(account) == []
    SyncJob.objects.filter(pk=other.pk).update(status=JobStatus.QUEUED)  # released: not running
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert sync_job_run(job.pk) == JobStatus.SYNCED
    assert [m["hs_meeting_outcome"] for m in _meetings(account)] == ["SCHEDULED"]
    lease.refresh_from_db()
    assert (lease.holder, lease.job_id) == ("", None)  # given back


def _paused_after_search(real, searched: threading.Event, go: threading.Event):
    """The real Salesforce client, stopped after its meeting search found nothing until the
    test lets it go: the moment where a second worker could log the same meeting."""
    search = real.find_meeting

    def find_meeting(contact_id: str, booking_id: str):
        found = search(contact_id, booking_id)
        searched.set()
        go.wait()
        return found

    real.find_meeting = find_meeting  # the instance's own: ``log_meeting`` calls it
    return real


def _salesforce_booking_moved_once(emulated, world):
    """A Salesforce client's booking, confirmed then moved an hour: two meeting jobs."""
    connection, account = emulated("salesforce")
    world.client_a.crm_provider = "salesforce"
    world.client_a.save(update_fields=["crm_provider"])
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    announce(booking, "booking.created")
    booking.start += timedelta(hours=1)
    booking.end += timedelta(hours=1)
    booking.buffer_start, booking.buffer_end = booking.start, booking.end
    booking.save()
    announce(booking, "booking.updated")
    return connection, account, booking


def _in_own_thread(job_id: int, vendor=None) -> str:
    try:
        return sync_job_run(job_id, vendor=vendor)
    finally:
        db_connection.close()


def test_two_workers_running_one_bookings_jobs_log_one_meeting(emulated, world, settings):
    """Salesforce's ``log_meeting`` searches, then creates. The confirmation's job is held
    after its search; the move's job then runs on another thread: it must not find nothing and
    log a second meeting. It finds the booking's lease taken and goes back to the queue
    without spending an attempt (no inline wait here); run again once the first is done, it
    updates the first's meeting."""
    require(db_connection.vendor == "postgresql", "needs PostgreSQL: SQLite has one writer")
    settings.MEETING_LEASE_WAIT_SECONDS = 0
    connection, account, booking = _salesforce_booking_moved_once(emulated, world)
    created, moved = _jobs(booking)
    searched, go = threading.Event(), threading.Event()
    paused = _paused_after_search(clients.crm_client_for(connection), searched, go)
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            first = pool.submit(_in_own_thread, created.pk, paused)
            assert searched.wait(60), "the first job never searched the CRM"
            second = pool.submit(_in_own_thread, moved.pk).result(timeout=60)
        finally:
            go.set()
        assert first.result() == JobStatus.SYNCED
    waiting = SyncJob.objects.get(pk=moved.pk)
    assert (second, waiting.attempts) == (JobStatus.FAILED, moved.attempts)  # no attempt spent
    assert "another job of this booking" in waiting.last_error
    assert control.records("salesforce", account, "Event")[0]["data"]["StartDateTime"] < (
        booking.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )
    SyncJob.objects.filter(pk=moved.pk).update(next_attempt_at=timezone.now())  # its time came
    assert sync_job_run(moved.pk) == JobStatus.SYNCED
    [event] = control.records("salesforce", account, "Event")
    assert event["data"]["StartDateTime"].startswith(
        booking.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )


def test_no_database_lock_is_held_while_the_crm_answers(emulated, world):
    """While the CRM call of a meeting job is under way (paused between Salesforce's search
    and its create), another connection can lock the booking's AI event row at once, and the
    job's connection has no transaction open: nothing in the database waits on the vendor."""
    require(db_connection.vendor == "postgresql", "needs PostgreSQL: row locks")
    connection, account, booking = _salesforce_booking_moved_once(emulated, world)
    created, _ = _jobs(booking)
    searched, go = threading.Event(), threading.Event()
    paused = _paused_after_search(clients.crm_client_for(connection), searched, go)
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            first = pool.submit(_in_own_thread, created.pk, paused)
            assert searched.wait(60), "the job never searched the CRM"
            with transaction.atomic(), db_connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM syncs_aievent WHERE id = %s FOR UPDATE NOWAIT",
                    [booking.event_id],
                )  # raises LockNotAvailable if the job held the row
                assert cursor.fetchone() == (booking.event_id,)
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
                )
                assert cursor.fetchone() == (0,)
        finally:
            go.set()
        assert first.result() == JobStatus.SYNCED
    assert len(control.records("salesforce", account, "Event")) == 1


@pytest.mark.parametrize(
    "extra",
    [{"move_refused": "Another event took the new time in the calendar."},
     {"calendar_conflict": {"event_id": "evt-1"}, "alternatives": []}],
)  # fmt: skip
def test_an_update_that_moved_nothing_leaves_the_meeting_scheduled(hubspot, world, extra):
    """A refused move (back on its time) and a foreign event over the booking are announced
    as ``booking.updated`` too; the meeting did not move, so it is not "rescheduled"."""
    _, account = hubspot
    booking = confirmed(world.client_a, timezone.now() + timedelta(days=2))
    done: set[int] = set()
    announce(booking, "booking.created")
    _run_new(booking, done)
    announce(booking, "booking.updated", **extra)
    assert [j.pk for j in _jobs(booking)] == sorted(done)
    assert [m["hs_meeting_outcome"] for m in _meetings(account)] == ["SCHEDULED"]
