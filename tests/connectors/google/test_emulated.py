"""The Google Calendar client end to end against the Google Calendar emulator (live server),
every request checked against the discovery document on the way (``conftest``)."""

from __future__ import annotations

import queue
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from connectors.base import BusyInterval, ConnectorError, CursorExpired, EventDraft
from connectors.google import wire
from connectors.google.client import build
from emulators.google_calendar import control, notify
from tests.connectors.google.conftest import SENT

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def draft(booking_id: str = "bk-1", hour: int = 9, **extra) -> EventDraft:
    return EventDraft(
        booking_id=booking_id,
        summary="Consultation",
        start=datetime(2026, 12, 7, hour, tzinfo=BERLIN),
        end=datetime(2026, 12, 7, hour + 1, tzinfo=BERLIN),
        time_zone="Europe/Berlin",
        attendees=("ada@example.com",),
        source_tag="AI_Chatbot",
        **extra,
    )


def test_it_creates_one_event_however_often_the_create_is_retried(google):
    connection, account = google()
    calendar = build(connection)
    first = calendar.create_event("primary", draft())
    again = calendar.create_event("primary", draft())
    assert again.id == first.id == wire.event_id_for("bk-1")
    assert again.booking_id == "bk-1" and again.etag == first.etag
    assert [e["id"] for e in control.events(account)] == [first.id]
    assert SENT.count("calendar.events.insert") == 2 and "calendar.events.get" in SENT


def test_it_refuses_to_adopt_someone_elses_event_at_our_id(google):
    connection, account = google()
    control.put_event(account, "primary", {
        "id": wire.event_id_for("bk-9"), "summary": "Not ours",
        "start": {"dateTime": "2026-12-07T09:00:00Z"}, "end": {"dateTime": "2026-12-07T10:00:00Z"},
    })  # fmt: skip
    with pytest.raises(ConnectorError) as caught:
        build(connection).create_event("primary", draft("bk-9"))
    assert caught.value.permanent and caught.value.code == "duplicate"


def test_a_retry_meeting_our_event_deleted_meanwhile_is_refused_not_adopted(google):
    connection, account = google()
    calendar = build(connection)
    first = calendar.create_event("primary", draft("bk-7"))
    calendar.cancel_event("primary", first.id)  # deleted in the calendar before the retry
    with pytest.raises(ConnectorError) as caught:
        calendar.create_event("primary", draft("bk-7"))
    assert caught.value.permanent and caught.value.code == "deleted"
    assert [e["status"] for e in control.events(account)] == ["cancelled"]


def test_it_derives_valid_event_ids_from_any_booking_id():
    for booking_id in ("a", "bk-1", "7f9c1e2a-4b5d-4e6f-8a9b-0c1d2e3f4a5b", "Zoë/…"):
        event_id = wire.event_id_for(booking_id)
        assert 5 <= len(event_id) <= 1024
        assert set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
    assert wire.event_id_for("bk-1") != wire.event_id_for("bk-2")


def test_it_reports_busy_time_as_google_expands_it(google):
    connection, account = google()
    control.primary(account, time_zone="Europe/Berlin")

    def put(event_id: str, start: str, end: str, **fields):
        key = "date" if len(start) == 10 else "dateTime"
        zone = {} if key == "date" else {"timeZone": "Europe/Berlin"}
        control.put_event(account, "primary", {
            "id": event_id, "start": {key: start, **zone}, "end": {key: end, **zone}, **fields,
        })  # fmt: skip

    put("busy00001", "2026-12-07T08:00:00", "2026-12-07T09:00:00")
    put("tent00001", "2026-12-07T10:00:00", "2026-12-07T11:00:00", status="tentative")
    put("free00001", "2026-12-07T12:00:00", "2026-12-07T13:00:00", transparency="transparent")
    put("gone00001", "2026-12-07T14:00:00", "2026-12-07T15:00:00", status="cancelled")
    put("allday001", "2026-12-08", "2026-12-09")
    put(
        "daily0001",
        "2026-12-07T16:00:00",
        "2026-12-07T16:30:00",
        recurrence=["RRULE:FREQ=DAILY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20261208T160000"],
    )
    put(
        "daily0001_20261209T150000Z",
        "2026-12-09T18:00:00",
        "2026-12-09T18:30:00",
        recurringEventId="daily0001",
        originalStartTime={"dateTime": "2026-12-09T16:00:00", "timeZone": "Europe/Berlin"},
    )
    put(
        "daily0001_20261210T150000Z",
        "2026-12-10T16:00:00",
        "2026-12-10T16:30:00",
        recurringEventId="daily0001",
        status="cancelled",
        originalStartTime={"dateTime": "2026-12-10T16:00:00", "timeZone": "Europe/Berlin"},
    )
    put(
        "declined1",
        "2026-12-07T19:00:00",
        "2026-12-07T20:00:00",
        attendees=[{"email": f"{account}@example.com", "self": True, "responseStatus": "declined"}],
    )

    found = build(connection).busy(
        ["primary"], datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC)
    )["primary"]
    at = lambda d, h, m=0: datetime(2026, 12, d, h, m, tzinfo=BERLIN)  # noqa: E731
    assert sorted(found, key=lambda b: str(b.start)[:10] + b.event_id) == [
        BusyInterval(at(7, 8), at(7, 9), "busy", "busy00001"),
        BusyInterval(at(7, 16), at(7, 16, 30), "busy", "daily0001_20261207T150000Z"),
        BusyInterval(at(7, 10), at(7, 11), "tentative", "tent00001"),
        BusyInterval(date(2026, 12, 8), date(2026, 12, 9), "busy", "allday001"),
        BusyInterval(at(9, 18), at(9, 18, 30), "busy", "daily0001_20261209T150000Z"),
    ]


