"""The DST matrix again, with the recurring series stored in a real CalDAV server (Radicale)
and its busy time read back through our CalDAV client (``connectors.caldav.client``: a
calendar-query REPORT with a time-range, whose calendar-data, with the VTIMEZONE the server
wrote in, is expanded): the path availability takes. It must give the oracle's free slots."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings

from connectors.base import BusyInterval
from connectors.caldav.client import build
from connectors.models import Connection
from syncs.calendar.expand import busy_from_ical

from .conftest import PASSWORD, USER
from .matrix import cases, oracle_slots, run


@pytest.fixture
def calendar_client(caldav, world):
    """Our CalDAV client on a connection to the server, as the connect flow stores one."""
    home = f"{caldav.url}{USER}/"
    connection = Connection.objects.create(
        client=world.client_a,
        provider="caldav",
        kind="calendar",
        external_account_id=USER,
        access_token=PASSWORD,
        settings={"username": USER, "calendar_home_url": home, "api_base": home},
    )
    return build(connection)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cases())
def test_busy_time_read_from_radicale_by_our_client_gives_the_oracles_slots(
    caldav, calendar_client, case
):
    calendar = caldav.new_calendar()

    def through_radicale(ics: str, start: datetime, end: datetime) -> list[BusyInterval]:
        caldav.put(calendar, ics)
        return calendar_client.busy([calendar], start, end)[calendar]

    offered = {(s.start, s.end) for s in run(case, read_busy=through_radicale).slots}
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
