"""The Graph emulator's recurrence expansion (dateutil's rrule under Graph's pattern names),
in the event's own wall time across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulators.graph import recurrence, zones

YEAR = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


def starts(pattern: dict, span: dict, start: str, zone: str, window=YEAR) -> list[datetime]:
    first, _ = zones.parse({"dateTime": start, "timeZone": zone})
    end = first.replace(hour=(first.hour + 1) % 24)
    rec = {"pattern": {"interval": 1, **pattern}, "range": span}
    recurrence.check(rec)
    return [s for s, _ in recurrence.occurrences(rec, first, max(end, first), zone, window)]


def test_it_finds_the_last_friday_of_each_month_until_the_end_date():
    got = starts(
        {"type": "relativeMonthly", "daysOfWeek": ["friday"], "index": "last"},
        {"type": "endDate", "startDate": "2027-01-01", "endDate": "2027-04-30"},
        "2027-01-01T10:00:00",
        "UTC",
    )
    assert [d.day for d in got] == [29, 26, 26, 30]


def test_it_keeps_wall_time_across_lord_howes_half_hour_dst():
    """Lord Howe moves by 30 minutes (UTC+11 in summer, +10:30 in winter; 4 April 2027)."""
    got = starts(
        {"type": "weekly", "daysOfWeek": ["sunday"]},
        {"type": "numbered", "startDate": "2027-03-28", "numberOfOccurrences": 2},
        "2027-03-28T09:00:00",
        "Australia/Lord_Howe",
    )
    assert [(d.hour, d.minute) for d in got] == [(22, 0), (22, 30)]


def test_it_gives_a_yearly_date_and_skips_a_missing_one():
    got = starts(
        {"type": "absoluteYearly", "month": 2, "dayOfMonth": 29},
        {"type": "noEnd", "startDate": "2027-01-01"},
        "2027-01-01T08:00:00",
        "UTC",
        (YEAR[0], datetime(2033, 1, 1, tzinfo=UTC)),
    )
    assert [d.year for d in got] == [2028, 2032]


@pytest.mark.parametrize(
    "bad",
    [
        {
            "pattern": {"type": "weekly", "interval": 1},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        {
            "pattern": {"type": "daily", "interval": 0},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        {
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "startDate": "2027-01-01"},
        },
        {
            "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": "5"},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
        {
            "pattern": {"type": "daily", "interval": 1, "every": 2},
            "range": {"type": "noEnd", "startDate": "2027-01-01"},
        },
    ],
)
def test_it_refuses_what_graph_refuses(bad):
    with pytest.raises(recurrence.RecurrenceError):
        recurrence.check(bad)