def test_it_reads_a_free_busy_only_calendar_through_free_busy(google):
    connection, account = google()
    control.add_calendar(account, "boss@example.com", access_role="freeBusyReader")
    control.put_event(account, "boss@example.com", {
        "status": "tentative",
        "start": {"dateTime": "2026-12-07T09:00:00Z"}, "end": {"dateTime": "2026-12-07T10:00:00Z"},
    })  # fmt: skip
    found = build(connection).busy(
        ["primary", "boss@example.com"],
        datetime(2026, 12, 7, tzinfo=UTC),
        datetime(2026, 12, 8, tzinfo=UTC),
    )
    assert found["primary"] == []
    # free/busy cannot say "tentative": it is busy there.
    assert found["boss@example.com"] == [
        BusyInterval(datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 7, 10, tzinfo=UTC))
    ]
    assert "calendar.freebusy.query" in SENT
    # Known now: the next read goes straight to free/busy, no refused events.list first.
    SENT.clear()
    build_again = build(connection)
    build_again.list_calendars()
    build_again.busy(["boss@example.com"], datetime(2026, 12, 7, tzinfo=UTC),
                     datetime(2026, 12, 8, tzinfo=UTC))  # fmt: skip
    assert SENT == ["calendar.calendarList.list", "calendar.freebusy.query"]


def test_it_never_reports_an_unreadable_calendar_as_free(google):
    connection, _ = google()
    with pytest.raises(ConnectorError) as caught:
        build(connection).busy(
            ["missing@example.com"],
            datetime(2026, 12, 7, tzinfo=UTC),
            datetime(2026, 12, 8, tzinfo=UTC),
        )
    assert caught.value.status == 404


def test_it_refuses_an_update_over_a_stale_etag(google):
    connection, _ = google()
    calendar = build(connection)
    made = calendar.create_event("primary", draft())
    moved = calendar.update_event("primary", made.id, draft(hour=11), etag=made.etag)
    assert moved.start == datetime(2026, 12, 7, 11, tzinfo=BERLIN) and moved.etag != made.etag
    with pytest.raises(ConnectorError) as caught:
        calendar.update_event("primary", made.id, draft(hour=13), etag=made.etag)
    assert caught.value.status == 412 and caught.value.code == "conflict"
    assert caught.value.permanent


def test_it_follows_changes_and_starts_over_when_google_forgets_the_token(google):
    connection, account = google()
    calendar = build(connection)
    made = calendar.create_event("primary", draft())
    full = calendar.changes("primary")
    assert [e.id for e in full.events] == [made.id] and full.cursor
    calendar.cancel_event("primary", made.id)
    calendar.cancel_event("primary", made.id)  # already gone: fine
    page = calendar.changes("primary", full.cursor)
    assert [(e.id, e.status) for e in page.events] == [(made.id, "cancelled")]
    assert page.cursor != full.cursor
    control.forget_sync_tokens(account)
    with pytest.raises(CursorExpired) as caught:
        calendar.changes("primary", page.cursor)
    assert caught.value.status == 410
    assert calendar.changes("primary").cursor  # a full read works again


def test_it_pages_through_changes(google, settings):
    connection, account = google()
    for n in range(3):
        control.put_event(account, "primary", {
            "id": f"bulk{n}0000", "start": {"date": "2026-12-07"}, "end": {"date": "2026-12-08"},
        })  # fmt: skip
    from connectors.google import client as client_module

    calendar = build(connection)
    original = client_module.EVENTS_PAGE
    client_module.EVENTS_PAGE = 2
    try:
        page = calendar.changes("primary")
    finally:
        client_module.EVENTS_PAGE = original
    assert [e.id for e in page.events] == ["bulk00000", "bulk10000", "bulk20000"]
    assert page.events[0].start == date(2026, 12, 7)


def test_it_lists_calendars_with_what_we_may_do_there(google):
    connection, account = google()
    control.add_calendar(account, "team@group.example", summary="Team", access_role="writer",
                         time_zone="Europe/Berlin")  # fmt: skip
    control.add_calendar(account, "holidays@group.example", access_role="reader")
    found = {c.id: c for c in build(connection).list_calendars()}
    assert found[f"{account}@example.com"].primary and found[f"{account}@example.com"].can_write
    assert found["team@group.example"].can_write and found["team@group.example"].name == "Team"
    assert found["team@group.example"].time_zone == "Europe/Berlin"
    assert not found["holidays@group.example"].can_write


