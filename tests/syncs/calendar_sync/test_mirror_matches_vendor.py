"""The mirror answers the busy time the vendor itself answers: after a full read and after
incremental changes (an instance cancelled, a single event moved, a series deleted), busy
time from the mirror equals a live read of the emulated calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.registry import client_for
from emulators.google_calendar import control
from syncs.calendar import mirror
from syncs.calendar.sync import calendar_sync_run

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def same(intervals):
    """Comparable intervals: instants in UTC (the mirror stores them so), dates as they are."""

    def utc(value):
        return value.astimezone(UTC) if isinstance(value, datetime) else value

    return sorted((str(utc(i.start)), str(utc(i.end)), i.status, i.event_id) for i in intervals)


def test_the_mirror_answers_what_google_answers_through_full_and_incremental_reads(google):
    control.primary(google.account, time_zone="Europe/Berlin")
    day = datetime.now(BERLIN).date() + timedelta(days=2)
    next_day = (day + timedelta(days=1)).strftime("%Y%m%d")

    def at(days: int, clock: str) -> str:
        return f"{day + timedelta(days=days)}T{clock}"

    def put(event_id: str, start: str, end: str, **fields):
        key = "date" if len(start) == 10 else "dateTime"
        zone = {} if key == "date" else {"timeZone": "Europe/Berlin"}
        return control.put_event(google.account, "primary", {
            "id": event_id, "start": {key: start, **zone}, "end": {key: end, **zone}, **fields,
        })  # fmt: skip

    put("busy00001", at(0, "08:00:00"), at(0, "09:00:00"))
    put("tent00001", at(0, "10:00:00"), at(0, "11:00:00"), status="tentative")
    put("free00001", at(0, "12:00:00"), at(0, "13:00:00"), transparency="transparent")
    put("gone00001", at(0, "14:00:00"), at(0, "15:00:00"), status="cancelled")
    put("allday001", str(day + timedelta(days=1)), str(day + timedelta(days=2)))
    series = put(
        "daily0001", at(0, "16:00:00"), at(0, "16:30:00"), recurrence=["RRULE:FREQ=DAILY;COUNT=4"]
    )
    weekly = put(
        "weekly001", at(0, "07:00:00"), at(0, "07:30:00"), recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]
    )
    live = client_for(google.connection)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=20))

    def agree() -> None:
        sync = google.reload()
        from_vendor = live.busy(["primary"], *window)["primary"]
        assert same(mirror.busy(sync, *window)) == same(from_vendor)

    calendar_sync_run(google.sync.pk)
    agree()
    # Changes made in Google after the first read, read incrementally.
    put(
        f"daily0001_{next_day}T150000Z",  # the second instance (16:00 Berlin is 15:00Z)
        at(1, "16:00:00"),
        at(1, "16:30:00"),
        recurringEventId=series["id"],
        status="cancelled",
        originalStartTime={"dateTime": at(1, "16:00:00"), "timeZone": "Europe/Berlin"},
    )
    put("busy00001", at(0, "09:00:00"), at(0, "10:00:00"))  # moved an hour later
    control.put_event(google.account, "primary", {**weekly, "status": "cancelled"})
    first_full = google.reload().full_synced_at
    calendar_sync_run(google.sync.pk)
    assert google.reload().full_synced_at == first_full  # read incrementally, not again in full
    agree()


def test_the_mirror_answers_what_graph_answers_through_full_and_incremental_reads(graph):
    from emulators.graph import control as outlook

    day = (datetime.now(UTC) + timedelta(days=2)).date()

    def when(days: int, clock: str) -> dict:
        return {"dateTime": f"{day + timedelta(days=days)}T{clock}", "timeZone": "UTC"}

    def add(subject: str, start: dict, end: dict, **fields) -> str:
        body = {"subject": subject, "start": start, "end": end, **fields}
        return outlook.insert_event(graph.account, graph.role.calendar_id, body)

    single = add("busy", when(0, "08:00:00"), when(0, "09:00:00"))
    add("tentative", when(0, "10:00:00"), when(0, "11:00:00"), showAs="tentative")
    add("free", when(0, "12:00:00"), when(0, "13:00:00"), showAs="free")
    add(
        "daily",
        when(0, "16:00:00"),
        when(0, "16:30:00"),
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": str(day), "numberOfOccurrences": 4},
        },
    )
    live = client_for(graph.connection)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=20))

    def agree() -> None:
        sync = graph.reload()
        from_vendor = live.busy([graph.role.calendar_id], *window)[graph.role.calendar_id]
        assert same(mirror.busy(sync, *window)) == same(from_vendor)

    calendar_sync_run(graph.sync.pk)
    agree()
    outlook.edit_event(
        graph.account, single, {"start": when(0, "09:00:00"), "end": when(0, "10:00:00")}
    )
    outlook.remove_event(graph.account, add("late", when(1, "08:00:00"), when(1, "09:00:00")))
    first_full = graph.reload().full_synced_at
    calendar_sync_run(graph.sync.pk)
    assert graph.reload().full_synced_at == first_full
    agree()


@pytest.mark.parametrize(
    ("zone", "clock"),
    [
        ("Australia/Brisbane", "09:00"),  # UTC+10: the slot's UTC date is the day before
        ("Australia/Lord_Howe", "09:00"),  # UTC+11 in December
        ("America/Los_Angeles", "18:00"),  # UTC-8: the slot's UTC date is the day after
        ("UTC", "12:00"),
    ],
)
def test_an_all_day_event_blocks_its_day_in_the_owners_zone_east_or_west_of_utc(
    google, zone, clock
):
    """The mirror's dates are the owner's, the query's instants are UTC: an all-day event
    must come back for a slot on its day whatever the zone's offset (it was missed east of
    UTC, so the slot was offered as free)."""
    from syncs.calendar.availability import CalendarBusy, busy_spans

    owner = ZoneInfo(zone)
    day = datetime.now(owner).date() + timedelta(days=3)
    control.primary(google.account, time_zone=zone)
    after = day + timedelta(days=1)
    control.put_event(google.account, "primary", {
        "id": "allday002", "start": {"date": str(day)}, "end": {"date": str(after)},
    })  # fmt: skip
    calendar_sync_run(google.sync.pk)
    slot_start = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=owner).astimezone(UTC)
    slot_end = slot_start + timedelta(minutes=30)
    assert slot_start.date() != day or zone == "UTC"

    found = mirror.busy(google.reload(), slot_start, slot_end)

    assert [(i.start, i.end, i.event_id) for i in found] == [
        (day, day + timedelta(days=1), "allday002")
    ]
    spans = busy_spans(
        [CalendarBusy("primary", found, read_at=slot_start, time_zone=zone)],
        "UTC",
        slot_start,
        slot_end,
    )
    assert any(s <= slot_start and slot_end <= e for s, e in spans)
    # The day before and the day after, in the owner's zone, stay free.
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        start = datetime.fromisoformat(f"{other}T{clock}").replace(tzinfo=owner)
        around = mirror.busy(google.reload(), start, start + timedelta(minutes=30))
        assert not any(
            s < start + timedelta(minutes=30) and start < e
            for s, e in busy_spans(
                [CalendarBusy("primary", around, read_at=start, time_zone=zone)],
                "UTC",
                start,
                start + timedelta(minutes=30),
            )
        )
