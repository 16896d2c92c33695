"""Calendar discovery against a real CalDAV server (Radicale): CalDAV names no primary
calendar, so an account's only writable calendar takes the bookings; with several, none is
guessed and staff choose."""

from __future__ import annotations

import pytest

from syncs.calendar.discovery import calendar_roles_discover
from syncs.calendar.models import CalendarRole
from tests.connectors.caldav.conftest import connection_to, server  # noqa: F401

pytestmark = pytest.mark.django_db
ROLE = CalendarRole.Role


def test_the_only_calendar_takes_bookings_and_a_second_one_blocks(world, server):  # noqa: F811
    first = server.new_calendar()
    connection = connection_to(server, world.client_a)
    calendar_roles_discover(connection, actor="system")
    assert [(r.calendar_id, r.role) for r in CalendarRole.objects.all()] == [(first, ROLE.WRITES)]

    second = server.new_calendar()
    calendar_roles_discover(connection, actor="system")
    roles = {r.calendar_id: r.role for r in CalendarRole.objects.filter(connection=connection)}
    assert roles == {first: ROLE.WRITES, second: ROLE.BLOCKS}

    other = connection_to(server, world.client_b)  # the same home, two calendars: no guess
    calendar_roles_discover(other, actor="system")
    assert set(CalendarRole.objects.filter(connection=other).values_list("role", flat=True)) == {
        ROLE.BLOCKS
    }
