"""VEVENTs as CalDAV serves them become busy intervals: recurring series expanded with their
exceptions by recurring-ical-events, zones from IANA TZIDs or the calendar's own VTIMEZONE,
free and cancelled events dropped, RFC 5545's rule for instances in a DST gap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from syncs.calendar.expand import busy_from_ical

WEEK = (datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))

# Berlin's rules written out as a VTIMEZONE under a name that is not an IANA zone, as Outlook
# and older servers send them.
CUSTOM_BERLIN = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def calendar(*bodies: str, vtimezone: str = "") -> str:
    events = "".join(
        f"BEGIN:VEVENT\nDTSTAMP:20261201T000000Z\n{b.strip()}\nEND:VEVENT\n" for b in bodies
    )
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\n{vtimezone}{events}END:VCALENDAR\n"
    return text.replace("\n", "\r\n")


def expand(*texts: str, zone: str = "Europe/Berlin"):
    return busy_from_ical(list(texts), *WEEK, owner_zone=zone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SERIES = """
UID:standup
DTSTART;TZID=Europe/Berlin:20260327T093000
DTEND;TZID=Europe/Berlin:20260327T100000
RRULE:FREQ=DAILY;COUNT=5
EXDATE;TZID=Europe/Berlin:20260328T093000
"""
MOVED = """
UID:standup
RECURRENCE-ID;TZID=Europe/Berlin:20260330T093000
DTSTART;TZID=Europe/Berlin:20260330T150000
DTEND;TZID=Europe/Berlin:20260330T153000
"""


def test_it_expands_a_series_with_an_excluded_and_a_moved_instance():
    busy = expand(calendar(SERIES, MOVED))
    assert [(b.start, b.end) for b in busy] == [
        (utc(2026, 3, 27, 8, 30), utc(2026, 3, 27, 9)),  # 09:30 CET
        (utc(2026, 3, 29, 7, 30), utc(2026, 3, 29, 8)),  # 09:30 CEST: the wall time is kept
        (utc(2026, 3, 30, 13), utc(2026, 3, 30, 13, 30)),  # moved to 15:00
        (utc(2026, 3, 31, 7, 30), utc(2026, 3, 31, 8)),
    ]
    assert busy[2].event_id == "standup/2026-03-30T07:30:00+00:00"


def test_a_custom_vtimezone_gives_the_same_instants_as_the_iana_zone():
    custom = SERIES.replace("Europe/Berlin", "W. Europe Standard Time")
    by_vtimezone = expand(calendar(custom, vtimezone=CUSTOM_BERLIN))
    by_iana = expand(calendar(SERIES))
    assert [(b.start, b.end) for b in by_vtimezone] == [(b.start, b.end) for b in by_iana]


@pytest.mark.parametrize("vtimezone", [False, True])
def test_an_instance_in_the_spring_forward_gap_moves_forward_and_keeps_its_length(vtimezone):
    """02:30 does not exist in Berlin on 29 March 2026: RFC 5545 §3.3.5 reads it with the
    offset from before the gap (01:30 UTC, shown as 03:30 CEST); the hour-long meeting stays
    an hour long."""
    body = """
UID:night
DTSTART;TZID=Europe/Berlin:20260328T023000
DTEND;TZID=Europe/Berlin:20260328T033000
RRULE:FREQ=DAILY;COUNT=2
"""
    text = calendar(body)
    if vtimezone:
        text = calendar(
            body.replace("Europe/Berlin", "W. Europe Standard Time"), vtimezone=CUSTOM_BERLIN
        )
    busy = expand(text)
    assert [(b.start, b.end) for b in busy] == [
        (utc(2026, 3, 28, 1, 30), utc(2026, 3, 28, 2, 30)),
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 30)),
    ]


def test_a_repeated_fall_back_time_is_its_first_occurrence():
    body = """
UID:late
DTSTART;TZID=Europe/Berlin:20261025T023000
DTEND;TZID=Europe/Berlin:20261025T024500
"""
    (busy,) = busy_from_ical(
        [calendar(body)], utc(2026, 10, 24), utc(2026, 10, 26), owner_zone="UTC"
    )
    assert (busy.start, busy.end) == (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 45))


def test_free_and_cancelled_events_make_no_busy_time_and_tentative_ones_are_marked():
    busy = expand(
        calendar(
            "UID:free\nTRANSP:TRANSPARENT\nDTSTART:20260327T100000Z\nDTEND:20260327T110000Z",
            "UID:gone\nSTATUS:CANCELLED\nDTSTART:20260327T100000Z\nDTEND:20260327T110000Z",
            "UID:maybe\nSTATUS:TENTATIVE\nDTSTART:20260327T120000Z\nDTEND:20260327T130000Z",
        )
    )
    assert [(b.event_id, b.status) for b in busy] == [("maybe", "tentative")]


def test_all_day_events_stay_dates_and_floating_times_are_the_owners():
    busy = expand(
        calendar(
            "UID:holiday\nDTSTART;VALUE=DATE:20260327",
            "UID:floating\nDTSTART:20260328T090000\nDTEND:20260328T100000",
        ),
        zone="America/New_York",
    )
    assert (busy[0].start, busy[0].end) == (date(2026, 3, 27), date(2026, 3, 28))
    assert (busy[1].start, busy[1].end) == (utc(2026, 3, 28, 13), utc(2026, 3, 28, 14))


def test_a_recurring_all_day_event_with_an_exception_stays_whole_days():
    busy = expand(
        calendar(
            "UID:shut\nDTSTART;VALUE=DATE:20260326\nRRULE:FREQ=DAILY;COUNT=3\n"
            "EXDATE;VALUE=DATE:20260327"
        )
    )
    assert [(b.start, b.end) for b in busy] == [
        (date(2026, 3, 26), date(2026, 3, 27)),
        (date(2026, 3, 28), date(2026, 3, 29)),
    ]


def test_an_event_without_an_end_blocks_no_time():
    assert expand(calendar("UID:reminder\nDTSTART:20260327T100000Z")) == []


def test_it_refuses_what_is_not_icalendar():
    with pytest.raises(ValueError):
        expand("this is not a calendar")
    with pytest.raises(ValueError):
        expand(calendar(SERIES), zone="Nowhere/Else")


def test_a_long_series_only_yields_instances_in_the_range():
    body = "UID:weekly\nDTSTART:20200101T090000Z\nDTEND:20200101T093000Z\nRRULE:FREQ=WEEKLY"
    busy = expand(calendar(body))
    assert len(busy) == 1 and busy[0].start == utc(2026, 4, 1, 9)
    assert busy[0].end - busy[0].start == timedelta(minutes=30)


def test_an_iana_tzid_is_read_by_zoneinfo_not_by_a_wrong_vtimezone_of_that_name():
    """Servers rewrite VTIMEZONEs (VENDORS.md, 2026-12-04: Radicale 3.9.0 put a fall-back an
    hour late). Here Berlin's fall-back is moved to November; 26 October is still CET."""
    wrong = CUSTOM_BERLIN.replace("W. Europe Standard Time", "Europe/Berlin").replace(
        "DTSTART:16011028T030000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "DTSTART:16011104T030000\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
    )
    assert "BYMONTH=11" in wrong
    body = (
        "UID:after\nDTSTART;TZID=Europe/Berlin:20261026T100000\n"
        "DTEND;TZID=Europe/Berlin:20261026T110000"
    )
    (busy,) = busy_from_ical(
        [calendar(body, vtimezone=wrong)], utc(2026, 10, 20), utc(2026, 10, 30), owner_zone="UTC"
    )
    assert busy.start == utc(2026, 10, 26, 9)
