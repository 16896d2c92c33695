"""The Outlook calendar client end to end against the Graph emulator (live server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.base import ConnectorError, CursorExpired, EventDraft
from connectors.outlook import client as outlook
from connectors.outlook.client import build
from emulators.graph import control

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime(2027, 3, 24, tzinfo=UTC)  # a Wednesday; Berlin springs forward on 28 March


def draft(booking_id: str = "bk-1", hour: int = 9, **extra) -> EventDraft:
    start = DAY.replace(hour=hour)
    return EventDraft(
        booking_id=booking_id,
        summary="Cleaning",
        start=start,
        end=start + timedelta(hours=1),
        time_zone="Europe/Berlin",
        attendees=("ada@example.com",),
        source_tag="AI_Chatbot",
        **extra,
    )


def timed(subject: str, start: str, end: str, zone: str = "UTC", **extra) -> dict:
    return {
        "subject": subject,
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
        **extra,
    }


def busy_of(graph, start: datetime, end: datetime):
    return build(graph.connection).busy([graph.calendar], start, end)[graph.calendar]


def test_it_lists_the_mailboxs_calendars(graph):
    shared = control.add_calendar(graph.account, "Team", can_edit=False)
    calendars = build(graph.connection).list_calendars()
    assert [(c.id, c.primary, c.can_write) for c in calendars] == [
        (graph.calendar, True, True),
        (shared, False, False),
    ]


def test_it_never_makes_a_second_event_when_a_create_is_retried(graph):
    cal = build(graph.connection)
    first = cal.create_event(graph.calendar, draft("bk-42"))
    again = cal.create_event(graph.calendar, draft("bk-42"))
    assert again.id == first.id and first.booking_id == "bk-42"
    stored = control.stored_events(graph.account)
    assert [(e["id"], e["transaction_id"]) for e in stored] == [(first.id, "bk-42")]
    assert cal.find_event(graph.calendar, "bk-42").id == first.id
    assert cal.find_event(graph.calendar, "bk-other") is None


def test_racing_retries_of_one_create_still_make_one_event(graph):
    """Four workers send the same create at once (a retry racing its original)."""
    from concurrent.futures import ThreadPoolExecutor

    from django import db

    from tests.conftest import close_kept_alive_sessions

    def create() -> str:
        try:
            return build(graph.connection).create_event(graph.calendar, draft("bk-race")).id
        finally:
            close_kept_alive_sessions()
            db.connection.close()

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: create(), range(4)))
    assert len(set(made)) == 1
    assert [e["id"] for e in control.stored_events(graph.account)] == made[:1]


def test_it_writes_the_event_in_the_bookings_zone(graph):
    made = build(graph.connection).create_event(graph.calendar, draft(hour=8))
    data = control.stored_events(graph.account)[0]["data"]
    assert data["start"] == {"dateTime": "2027-03-24T09:00:00", "timeZone": "Europe/Berlin"}
    assert made.start == DAY.replace(hour=8) and made.end == DAY.replace(hour=9)
    assert data["attendees"][0]["emailAddress"]["address"] == "ada@example.com"


def test_it_reports_busy_time_the_way_outlook_shows_it(graph):
    acct, cal = graph.account, graph.calendar
    busy_id = control.insert_event(acct, cal, timed("busy", "2027-03-24T08:00", "2027-03-24T09:00"))
    tentative = control.insert_event(
        acct, cal, timed("maybe", "2027-03-24T10:00", "2027-03-24T11:00", showAs="tentative")
    )
    control.insert_event(
        acct, cal, timed("free", "2027-03-24T12:00", "2027-03-24T13:00", showAs="free")
    )
    cancelled = control.insert_event(
        acct, cal, timed("gone", "2027-03-24T14:00", "2027-03-24T15:00")
    )
    control.edit_event(acct, cancelled, {"subject": "gone"})
    from emulators.graph.models import Event  # an organiser's cancellation: isCancelled

    row = Event.objects.get(ext_id=cancelled)
    row.data = {**row.data, "isCancelled": True}
    row.save()
    busy = busy_of(graph, DAY, DAY + timedelta(days=1))
    assert [(b.event_id, b.status, b.start.hour) for b in busy] == [
        (busy_id, "busy", 8),
        (tentative, "tentative", 10),
    ]


def test_it_gives_all_day_events_as_dates(graph):
    control.insert_event(
        graph.account,
        graph.calendar,
        {
            "subject": "Holiday",
            "isAllDay": True,
            "start": {"dateTime": "2027-03-25T00:00:00", "timeZone": "W. Europe Standard Time"},
            "end": {"dateTime": "2027-03-26T00:00:00", "timeZone": "W. Europe Standard Time"},
        },
    )
    [holiday] = busy_of(graph, DAY, DAY + timedelta(days=3))
    assert (holiday.start, holiday.end) == (date(2027, 3, 25), date(2027, 3, 26))


def test_it_expands_a_series_with_its_exception_and_cancelled_occurrence(graph):
    """A weekly 09:00 Berlin meeting over the spring-forward: 08:00 UTC, then 07:00 UTC; one
    occurrence moved to 15:00, one cancelled."""
    series = control.insert_event(
        graph.account,
        graph.calendar,
        {
            **timed("Standup", "2027-03-17T09:00:00", "2027-03-17T09:30:00", "Europe/Berlin"),
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["wednesday"]},
                "range": {"type": "numbered", "startDate": "2027-03-17", "numberOfOccurrences": 5},
            },
        },
    )
    window = (datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 30, tzinfo=UTC))
    before = busy_of(graph, *window)
    assert [b.start for b in before] == [
        datetime(2027, 3, 17, 8, tzinfo=UTC),
        datetime(2027, 3, 24, 8, tzinfo=UTC),
        datetime(2027, 3, 31, 7, tzinfo=UTC),
        datetime(2027, 4, 7, 7, tzinfo=UTC),
        datetime(2027, 4, 14, 7, tzinfo=UTC),
    ]
    control.edit_event(
        graph.account,
        before[1].event_id,
        {
            "start": {"dateTime": "2027-03-24T15:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2027-03-24T15:30:00", "timeZone": "Europe/Berlin"},
        },
    )
    control.remove_event(graph.account, before[3].event_id)
    after = busy_of(graph, *window)
    assert [b.start for b in after] == [
        datetime(2027, 3, 17, 8, tzinfo=UTC),
        datetime(2027, 3, 24, 14, tzinfo=UTC),
        datetime(2027, 3, 31, 7, tzinfo=UTC),
        datetime(2027, 4, 14, 7, tzinfo=UTC),
    ]
    assert all(b.event_id.startswith(series) for b in after)


def test_it_reads_every_page_of_a_busy_window(graph, monkeypatch):
    monkeypatch.setattr(outlook, "VIEW_PAGE", 2)
    for hour in range(5):
        control.insert_event(
            graph.account,
            graph.calendar,
            timed(f"e{hour}", f"2027-03-24T0{hour}:00", f"2027-03-24T0{hour}:30"),
        )
    assert len(busy_of(graph, DAY, DAY + timedelta(days=1))) == 5


def test_it_refuses_an_update_over_a_stale_etag(graph):
    cal = build(graph.connection)
    made = cal.create_event(graph.calendar, draft())
    moved = cal.update_event(graph.calendar, made.id, draft(hour=11), etag=made.etag)
    assert moved.start == DAY.replace(hour=11) and moved.etag != made.etag
    with pytest.raises(ConnectorError) as refused:
        cal.update_event(graph.calendar, made.id, draft(hour=12), etag=made.etag)
    assert refused.value.status == 412 and refused.value.permanent
    assert refused.value.code == "ErrorIrresolvableConflict"
    assert cal.update_event(graph.calendar, made.id, draft(hour=12)).start.hour == 12


def test_it_cancels_an_event_once_and_shrugs_the_second_time(graph):
    cal = build(graph.connection)
    made = cal.create_event(graph.calendar, draft())
    cal.cancel_event(graph.calendar, made.id)
    cal.cancel_event(graph.calendar, made.id)
    assert control.stored_events(graph.account) == []
    assert busy_of(graph, DAY, DAY + timedelta(days=1)) == []


def test_it_follows_changes_with_the_delta_link(graph, monkeypatch):
    monkeypatch.setattr(outlook, "DELTA_PAGE", 2)
    cal = build(graph.connection)
    soon = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(days=2)
    stamp = soon.strftime("%Y-%m-%dT%H:%M:%S")
    later = (soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    ids = [
        control.insert_event(graph.account, graph.calendar, timed(f"e{i}", stamp, later))
        for i in range(3)
    ]
    first = cal.changes(graph.calendar)
    assert sorted(e.id for e in first.events) == sorted(ids)
    assert cal.changes(graph.calendar, first.cursor).events == ()
    booked = cal.create_event(
        graph.calendar,
        EventDraft(
            booking_id="bk-7",
            summary="x",
            start=soon,
            end=soon + timedelta(hours=1),
            time_zone="UTC",
        ),
    )
    control.remove_event(graph.account, ids[0])
    second = cal.changes(graph.calendar, first.cursor)
    got = {e.id: e for e in second.events}
    assert set(got) == {booked.id, ids[0]}
    assert got[booked.id].booking_id == "bk-7" and got[booked.id].status == "confirmed"
    assert got[ids[0]].status == "cancelled"


def test_it_says_when_the_delta_link_has_expired(graph):
    cal = build(graph.connection)
    page = cal.changes(graph.calendar)
    control.expire_delta_tokens(graph.account)
    with pytest.raises(CursorExpired) as expired:
        cal.changes(graph.calendar, page.cursor)
    assert expired.value.status == 410 and expired.value.code == "syncStateNotFound"
    assert cal.changes(graph.calendar).cursor  # a full read starts over


def test_it_reports_graphs_throttling_with_its_wait(graph):
    control.configure(graph.account, limit=2, window_s=600)
    cal = build(graph.connection)
    cal.list_calendars()
    cal.list_calendars()
    with pytest.raises(ConnectorError) as throttled:
        cal.list_calendars()
    assert throttled.value.code == "rate_limited" and 590 <= throttled.value.retry_after <= 600


def test_it_keeps_one_clients_mailbox_invisible_to_another(graph, world):
    build(graph.connection).create_event(graph.calendar, draft())
    other = control.default_calendar("mailbox-bravo")
    from connectors.models import Connection
    from emulators.auth import issue_token_for_tests

    conn_b = Connection.objects.create(
        client=world.client_b,
        provider="outlook",
        kind="calendar",
        access_token=issue_token_for_tests("outlook", "mailbox-bravo"),
    )
    with pytest.raises(ConnectorError) as refused:
        build(conn_b).busy([graph.calendar], DAY, DAY + timedelta(days=1))
    assert refused.value.status == 404
    assert build(conn_b).busy([other], DAY, DAY + timedelta(days=1)) == {other: []}


def test_it_refreshes_the_rotating_token_once_on_a_401(graph):
    from tests.connectors.crm_fixtures import add_refresh_token

    graph.connection.refresh_token = add_refresh_token("outlook", graph.connection.access_token)
    graph.connection.save()
    old_access, old_refresh = graph.connection.access_token, graph.connection.refresh_token
    control.inject_fault(graph.account, "unauthorized", path="calendars")
    assert [c.id for c in build(graph.connection).list_calendars()] == [graph.calendar]
    graph.connection.refresh_from_db()
    assert graph.connection.access_token != old_access
    assert graph.connection.refresh_token != old_refresh  # Microsoft's refresh tokens rotate


def test_it_sees_a_moved_and_a_cancelled_occurrence_in_the_delta(graph):
    cal = build(graph.connection)
    soon = (datetime.now(tz=UTC) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    control.insert_event(
        graph.account,
        graph.calendar,
        {
            **timed(
                "Daily",
                soon.strftime("%Y-%m-%dT%H:%M:%S"),
                soon.replace(hour=10).strftime("%Y-%m-%dT%H:%M:%S"),
            ),
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": soon.date().isoformat(),
                    "numberOfOccurrences": 3,
                },
            },
        },
    )
    first = cal.changes(graph.calendar)
    occurrences = sorted(first.events, key=lambda e: e.start)
    assert len(occurrences) == 3 and {e.recurring_event_id for e in occurrences} != {""}
    moved, dropped = occurrences[0], occurrences[1]
    control.edit_event(
        graph.account,
        moved.id,
        {
            "subject": "Daily, later",
            "start": {
                "dateTime": soon.replace(hour=11).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
            "end": {
                "dateTime": soon.replace(hour=12).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            },
        },
    )
    control.remove_event(graph.account, dropped.id)
    page = cal.changes(graph.calendar, first.cursor)
    got = {e.id: e for e in page.events}
    # A live instance of the series in the round: the series is read again in full (its
    # master may have moved), so the untouched third occurrence comes too.
    assert page.series == (moved.recurring_event_id,)
    assert set(got) == {moved.id, dropped.id, occurrences[2].id}
    assert got[moved.id].start == soon.replace(hour=11) and got[moved.id].summary == "Daily, later"
    assert got[dropped.id].status == "cancelled"
    busy = busy_of(graph, soon - timedelta(hours=1), soon + timedelta(days=3))
    assert [b.start for b in busy] == [soon.replace(hour=11), soon + timedelta(days=2)]


def test_delta_reports_declines_and_an_owners_decline_blocks_nothing(graph):
    """An attendee's answer arrives on the organizer's event as ``attendees[].status``; the
    mailbox owner's own as the event's ``responseStatus`` (learn.microsoft.com/graph/api/
    resources/event: responseStatus, attendee.status)."""
    cal = build(graph.connection)
    soon = datetime.now(tz=UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=2)
    first = cal.changes(graph.calendar)
    booked = cal.create_event(graph.calendar, EventDraft(
        booking_id="bk-8", summary="x", start=soon, end=soon + timedelta(minutes=30),
        time_zone="UTC", attendees=("ana@example.org",),
    ))  # fmt: skip
    control.edit_event(graph.account, booked.id, {"attendees": [{
        "emailAddress": {"address": "ana@example.org"}, "type": "required",
        "status": {"response": "declined", "time": "2026-12-05T09:00:00Z"},
    }]})  # fmt: skip
    later = (soon + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")
    end = (soon + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S")
    invited = control.insert_event(graph.account, graph.calendar, timed("Invite", later, end))
    control.respond(graph.account, invited, "declined")

    got = {e.id: e for e in cal.changes(graph.calendar, first.cursor).events}
    assert got[booked.id].declined_by == ("ana@example.org",)
    assert not got[booked.id].owner_declined and not got[booked.id].transparent
    assert got[invited].owner_declined and got[invited].transparent
    busy = busy_of(graph, soon, soon + timedelta(hours=5))
    assert [b.event_id for b in busy] == [booked.id]