def test_it_waits_out_googles_403_rate_limit_instead_of_failing(google):
    connection, account = google()
    calendar = build(connection)
    calendar.http.sleep = lambda seconds: None
    control.inject_fault(account, "rate_limit", status=403, path="/calendarList")
    assert len(calendar.list_calendars()) == 1
    control.inject_fault(account, "rate_limit", status=403, count=10, path="/calendarList")
    with pytest.raises(ConnectorError) as caught:
        calendar.list_calendars()
    assert not caught.value.permanent  # handed back to the job to retry later


def test_it_receives_sync_then_exists_on_its_watch_channel(google, receiver):
    connection, account = google()
    address, inbox = receiver
    control.configure(account, allow_http_address=True)
    calendar = build(connection)
    watch = calendar.watch("primary", address=address, secret="tok-123", ttl_seconds=3600)
    assert watch.resource_id and watch.expires_at > datetime.now(UTC)
    calendar.create_event("primary", draft())
    notify.drain()
    first, second = inbox.get(timeout=10), inbox.get(timeout=10)
    for message in (first, second):
        assert message.path == "/hooks/google" and message.body == b""
        assert message.headers["X-Goog-Channel-ID"] == watch.id
        assert message.headers["X-Goog-Channel-Token"] == "tok-123"
        assert message.headers["X-Goog-Resource-ID"] == watch.resource_id
        assert message.headers["X-Goog-Resource-URI"].startswith("https://www.googleapis.com/")
    assert first.headers["X-Goog-Resource-State"] == "sync"
    assert second.headers["X-Goog-Resource-State"] == "exists"
    numbers = [int(m.headers["X-Goog-Message-Number"]) for m in (first, second)]
    assert numbers[1] > numbers[0]
    calendar.stop_watch(watch)
    calendar.stop_watch(watch)  # already stopped: fine
    calendar.create_event("primary", draft("bk-2"))
    notify.drain()
    with pytest.raises(queue.Empty):
        inbox.get_nowait()


def test_it_refreshes_a_rejected_token_once_and_carries_on(google):
    from tests.connectors.crm_fixtures import add_refresh_token

    connection, account = google()
    connection.refresh_token = add_refresh_token("google", connection.access_token)
    connection.access_token = "revoked-elsewhere"
    connection.save()
    assert build(connection).list_calendars()[0].id == f"{account}@example.com"
    connection.refresh_from_db()
    assert connection.access_token != "revoked-elsewhere"


def test_it_calls_only_methods_of_the_discovery_document(google, receiver):
    connection, account = google()
    control.configure(account, allow_http_address=True)
    control.add_calendar(account, "boss@example.com", access_role="freeBusyReader")
    calendar = build(connection)
    calendar.list_calendars()
    window = (datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC))
    calendar.busy(["primary", "boss@example.com"], *window)
    made = calendar.create_event("primary", draft())
    calendar.create_event("primary", draft())
    calendar.update_event("primary", made.id, draft(hour=11))
    calendar.changes("primary")
    watch = calendar.watch("primary", address=receiver[0], secret="s", ttl_seconds=600)
    calendar.stop_watch(watch)
    calendar.cancel_event("primary", made.id)
    assert set(SENT) == {
        "calendar.calendarList.list", "calendar.events.list", "calendar.freebusy.query",
        "calendar.events.insert", "calendar.events.get", "calendar.events.patch",
        "calendar.events.watch", "calendar.channels.stop", "calendar.events.delete",
    }  # fmt: skip
    notify.drain()


def test_changes_report_an_attendees_decline_and_the_owners(google):
    """Google: each attendee's ``responseStatus``; the owner's is the ``self`` attendee's."""
    connection, account = google()
    cal = build(connection)
    first = cal.changes("primary", "")
    control.put_event(account, "primary", {
        "id": "declined2", "start": {"dateTime": "2026-12-07T09:00:00Z"},
        "end": {"dateTime": "2026-12-07T10:00:00Z"},
        "attendees": [{"email": "ana@example.org", "responseStatus": "declined"}],
    })  # fmt: skip
    control.put_event(account, "primary", {
        "id": "declined3", "start": {"dateTime": "2026-12-07T11:00:00Z"},
        "end": {"dateTime": "2026-12-07T12:00:00Z"},
        "attendees": [{"email": f"{account}@example.com", "self": True,
                       "responseStatus": "declined"}],
    })  # fmt: skip
    got = {e.id: e for e in cal.changes("primary", first.cursor).events}
    assert got["declined2"].declined_by == ("ana@example.org",)
    assert not got["declined2"].owner_declined and not got["declined2"].transparent
    assert got["declined3"].owner_declined and got["declined3"].transparent
