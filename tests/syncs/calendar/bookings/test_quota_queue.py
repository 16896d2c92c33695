"""Bookings whose calendar write waits in our quota queue (issue 17: a burst of bookings
against Google's per-project quota). A booking the API accepted is not expired while its
write waits its turn; a re-read put off for the quota waits for the quota (no attempt spent,
no backoff) and its retry writes nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors import ratelimit
from connectors.google.client import GoogleCalendarClient, build
from emulators.google_calendar import control
from syncs.calendar.bookings import services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.engine.runs import sync_job_run
from syncs.models import JobStatus, SyncJob

pytestmark = pytest.mark.django_db(transaction=True)
MARY = services.Contact(name="Mary O'Brien", email="mary@example.com")


def hold(clinic, hour: int) -> Booking:
    return services.hold(
        client=clinic.client,
        service=clinic.service,
        start=clinic.at(hour),
        contact=MARY,
        time_zone="Europe/Berlin",
    )


def shut_project_bucket(connection, seconds: float) -> None:
    """The project's quota is spent for ``seconds`` (other bookings took it, or Google said
    so in a 429): our shared bucket grants nothing sooner."""
    http = build(connection).http
    (project,) = [limit for limit in http.rate_limits if limit.scope == "app"]
    ratelimit.defer(http.bucket_key(project), project, seconds)


def run_now(job: SyncJob, **kw) -> str:
    """Run the job as its requeued message would when it comes due."""
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    return sync_job_run(job.pk, **kw)


def test_a_write_waiting_for_the_quota_keeps_its_hold_until_its_turn(clinic, settings):
    """Google's Retry-After (or our queue) puts the write 15 minutes off, longer than a run's
    lease: the hold must outlast the wait, so the sweep does not expire an accepted booking
    whose write is merely queued."""
    booking = hold(clinic, 10)
    job = SyncJob.objects.get(event_id=booking.event_id)
    shut_project_bucket(clinic.connection, 900)

    assert sync_job_run(job.pk) == JobStatus.FAILED  # requeued, not failed
    job.refresh_from_db()
    assert job.attempts == 0 and "rate limit" in job.last_error
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at > job.next_attempt_at
    # The sweep at the time the job comes back leaves the hold alone.
    assert services.expire_holds(now=job.next_attempt_at) == 0

    ratelimit.reset_all()  # the quota has room again
    assert run_now(job) == JobStatus.SYNCED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert [e["id"] for e in clinic.live_events()] == [booking.provider_event_id]


class QuotaSpentAfterTheWrite(GoogleCalendarClient):
    """The real client; other bookings take the project's quota between our insert and our
    re-read."""

    connection = None  # set per test

    def create_event(self, calendar_id, draft):
        event = super().create_event(calendar_id, draft)
        shut_project_bucket(self.connection, 120)
        return event


def test_a_re_read_put_off_for_the_quota_waits_for_it_and_writes_nothing_twice(clinic):
    booking = hold(clinic, 11)
    job = SyncJob.objects.get(event_id=booking.event_id)
    calendar = QuotaSpentAfterTheWrite(build(clinic.connection).http)
    calendar.connection = clinic.connection
    before = timezone.now()

    assert sync_job_run(job.pk, vendor=calendar) == JobStatus.FAILED
    job.refresh_from_db()
    # A quota's wait, not a failure: no attempt spent, back when the bucket has room (not
    # after a backoff of a few seconds that would only meet the full bucket again).
    assert job.attempts == 0 and "rate limit" in job.last_error
    assert job.next_attempt_at >= before + timedelta(seconds=100)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at > job.next_attempt_at
    assert len(clinic.live_events()) == 1

    ratelimit.reset_all()
    calls = control.api_calls(clinic.account)
    assert run_now(job) == JobStatus.SYNCED
    # The event is recorded already: the retry only re-reads (one free/busy call), instead
    # of inserting again to meet its 409 and read the event back.
    assert control.api_calls(clinic.account) == calls + 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert [e["id"] for e in clinic.live_events()] == [booking.provider_event_id]


def assert_kept_past_its_time(clinic, booking: Booking, hour: int) -> None:
    """The hold's time is up while its write is still owed: neither a new hold over it nor the
    sweep releases it (``booking`` is refreshed)."""
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.SlotTaken):
        hold(clinic, hour)
    assert services.expire_holds() == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD


def test_a_hold_whose_write_waits_behind_a_backlog_is_kept_and_written(clinic, run_jobs):
    """The burst is accepted faster than the workers take it: the job has not run when the
    hold's time is up. The sweep keeps the hold (the write is still coming) and so does a
    new hold over it; the job, run late, confirms the booking."""
    booking = hold(clinic, 12)
    job = SyncJob.objects.get(event_id=booking.event_id)
    assert job.status == JobStatus.QUEUED
    assert_kept_past_its_time(clinic, booking, 12)
    assert booking.hold_expires_at > timezone.now()

    assert run_jobs() == [JobStatus.SYNCED]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_hold_whose_requeued_write_comes_late_out_of_the_queue_is_kept(clinic, run_jobs):
    """A write put off for the quota is requeued for its countdown, but under a burst its
    run stands behind thousands of others and comes later than the hold the countdown
    bought: while the job is owed a run, the sweep keeps the hold."""
    booking = hold(clinic, 14)
    job = SyncJob.objects.get(event_id=booking.event_id)
    shut_project_bucket(clinic.connection, 30)
    assert sync_job_run(job.pk) == JobStatus.FAILED
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD and booking.hold_expires_at > timezone.now()

    ratelimit.reset_all()
    assert run_now(job) == JobStatus.SYNCED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_job_out_of_the_backlog_before_the_sweep_writes_its_booking(clinic, run_jobs):
    """The hold's time is up and the sweep has not come by yet when the job finally runs:
    nothing released the hold, so the write goes ahead rather than withdrawing."""
    booking = hold(clinic, 13)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert run_jobs() == [JobStatus.SYNCED]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert [e["id"] for e in clinic.live_events()] == [booking.provider_event_id]


def moving(clinic, run_jobs, hour: int, to: int) -> tuple[Booking, SyncJob]:
    """A booking confirmed at ``hour``, then rescheduled to ``to``: held at the new time, its
    move job (on its own AI event) queued."""
    booking = hold(clinic, hour)
    assert run_jobs() == [JobStatus.SYNCED]
    booking.refresh_from_db()
    moved = services.reschedule(booking, clinic.at(to))
    assert moved.status == BookingStatus.HELD and moved.previous_start == clinic.at(hour)
    (job,) = SyncJob.objects.filter(event__kind="booking.reschedule", client=clinic.client)
    return moved, job


def test_a_move_whose_write_waits_for_the_quota_keeps_its_hold(clinic, run_jobs):
    """A reschedule's write put off for the quota comes late out of the queue under a burst:
    while its move job is owed a run, the sweep keeps the new time held (it does not put the
    booking back on its old time and tell the chatbot the move was refused)."""
    booking, job = moving(clinic, run_jobs, 10, 15)
    shut_project_bucket(clinic.connection, 30)
    assert sync_job_run(job.pk) == JobStatus.FAILED
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 0
    booking.refresh_from_db()
    assert booking.status == BookingStatus.HELD and booking.start == clinic.at(15)
    assert booking.hold_expires_at > timezone.now()

    ratelimit.reset_all()
    assert run_now(job) == JobStatus.SYNCED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.start == clinic.at(15)
    (event,) = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day:%Y-%m-%d}T15:00")


def test_a_move_whose_write_waits_behind_a_backlog_is_kept_by_sweep_and_new_holds(clinic, run_jobs):
    booking, job = moving(clinic, run_jobs, 11, 16)
    assert job.status == JobStatus.QUEUED
    assert_kept_past_its_time(clinic, booking, 16)
    assert booking.start == clinic.at(16)

    assert run_jobs() == [JobStatus.SYNCED]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.start == clinic.at(16)


def test_a_move_whose_job_is_done_or_dead_lets_its_hold_expire(clinic, run_jobs):
    """Only a move still owed a run keeps its hold: a dead move job's booking goes back to
    its confirmed time when the hold runs out."""
    booking, job = moving(clinic, run_jobs, 12, 14)
    SyncJob.objects.filter(pk=job.pk).update(status=JobStatus.DEAD)
    Booking.objects.filter(pk=booking.pk).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.expire_holds() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.start == clinic.at(12)
