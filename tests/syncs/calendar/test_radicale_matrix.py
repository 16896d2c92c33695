"""The DST matrix again, with the recurring series stored in a real CalDAV server (Radicale)
and read back as a CalDAV client reads busy time: a calendar-query REPORT with a time-range,
whose calendar-data (with the VTIMEZONE the server wrote in) is expanded. What the server
serves back must give the same free slots as the oracle."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings

from syncs.calendar.expand import busy_from_ical

from .matrix import cases, oracle_slots, run

EMPTY = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//none//EN\r\nEND:VCALENDAR\r\n"


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cases())
def test_what_radicale_serves_back_gives_the_oracles_slots(caldav, case):
    calendar = caldav.new_calendar()

    def through_radicale(ics: str, start: datetime, end: datetime) -> str:
        caldav.put(calendar, ics)
        served = caldav.query(calendar, stamp(start), stamp(end))
        assert len(served) <= 1
        return served[0] if served else EMPTY  # no instance of the series in the window

    offered = {(s.start, s.end) for s in run(case, serve=through_radicale).slots}
    expected = oracle_slots(case)
    assert not offered - expected, (
        f"offered inside busy or closed time: {sorted(offered - expected)}"
    )
    assert not expected - offered, f"free slots lost: {sorted(expected - offered)}"


def test_radicale_adds_a_vtimezone_and_the_instants_do_not_move(caldav):
    """Radicale writes a VTIMEZONE for an IANA TZID; the instants read back are the ones sent."""
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:w\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=America/New_York:20261030T013000\r\n"
        "DTEND;TZID=America/New_York:20261030T023000\r\nRRULE:FREQ=DAILY;COUNT=4\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    calendar = caldav.new_calendar()
    caldav.put(calendar, ics)
    (served,) = caldav.query(calendar, "20261029T000000Z", "20261104T000000Z")
    assert "BEGIN:VTIMEZONE" in served and "BEGIN:VTIMEZONE" not in ics
    window = (datetime(2026, 10, 29, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC))
    sent = busy_from_ical([ics], *window, owner_zone="UTC")
    back = busy_from_ical([served], *window, owner_zone="UTC")
    assert back == sent
    # 1 November 01:30 is New York's repeated hour: the first (EDT) occurrence, 05:30 UTC.
    assert back[2].start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
