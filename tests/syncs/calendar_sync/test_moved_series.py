"""A recurring series moved, or its rule changed, in the calendar: the incremental read (not
the daily full one) replaces every instance the mirror held of it. Before, the old instances
stayed busy until the next full read. The oracle is a live read of the emulated calendar;
an instance moved on its own (an exception) stays where it was moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.registry import client_for
from emulators.google_calendar import control
from syncs.calendar import mirror
from syncs.calendar.sync import calendar_sync_run
from syncs.calendar.sync_state.models import MirroredEvent
from tests.syncs.calendar_sync.test_mirror_matches_vendor import same

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_moved_google_series_replaces_its_instances_incrementally(google):
    control.primary(google.account, time_zone="Europe/Berlin")
    day = datetime.now(BERLIN).date() + timedelta(days=2)

    def at(days: int, clock: str) -> dict:
        return {"dateTime": f"{day + timedelta(days=days)}T{clock}", "timeZone": "Europe/Berlin"}

    series = control.put_event(google.account, "primary", {
        "id": "standup01", "start": at(0, "16:00:00"), "end": at(0, "16:30:00"),
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=4"],
    })  # fmt: skip
    live = client_for(google.connection)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=20))

    def agree() -> list:
        from_vendor = live.busy(["primary"], *window)["primary"]
        assert same(mirror.busy(google.reload(), *window)) == same(from_vendor)
        return from_vendor

    calendar_sync_run(google.sync.pk)
    assert len(agree()) == 4
    first_full = google.reload().full_synced_at
    # One instance moved on its own (an exception), read incrementally: the rest stay.
    third = (day + timedelta(days=2)).strftime("%Y%m%d")
    control.put_event(google.account, "primary", {
        "id": f"standup01_{third}T150000Z", "recurringEventId": "standup01",
        "originalStartTime": at(2, "16:00:00"), "start": at(2, "18:00:00"),
        "end": at(2, "18:30:00"),
    })  # fmt: skip
    calendar_sync_run(google.sync.pk)
    assert len(agree()) == 4
    # The series moved an hour later and cut to three days: its instances get new ids.
    control.put_event(google.account, "primary", {
        **series, "start": at(0, "17:00:00"), "end": at(0, "17:30:00"),
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
    })  # fmt: skip
    calendar_sync_run(google.sync.pk)
    assert google.reload().full_synced_at == first_full  # incrementally, not in full
    busy = agree()
    assert [b.start.astimezone(BERLIN).hour for b in busy if b.start.date() == day] == [17]
    assert MirroredEvent.objects.filter(sync=google.sync, recurring_event_id="standup01").count()


def test_a_moved_graph_series_replaces_its_occurrences_incrementally(graph):
    from emulators.graph import control as outlook

    day = (datetime.now(UTC) + timedelta(days=2)).date()
    calendar = graph.role.calendar_id

    def when(days: int, clock: str) -> dict:
        return {"dateTime": f"{day + timedelta(days=days)}T{clock}", "timeZone": "UTC"}

    def rule(count: int, start=day) -> dict:
        return {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": str(start), "numberOfOccurrences": count},
        }

    master = outlook.insert_event(graph.account, calendar, {
        "subject": "stand-up", "start": when(0, "16:00:00"), "end": when(0, "16:30:00"),
        "recurrence": rule(4),
    })  # fmt: skip
    live = client_for(graph.connection)
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=20))

    def agree() -> list:
        from_vendor = live.busy([calendar], *window)[calendar]
        assert same(mirror.busy(graph.reload(), *window)) == same(from_vendor)
        return from_vendor

    calendar_sync_run(graph.sync.pk)
    occurrences = agree()
    assert len(occurrences) == 4
    first_full = graph.reload().full_synced_at
    # One occurrence moved on its own (an exception), read incrementally: the rest stay.
    outlook.edit_event(
        graph.account, occurrences[3].event_id,
        {"start": when(3, "18:00:00"), "end": when(3, "18:30:00")},
    )  # fmt: skip
    calendar_sync_run(graph.sync.pk)
    assert len(agree()) == 4
    # The series moved to start a day later, an hour later, for two days.
    outlook.edit_event(graph.account, master, {
        "start": when(1, "17:00:00"), "end": when(1, "17:30:00"),
        "recurrence": rule(2, day + timedelta(days=1)),
    })  # fmt: skip
    calendar_sync_run(graph.sync.pk)
    assert graph.reload().full_synced_at == first_full  # incrementally, not in full
    busy = agree()
    assert not [b for b in busy if b.start.date() == day]  # the first day is free again


def test_only_what_differs_in_a_series_read_again_is_reported_as_changed(google):
    """The page carries a whole series when one instance of it was reported; the instances
    that did not change are written again but not announced as changes (receivers would
    otherwise re-examine every instance of every touched series), and an instance the series
    no longer has is announced as cancelled."""
    from connectors.base import CalendarEvent

    sync = google.reload()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    span = (start - timedelta(days=1), start + timedelta(days=30))

    def instance(n: int, hours: int = 0) -> CalendarEvent:
        begin = start + timedelta(days=n, hours=hours)
        end = begin + timedelta(minutes=30)
        return CalendarEvent("primary", f"s1_{n}", begin, end, recurring_event_id="s1")

    mirror.apply_full(sync, [instance(0), instance(1), instance(2)], span)
    changed = mirror.apply_changes(sync, [instance(0), instance(1, hours=2)], span, series=["s1"])
    assert [(e.id, e.status) for e in changed] == [("s1_1", "confirmed"), ("s1_2", "cancelled")]
    assert sorted(MirroredEvent.objects.filter(sync=sync).values_list("event_id", flat=True)) == [
        "s1_0", "s1_1",
    ]  # fmt: skip
