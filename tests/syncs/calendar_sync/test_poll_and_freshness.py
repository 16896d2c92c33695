"""Without a push channel, the beat's poll reads each calendar when it is due; ``read_busy``
answers from the mirror while it is fresh (as of the last pass, or of now with a live
channel), reads the vendor otherwise, and a calendar neither fresh nor readable is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulators.google_calendar import control, notify
from syncs.calendar import poll, selectors
from syncs.calendar.availability import stale_calendars
from syncs.calendar.busy import read_busy
from syncs.calendar.models import CalendarRole
from syncs.calendar.sync import calendar_sync_run, request_pass
from syncs.calendar.sync_state.models import CalendarSync, SyncStatus
from syncs.calendar.watches import keep_channel

pytestmark = pytest.mark.django_db(transaction=True)


def event_body(hours_ahead: int) -> dict:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start += timedelta(hours=hours_ahead)
    return {
        "summary": "Standup",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }


def age(linked, seconds: int) -> None:
    """As if the last pass were ``seconds`` older (no waiting in tests)."""
    sync = linked.reload()
    CalendarSync.objects.filter(pk=sync.pk).update(
        synced_at=sync.synced_at - timedelta(seconds=seconds),
        published_at=None,
    )


def test_the_poll_reads_a_calendar_without_a_channel_when_it_is_due(google, changes, settings):
    assert poll.publish_due() == 1  # never read: due at once (the pass runs inline here)
    sync = google.reload()
    assert sync.synced_at is not None and not sync.channel_id
    assert poll.due_syncs() == []  # just read
    made = control.put_event(google.account, "primary", event_body(26))
    age(google, settings.CALENDAR_POLL_SECONDS + 1)
    assert poll.due_syncs() == [sync.pk]
    poll.publish_due()
    assert [e.id for e in changes.events()] == [made["id"]]


def confirmed_channel(linked) -> None:
    """Open a channel and let a notice of it reach us (Google's first "sync" message may come
    before the channel is stored, so a change is made to be sure one arrives after)."""
    keep_channel(linked.sync.pk)
    control.put_event(linked.account, "primary", event_body(70))
    notify.drain()
    assert linked.reload().channel_confirmed_at is not None


def test_a_calendar_with_a_live_channel_is_polled_only_at_the_safety_interval(google, settings):
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    CalendarSync.objects.filter(pk=google.sync.pk).update(channel_confirmed_at=None)
    age(google, settings.CALENDAR_POLL_SECONDS + 1)
    # A channel no notice has come through yet is not trusted: polled as if it were absent.
    assert poll.due_syncs() == [google.sync.pk]
    calendar_sync_run(google.sync.pk)
    confirmed_channel(google)
    age(google, settings.CALENDAR_POLL_SECONDS + 1)
    assert poll.due_syncs() == []
    age(google, settings.CALENDAR_SAFETY_POLL_SECONDS)
    assert poll.due_syncs() == [google.sync.pk]


def test_the_mirror_answers_while_fresh_and_a_stale_unreadable_calendar_is_stale(google):
    made = control.put_event(google.account, "primary", event_body(28))
    calendar_sync_run(google.sync.pk)
    synced_at = google.reload().synced_at
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=2))
    key = (google.connection.pk, "primary")
    # Polled within its stale bound: the mirror answers, current as of the pass.
    busy = read_busy([google.role], *window)
    assert [i.event_id for i in busy[key]] == [made["id"]]
    assert google.role.last_read_at == synced_at
    # Older than its bound: the vendor is read now instead.
    age(google, google.role.stale_after_seconds + 1)
    busy = read_busy([google.role], *window)
    assert [i.event_id for i in busy[key]] == [made["id"]]
    assert google.role.last_read_at > synced_at
    # Older than its bound, and the vendor cannot be read: left out, so stale, never free.
    control.inject_fault(google.account, "server_error", count=20)
    busy = read_busy([google.role], *window)
    assert key not in busy
    calendars = selectors.calendar_busy([google.role], busy)
    assert stale_calendars(calendars, datetime.now(UTC)) == ("primary",)


def test_a_window_beyond_what_the_mirror_covers_is_read_from_the_vendor(google):
    calendar_sync_run(google.sync.pk)
    covered_until = google.reload().covered_until
    control.inject_fault(google.account, "server_error", count=20)
    far = (covered_until - timedelta(days=1), covered_until + timedelta(days=1))
    assert read_busy([google.role], *far) == {}  # not answered from a mirror that lacks it


def test_a_live_channel_makes_the_data_current_as_of_now_unless_a_notice_waits(google):
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    CalendarSync.objects.filter(pk=google.sync.pk).update(channel_confirmed_at=None)
    age(google, 120)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
    read_busy([google.role], *window)
    assert google.role.last_read_at == google.reload().synced_at  # not trusted yet
    confirmed_channel(google)
    age(google, 120)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
    before = datetime.now(UTC)
    read_busy([google.role], *window)
    assert google.role.last_read_at >= before  # current as of now
    CalendarSync.objects.filter(pk=google.sync.pk).update(status=SyncStatus.RUNNING)
    request_pass(google.sync.pk)  # a notice arrived and waits behind the running pass
    read_busy([google.role], *window)
    assert google.role.last_read_at == google.reload().synced_at


def test_a_second_run_of_one_calendar_does_nothing_and_a_notice_during_a_pass_reruns_it(google):
    calendar_sync_run(google.sync.pk)
    CalendarSync.objects.filter(pk=google.sync.pk).update(
        status=SyncStatus.RUNNING, started_at=datetime.now(UTC)
    )
    calls = []
    assert calendar_sync_run(google.sync.pk, vendor=calls.append) == "skipped"
    assert calls == []  # the vendor was never asked
    CalendarSync.objects.filter(pk=google.sync.pk).update(status=SyncStatus.IDLE)

    from connectors.registry import client_for

    def notified_midway(connection):
        client = client_for(connection)
        changes = client.changes

        def changes_then_notice(calendar_id, cursor=""):
            page = changes(calendar_id, cursor)
            if not calls:
                calls.append("noticed")
                CalendarSync.objects.filter(pk=google.sync.pk).update(requested=10)
            return page

        client.changes = changes_then_notice
        return client

    calendar_sync_run(google.sync.pk, vendor=notified_midway)
    # The pass ended, saw the notice that came during it, and was published again (inline).
    assert google.reload().synced_requests == 10


def test_the_beat_keeps_channels_for_push_calendars_and_stops_unwanted_ones(google, stack):
    from syncs.calendar.models import CalendarRole
    from syncs.calendar.tasks import keep_calendar_channels

    assert poll.channels_to_keep() == [google.sync.pk]  # push-capable, no channel yet
    assert keep_calendar_channels() == 1  # queued (run inline here): opened
    notify.drain()
    channel = google.reload().channel_id
    assert channel and poll.channels_to_keep() == []  # live, far from expiry
    google.role.role = CalendarRole.Role.IGNORED
    google.role.save(update_fields=["role"])
    CalendarSync.objects.filter(pk=google.sync.pk).update(channel_tried_at=None)
    assert poll.channels_to_keep() == [google.sync.pk]
    keep_calendar_channels()
    assert google.reload().channel_id == ""
    from emulators.google_calendar.models import GChannel

    assert GChannel.objects.get(channel_id=channel).stopped


def test_no_channel_is_opened_without_an_https_public_url(google, settings):
    settings.PUBLIC_BASE_URL = "http://plain.example"
    settings.CALENDAR_PUSH_ALLOW_HTTP = False
    assert keep_channel(google.sync.pk) == "failed"
    sync = google.reload()
    assert sync.channel_id == "" and "https" in sync.channel_error


def test_a_calendar_whose_passes_failed_for_good_is_read_again_a_day_later(google, settings):
    # A calendar Google does not know: 404, a permanent error, dead at once.
    google.role.calendar_id = "gone@example.com"
    google.role.save(update_fields=["calendar_id"])
    assert calendar_sync_run(google.sync.pk) == "dead"
    assert google.reload().last_error  # the vendor's message, kept for staff
    assert poll.due_syncs() == []
    CalendarSync.objects.filter(pk=google.sync.pk).update(
        finished_at=datetime.now(UTC) - timedelta(seconds=settings.CALENDAR_FULL_RESYNC_SECONDS + 1)
    )
    assert poll.due_syncs() == [google.sync.pk]
    revived = google.reload()
    assert revived.status == "idle" and revived.resync and revived.attempts == 0


def test_a_live_channel_is_not_trusted_past_the_calendars_stale_bound(google, settings):
    """A channel can die without a word: "current as of now" holds only while the last pass
    is younger than the calendar's ``stale_after_seconds`` (and two safety polls). The vendor
    is made unreadable, so an answer can only come from the mirror."""
    calendar_sync_run(google.sync.pk)
    confirmed_channel(google)
    assert google.reload().requested <= google.sync.synced_requests  # nothing waits unread
    control.inject_fault(google.account, "server_error", count=100)
    role = google.role
    safety = settings.CALENDAR_SAFETY_POLL_SECONDS

    def read(stale_after: int, aged: int) -> tuple[bool, bool]:
        """(answered from the mirror, stamped as current now) with the last pass ``aged``
        seconds old."""
        CalendarRole.objects.filter(pk=role.pk).update(stale_after_seconds=stale_after)
        role.refresh_from_db()
        CalendarSync.objects.filter(pk=google.sync.pk).update(
            synced_at=datetime.now(UTC) - timedelta(seconds=aged)
        )
        window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
        before = datetime.now(UTC)
        answered = read_busy([role], *window) != {}
        return answered, role.last_read_at is not None and role.last_read_at >= before

    assert read(300, 120) == (True, True)  # within the bound: current as of now
    # Older than the calendar's bound, though within two safety polls: not answered (the
    # silent channel used to count as current as of now for 2 * safety).
    assert read(300, 400) == (False, False)
    # A bound longer than the safety interval: a quiet channel between polls is current as
    # of now; past two safety polls, only as of its last pass, while that is within the bound.
    assert read(3 * safety, safety + 60) == (True, True)
    assert read(3 * safety, 2 * safety + 60) == (True, False)
    assert role.last_read_at == google.reload().synced_at
