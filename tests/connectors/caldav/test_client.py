"""The CalDAV client against a real Radicale server: calendars, busy time with recurring
series and their exceptions, idempotent create, If-Match updates, cancel, and sync-collection
with deletions and an invalid token."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import requests

from connectors.base import BusyInterval, ConnectorError, CursorExpired, EventDraft
from connectors.caldav import wire
from connectors.caldav.client import build
from connectors.registry import client_for

from .conftest import Server, connection_to

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_8 = ("DTSTART:20260330T080000Z", "DTEND:20260330T090000Z")
WEEK = (datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))


def ics(*lines: str, timezone: str = "") -> str:
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//someone's app//EN\r\n"
        f"{timezone}{body}\r\nEND:VCALENDAR\r\n"
    )


def vevent(uid: str, *lines: str) -> str:
    stamp = "DTSTAMP:20260101T000000Z"
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", stamp, *lines, "END:VEVENT"])


# Berlin's rules under a name that is no IANA zone, as older servers and Outlook write them.
CUSTOM_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Praxis Time\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def draft(booking_id: str = "bk-1", hour: int = 9, **extra) -> EventDraft:
    start = datetime(2026, 3, 30, hour, tzinfo=BERLIN)
    fields = {
        "booking_id": booking_id,
        "summary": "Check-up",
        "start": start,
        "end": start + timedelta(minutes=30),
        "time_zone": "Europe/Berlin",
        "attendees": ("ana@example.org",),
        "source_tag": "run-7",
        **extra,
    }
    return EventDraft(**fields)


def names(server, calendar: str) -> set[str]:
    body = '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
    response = requests.request(
        "PROPFIND", calendar, data=body, headers={"Depth": "1"},
        auth=("surgery", "app-specific-pw"), timeout=10,
    )  # fmt: skip
    found = wire.parse_multistatus(response.content, calendar)
    inside = [m for m in found.members if not wire.same_resource(m.url, calendar)]
    return {wire.resource_name(m.url) for m in inside}


# --- calendars ------------------------------------------------------------------------------

LORD_HOWE = (
    "BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nPRODID:x&#13;\nBEGIN:VTIMEZONE&#13;\n"
    "TZID:Australia/Lord_Howe&#13;\nBEGIN:STANDARD&#13;\nDTSTART:19700101T000000&#13;\n"
    "TZOFFSETFROM:+1030&#13;\nTZOFFSETTO:+1030&#13;\nEND:STANDARD&#13;\nEND:VTIMEZONE&#13;\n"
    "END:VCALENDAR&#13;\n"
)


def mkcalendar(name: str, components: str, timezone: str = "") -> str:
    zone = f"<C:calendar-timezone>{timezone}</C:calendar-timezone>" if timezone else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
        f"<D:displayname>{name}</D:displayname>{zone}"
        f'<C:supported-calendar-component-set><C:comp name="{components}"/>'
        "</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"
    )


def test_it_lists_event_calendars_with_name_zone_and_writability(server, caldav):
    events = server.new_calendar(mkcalendar("Dr Lee", "VEVENT", LORD_HOWE))
    tasks = server.new_calendar(mkcalendar("Chores", "VTODO"))
    listed = {c.id: c for c in caldav.list_calendars()}
    assert tasks not in listed
    lee = listed[events]
    assert (lee.name, lee.time_zone, lee.can_write) == ("Dr Lee", "Australia/Lord_Howe", True)


def test_registry_builds_the_caldav_client(server, world):
    connection = connection_to(server, world.client_a)
    assert type(client_for(connection)).__name__ == "CalDavClient"


# --- busy -------------------------------------------------------------------------------------


def test_busy_expands_series_with_exceptions_and_weighs_each_kind(server, caldav):
    calendar = server.new_calendar()
    series = vevent(
        "series",
        "DTSTART;TZID=Praxis Time:20260327T090000",
        "DTEND;TZID=Praxis Time:20260327T100000",
        "RRULE:FREQ=DAILY;COUNT=5",
        "EXDATE;TZID=Praxis Time:20260328T090000",
    )
    moved = vevent(
        "series",
        "RECURRENCE-ID;TZID=Praxis Time:20260330T090000",
        "DTSTART;TZID=Praxis Time:20260330T140000",
        "DTEND;TZID=Praxis Time:20260330T150000",
    )
    server.put(calendar, "series.ics", ics(series, moved, timezone=CUSTOM_ZONE))
    server.put(calendar, "holiday.ics", ics(vevent(
        "holiday", "DTSTART;VALUE=DATE:20260331", "DTEND;VALUE=DATE:20260401",
    )))  # fmt: skip
    server.put(calendar, "free.ics", ics(vevent(
        "free", "DTSTART:20260327T120000Z", "DTEND:20260327T130000Z", "TRANSP:TRANSPARENT",
    )))  # fmt: skip
    server.put(calendar, "maybe.ics", ics(vevent(
        "maybe", "DTSTART:20260328T150000Z", "DTEND:20260328T160000Z", "STATUS:TENTATIVE",
    )))  # fmt: skip
    server.put(calendar, "off.ics", ics(vevent(
        "off", "DTSTART:20260328T170000Z", "DTEND:20260328T180000Z", "STATUS:CANCELLED",
    )))  # fmt: skip
    server.put(calendar, "later.ics", ics(vevent(
        "later", "DTSTART:20260410T170000Z", "DTEND:20260410T180000Z",
    )))  # fmt: skip

    busy = caldav.busy([calendar], *WEEK)[calendar]

    def utc(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=UTC)

    assert [(b.start, b.end, b.status) for b in busy] == [
        (utc(27, 8), utc(27, 9), "busy"),  # CET: +01:00
        (utc(28, 15), utc(28, 16), "tentative"),
        (utc(29, 7), utc(29, 8), "busy"),  # the clocks went forward that night: +02:00
        (utc(30, 12), utc(30, 13), "busy"),  # the exception, moved to 14:00 local
        (date(2026, 3, 31), date(2026, 4, 1), "busy"),  # all-day: dates, end exclusive
        (utc(31, 7), utc(31, 8), "busy"),
    ]
    assert all(isinstance(b, BusyInterval) for b in busy)


def test_an_event_or_occurrence_the_owner_declined_is_not_busy(server, caldav):
    """PARTSTAT=DECLINED on the organizer's own line (the calendar's owner) frees the time, as
    Google's and Graph's free/busy leave out what their owner declined; a series whose one
    occurrence the owner declined stays busy on the others; the customer's decline alone
    leaves it busy (the booking's cancellation removes our event)."""
    calendar = server.new_calendar()
    organizer = "ORGANIZER:mailto:desk@surgery.example"
    server.put(calendar, "o.ics", ics(vevent(
        "o", "DTSTART:20260327T080000Z", "DTEND:20260327T090000Z", organizer,
        "ATTENDEE;PARTSTAT=DECLINED:MAILTO:Desk@Surgery.example",
    )))  # fmt: skip
    server.put(calendar, "c.ics", ics(vevent(
        "c", "DTSTART:20260327T100000Z", "DTEND:20260327T110000Z", organizer,
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:desk@surgery.example",
        "ATTENDEE;PARTSTAT=DECLINED:mailto:ana@example.org",
    )))  # fmt: skip
    weekly = vevent(
        "weekly", "DTSTART:20260328T080000Z", "DTEND:20260328T090000Z", "RRULE:FREQ=DAILY;COUNT=3",
        organizer, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:desk@surgery.example",
    )  # fmt: skip
    skipped = vevent(
        "weekly", "RECURRENCE-ID:20260329T080000Z", "DTSTART:20260329T080000Z",
        "DTEND:20260329T090000Z", organizer,
        "ATTENDEE;PARTSTAT=DECLINED:mailto:desk@surgery.example",
    )  # fmt: skip
    server.put(calendar, "weekly.ics", ics(weekly, skipped))

    busy = caldav.busy([calendar], *WEEK)[calendar]

    assert [(b.start.day, b.start.hour, b.event_id) for b in busy] == [
        (27, 10, "c.ics"),
        (28, 8, "weekly/2026-03-28T08:00:00+00:00"),
        (30, 8, "weekly/2026-03-30T08:00:00+00:00"),
    ]


def test_a_calendar_that_cannot_be_read_raises_and_is_never_free(server, caldav):
    with pytest.raises(ConnectorError) as refused:
        caldav.busy([f"{server.home}no-such-calendar/"], *WEEK)
    assert refused.value.permanent and refused.value.status == 404


def test_a_wrong_app_password_asks_for_a_new_one(server, world):
    calendar = server.new_calendar()
    client = build(connection_to(server, world.client_a, password="revoked"))
    with pytest.raises(ConnectorError) as refused:
        client.busy([calendar], *WEEK)
    assert refused.value.needs_reauth and refused.value.status == 401


def test_every_request_is_ssrf_checked(server, world, settings):
    """Outside development the client refuses a server on a private address (or over plain
    http) before sending anything, wherever the URL came from."""
    settings.ALLOW_PRIVATE_URLS = False
    settings.DEBUG = False
    client = build(connection_to(server, world.client_a))
    with pytest.raises(ConnectorError) as refused:
        client.list_calendars()  # plain http: the password would travel in clear
    assert refused.value.permanent and refused.value.code == "unsafe_url"

    inside = connection_to(server, world.client_b)
    inside.settings["api_base"] = "https://127.0.0.1:9/surgery/"
    with pytest.raises(ConnectorError) as refused:
        build(inside).list_calendars()  # https, but to a loopback address
    assert refused.value.permanent and refused.value.code == "unsafe_url"


class Throttling(BaseHTTPRequestHandler):
    """A CalDAV server saying "later": what Radicale cannot be made to say."""

    status, retry_after = 429, "120"

    def do_REPORT(self) -> None:
        self.send_response(self.status)
        self.send_header("Retry-After", self.retry_after)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PROPFIND = do_REPORT

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize(("status", "wait"), [(429, "120"), (503, "30")])
def test_a_server_asking_for_time_gets_it_as_a_retry(world, settings, status, wait):
    settings.VENDOR_INLINE_WAIT_SECONDS = 1.0
    handler = type("Handler", (Throttling,), {"status": status, "retry_after": wait})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        client = build(connection_to(Server(url), world.client_a))
        client.http.sleep = lambda seconds: None
        with pytest.raises(ConnectorError) as later:
            client.busy([f"{url}surgery/calendar/"], *WEEK)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert not later.value.permanent and later.value.retry_after == float(wait)
    assert later.value.status == status


# --- writing ----------------------------------------------------------------------------------


def test_create_writes_our_event_with_its_zone_and_a_retry_makes_no_second(server, caldav):
    calendar = server.new_calendar()
    made = caldav.create_event(calendar, draft())
    assert made.booking_id == "bk-1" and made.etag
    assert made.start == datetime(2026, 3, 30, 9, tzinfo=BERLIN)
    stored = server.get(calendar, made.id).text
    assert "BEGIN:VTIMEZONE" in stored and "TZID:Europe/Berlin" in stored
    assert "X-SWITCHBOARD-SOURCE-TAG:run-7" in stored
    assert "SCHEDULE-AGENT=CLIENT" in stored  # the server sends no invitation

    again = caldav.create_event(calendar, draft())
    assert (again.id, again.booking_id, again.etag) == (made.id, "bk-1", made.etag)
    assert names(server, calendar) == {made.id}
    busy = caldav.busy([calendar], *WEEK)[calendar]
    assert [(b.start, b.end) for b in busy] == [(made.start, made.end)]


def test_busy_names_a_single_event_as_create_does_and_an_instance_by_its_uid(server, caldav):
    """A booking finds its own event in busy time by the id ``create_event`` gave it (the
    resource name, not the UID); a recurrence instance keeps its UID-and-start name."""
    calendar = server.new_calendar()
    made = caldav.create_event(calendar, draft("bk-own", hour=11))
    server.put(calendar, "weekly.ics", ics(vevent(
        "weekly", "DTSTART:20260327T060000Z", "DTEND:20260327T063000Z", "RRULE:FREQ=DAILY;COUNT=1",
    )))  # fmt: skip
    busy = caldav.busy([calendar], *WEEK)[calendar]
    assert [b.event_id for b in busy] == ["weekly/2026-03-27T06:00:00+00:00", made.id]
    assert made.id == "switchboard-bk-own.ics"


def test_create_refuses_a_name_holding_someone_elses_event(server, caldav):
    calendar = server.new_calendar()
    name, _ = wire.resource_for("bk-2")
    server.put(calendar, name, ics(vevent("theirs", *MONDAY_8)))
    with pytest.raises(ConnectorError) as refused:
        caldav.create_event(calendar, draft("bk-2"))
    assert refused.value.permanent and refused.value.code == "duplicate"


def test_update_with_a_stale_etag_is_a_conflict_and_a_fresh_one_moves_it(server, caldav):
    calendar = server.new_calendar()
    made = caldav.create_event(calendar, draft("bk-3"))
    moved = caldav.update_event(calendar, made.id, draft("bk-3", hour=11), etag=made.etag)
    assert moved.start == datetime(2026, 3, 30, 11, tzinfo=BERLIN)
    assert moved.etag and moved.etag != made.etag
    assert "SEQUENCE:1" in server.get(calendar, made.id).text

    with pytest.raises(ConnectorError) as refused:
        caldav.update_event(calendar, made.id, draft("bk-3", hour=15), etag=made.etag)
    assert refused.value.permanent and refused.value.code == "conflict"
    assert caldav.get_event(calendar, made.id).start == moved.start  # not overwritten


def test_cancel_deletes_and_a_second_cancel_is_no_error(server, caldav):
    calendar = server.new_calendar()
    made = caldav.create_event(calendar, draft("bk-4"))
    caldav.cancel_event(calendar, made.id)
    assert server.get(calendar, made.id).status_code == 404
    caldav.cancel_event(calendar, made.id)
    assert caldav.busy([calendar], *WEEK)[calendar] == []


# --- changes ----------------------------------------------------------------------------------


def test_changes_follow_the_sync_token_and_report_deletions_by_id(server, caldav):
    calendar = server.new_calendar()
    server.put(calendar, "a.ics", ics(vevent("a", *MONDAY_8)))
    first = caldav.changes(calendar, "")
    assert [e.id for e in first.events] == ["a.ics"] and first.cursor

    server.put(calendar, "b.ics", ics(vevent(
        "b", "DTSTART:20260331T080000Z", "DTEND:20260331T090000Z", "STATUS:TENTATIVE",
    )))  # fmt: skip
    server.delete(calendar, "a.ics")
    made = caldav.create_event(calendar, draft("bk-5"))
    second = caldav.changes(calendar, first.cursor)
    by_id = {e.id: e for e in second.events}
    assert set(by_id) == {"a.ics", "b.ics", made.id}
    assert by_id["a.ics"].status == "cancelled" and by_id["a.ics"].start is None
    assert by_id["b.ics"].status == "tentative" and by_id["b.ics"].etag
    assert by_id[made.id].booking_id == "bk-5"
    assert second.cursor != first.cursor

    assert caldav.changes(calendar, second.cursor).events == ()


def test_a_token_the_server_does_not_know_means_read_everything_again(server, caldav):
    calendar = server.new_calendar()
    caldav.changes(calendar, "")
    with pytest.raises(CursorExpired) as expired:
        caldav.changes(calendar, "http://radicale.org/ns/sync/" + "0" * 64)
    assert expired.value.code == "valid-sync-token"


def test_changes_report_declines_by_an_attendee_and_by_the_organizer(server, caldav):
    """PARTSTAT=DECLINED on the customer's ATTENDEE line is their decline; on the organizer's
    own line (the calendar's owner) it is the owner's, and such an event blocks nothing;
    STATUS:CANCELLED is a cancellation (RFC 5545 §3.2.12, §3.8.1.11)."""
    calendar = server.new_calendar()
    first = caldav.changes(calendar, "")
    organizer = "ORGANIZER:mailto:desk@surgery.example"
    server.put(calendar, "c.ics", ics(vevent(
        "c", *MONDAY_8, organizer,
        "ATTENDEE;PARTSTAT=DECLINED:mailto:Ana@Example.org",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:desk@surgery.example",
    )))  # fmt: skip
    server.put(calendar, "o.ics", ics(vevent(
        "o", "DTSTART:20260331T080000Z", "DTEND:20260331T090000Z", organizer,
        "ATTENDEE;PARTSTAT=DECLINED:MAILTO:Desk@Surgery.example",
    )))  # fmt: skip
    server.put(calendar, "x.ics", ics(vevent(
        "x", "DTSTART:20260401T080000Z", "DTEND:20260401T090000Z", "STATUS:CANCELLED",
    )))  # fmt: skip
    by_id = {e.id: e for e in caldav.changes(calendar, first.cursor).events}
    assert by_id["c.ics"].declined_by == ("Ana@Example.org",)
    assert not by_id["c.ics"].owner_declined and not by_id["c.ics"].transparent
    assert by_id["o.ics"].owner_declined and by_id["o.ics"].transparent
    assert by_id["x.ics"].status == "cancelled"
