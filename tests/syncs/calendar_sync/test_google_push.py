"""Google Calendar: a change in the emulated calendar reaches ``calendar_changed`` through an
``events.watch`` notification to our endpoint and a sync pass; the endpoint refuses what is
not Google's notification for a channel of ours; a forgotten sync token means a full read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulators.google_calendar import control, notify
from emulators.google_calendar.models import GChannel
from syncs.calendar.busy import read_busy
from syncs.calendar.sync import calendar_sync_run
from syncs.calendar.sync_state.models import MirroredEvent
from syncs.calendar.watches import keep_channel

pytestmark = pytest.mark.django_db(transaction=True)


def event_body(hours_ahead: int, summary: str = "Dentist") -> dict:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start += timedelta(hours=hours_ahead)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }


def hook(stack) -> str:
    return f"{stack.url}/hooks/calendar/google"


def test_it_syncs_a_change_pushed_by_google_and_tells_the_calendar_domain(google, changes):
    assert calendar_sync_run(google.sync.pk) == "idle"  # the first fill: nothing "changed"
    assert keep_channel(google.sync.pk) == "opened"
    sync = google.reload()
    assert sync.channel_id and sync.channel_resource and sync.channel_secret
    made = control.put_event(google.account, "primary", event_body(30))
    notify.drain()
    [event] = [e for e in changes.wait_for(lambda e: e.id == made["id"]) if e.id == made["id"]]
    assert event.status == "confirmed" and event.start is not None
    # notify.drain() returned after our endpoint answered, so the pass has committed.
    assert MirroredEvent.objects.filter(sync=sync, event_id=made["id"]).exists()
    sync = google.reload()
    assert sync.synced_requests == sync.requested >= 1
    assert sync.channel_confirmed_at is not None  # a notice came through: the channel is trusted
    # Busy time now comes from the mirror: a vendor that cannot be read is never asked.
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=3))
    busy = read_busy([google.role], *window, vendor=_unreachable)
    [interval] = busy[(google.connection.pk, "primary")]
    assert interval.event_id == made["id"]
    assert google.role.last_read_at is not None  # current as of now: the channel is live


def _unreachable(connection):
    raise AssertionError("the vendor was read although the mirror is fresh")


def test_it_reports_a_cancelled_event_with_the_booking_id_it_knew(google, changes):
    body = {**event_body(40), "extendedProperties": {"private": {"switchboardBookingId": "bk-9"}}}
    made = control.put_event(google.account, "primary", body)
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    control.put_event(google.account, "primary", {**made, "status": "cancelled"})
    notify.drain()
    found = changes.wait_for(lambda e: e.id == made["id"] and e.status == "cancelled")
    assert any(e.booking_id == "bk-9" for e in found if e.id == made["id"])
    assert not MirroredEvent.objects.filter(event_id=made["id"]).exists()


def test_it_refuses_a_notification_whose_token_is_not_ours(google, stack):
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    notify.drain()
    sync = google.reload()
    before = sync.requested
    headers = {
        "X-Goog-Channel-ID": sync.channel_id,
        "X-Goog-Channel-Token": sync.channel_secret[:-1] + "x",
        "X-Goog-Resource-ID": sync.channel_resource,
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "99",
    }
    answer = requests.post(hook(stack), headers=headers, timeout=10)
    assert answer.status_code == 403
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert sync.channel_secret not in answer.text
    wrong_resource = {**headers, "X-Goog-Channel-Token": sync.channel_secret}
    wrong_resource["X-Goog-Resource-ID"] = "someone-elses"
    assert requests.post(hook(stack), headers=wrong_resource, timeout=10).status_code == 403
    no_token = {k: v for k, v in headers.items() if k != "X-Goog-Channel-Token"}
    assert requests.post(hook(stack), headers=no_token, timeout=10).status_code == 403
    assert google.reload().requested == before  # nothing queued


def test_it_answers_an_unknown_channel_with_404_and_a_non_notification_with_400(google, stack):
    url = hook(stack)
    unknown = {"X-Goog-Channel-ID": "nobody", "X-Goog-Resource-State": "exists"}
    assert requests.post(url, headers=unknown, timeout=10).status_code == 404
    assert (
        requests.post(url, headers={"X-Goog-Resource-State": "exists"}, timeout=10).status_code
        == 400
    )
    odd_state = {"X-Goog-Channel-ID": "x", "X-Goog-Resource-State": "gone"}
    assert requests.post(url, headers=odd_state, timeout=10).status_code == 400
    assert requests.get(url, timeout=10).status_code == 405


def test_it_reads_everything_again_when_google_forgot_the_sync_token(google, changes):
    calendar_sync_run(google.sync.pk)
    first = google.reload().cursor
    made = control.put_event(google.account, "primary", event_body(50))
    control.forget_sync_tokens(google.account)
    assert calendar_sync_run(google.sync.pk) == "idle"
    sync = google.reload()
    assert sync.cursor != first and sync.full_synced_at == sync.synced_at
    assert MirroredEvent.objects.filter(sync=sync, event_id=made["id"]).exists()
    # The full read told what differs from the copy before it.
    assert [e.id for e in changes.events()] == [made["id"]]


def test_it_opens_a_new_channel_before_the_old_one_lapses_and_stops_the_old(google):
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    old = google.reload().channel_id
    assert keep_channel(google.sync.pk) == "busy"  # tried just now: not twice at once
    google.sync.channel_expires_at = datetime.now(UTC) + timedelta(hours=1)
    google.sync.channel_tried_at = None
    google.sync.save(update_fields=["channel_expires_at", "channel_tried_at"])
    assert keep_channel(google.sync.pk) == "opened"  # Google cannot renew a channel
    new = google.reload().channel_id
    assert new != old
    assert GChannel.objects.get(channel_id=old).stopped
    assert not GChannel.objects.get(channel_id=new).stopped
    notify.drain()


def test_it_keeps_the_cursor_when_google_throttles_and_retries_later(google):
    calendar_sync_run(google.sync.pk)
    cursor = google.reload().cursor
    control.put_event(google.account, "primary", event_body(20))
    control.inject_fault(google.account, "rate_limit", status=403, count=20, path="/events")
    assert calendar_sync_run(google.sync.pk) == "retry"
    sync = google.reload()
    assert sync.cursor == cursor and sync.next_attempt_at is not None
    assert sync.attempts == 0  # a throttle is not a failed attempt


def test_a_message_number_that_is_no_number_is_a_400_problem_not_a_500(google, stack):
    """``X-Goog-Message-Number`` is not authenticated: "²" passes ``str.isdigit`` but not
    ``int``, and 19 digits overflow the stored int64; both are refused before any lookup."""
    calendar_sync_run(google.sync.pk)
    keep_channel(google.sync.pk)
    notify.drain()
    sync = google.reload()
    before = sync.requested
    headers = {
        "X-Goog-Channel-ID": sync.channel_id,
        "X-Goog-Channel-Token": sync.channel_secret,
        "X-Goog-Resource-ID": sync.channel_resource,
        "X-Goog-Resource-State": "exists",
    }
    for number in ("²", "1²", "9" * 19, "9" * 5000, "-1", "0x10"):
        answer = requests.post(
            hook(stack), headers={**headers, "X-Goog-Message-Number": number}, timeout=10
        )
        assert answer.status_code == 400, number
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert google.reload().requested == before  # nothing queued
    largest = "9" * 18
    answer = requests.post(
        hook(stack), headers={**headers, "X-Goog-Message-Number": largest}, timeout=10
    )
    assert answer.status_code == 200
    assert google.reload().channel_message == int(largest)
