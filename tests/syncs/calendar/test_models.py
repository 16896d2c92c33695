"""The scheduling rows: the database refuses windows that make no sense, and the selectors turn
one client's rows (never another's) into the availability inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connectors.base import BusyInterval
from connectors.models import Connection
from syncs.calendar import selectors
from syncs.calendar.availability import Hours, Query, free_slots
from syncs.calendar.models import BusinessHours, CalendarRole, DateOverride, Service

MONDAY = date(2026, 12, 7)


@pytest.fixture
def calendar_a(world) -> Connection:
    return Connection.objects.create(client=world.client_a, provider="google", kind="calendar")


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_inverted_hours_but_allows_a_midnight_end(world):
    c = world.client_a
    assert refused(
        lambda: BusinessHours.objects.create(client=c, weekday=0, start=time(17), end=time(9))
    )
    assert refused(
        lambda: BusinessHours.objects.create(client=c, weekday=7, start=time(9), end=time(17))
    )
    BusinessHours.objects.create(client=c, weekday=0, start=time(20), end=time(0))


def test_an_override_is_closed_or_has_hours_never_both(world):
    c = world.client_a
    assert refused(
        lambda: DateOverride.objects.create(
            client=c, date=MONDAY, closed=True, start=time(9), end=time(12)
        )
    )
    assert refused(lambda: DateOverride.objects.create(client=c, date=MONDAY, closed=False))
    with pytest.raises(ValidationError):
        DateOverride(client=c, date=MONDAY, closed=False, start=time(9)).clean()
    DateOverride.objects.create(client=c, date=MONDAY, closed=True, note="Holiday")


def test_a_calendar_has_one_role_per_connection_and_a_service_name_is_used_once(world, calendar_a):
    c = world.client_a
    CalendarRole.objects.create(client=c, connection=calendar_a, calendar_id="primary")
    assert refused(
        lambda: CalendarRole.objects.create(client=c, connection=calendar_a, calendar_id="primary")
    )
    Service.objects.create(client=c, name="Check-up", duration_minutes=30)
    assert refused(lambda: Service.objects.create(client=c, name="Check-up", duration_minutes=45))
    Service.objects.create(client=world.client_b, name="Check-up", duration_minutes=30)


def test_the_schedule_is_the_clients_own_in_its_zone(world):
    a, b = world.client_a, world.client_b
    BusinessHours.objects.create(client=a, weekday=0, start=time(9), end=time(12))
    BusinessHours.objects.create(client=b, weekday=0, start=time(6), end=time(7))
    DateOverride.objects.create(client=a, date=MONDAY, closed=True)
    DateOverride.objects.create(client=b, date=MONDAY + timedelta(days=1), closed=True)
    DateOverride.objects.create(
        client=a, date=MONDAY + timedelta(days=7), start=time(10), end=time(11)
    )
    schedule = selectors.schedule(a, MONDAY, MONDAY + timedelta(days=7))
    assert schedule.time_zone == a.time_zone
    assert schedule.weekly == {0: [Hours(time(9), time(12))]}
    assert schedule.overrides == {
        MONDAY: [],
        MONDAY + timedelta(days=7): [Hours(time(10), time(11))],
    }
    assert (
        selectors.schedule(a, MONDAY + timedelta(days=1), MONDAY + timedelta(days=6)).overrides
        == {}
    )


def test_service_rules_carry_every_field(world):
    service = Service.objects.create(
        client=world.client_a,
        name="Cleaning",
        duration_minutes=45,
        buffer_before_minutes=5,
        buffer_after_minutes=10,
        minimum_notice_minutes=120,
        horizon_days=14,
        slot_interval_minutes=20,
        max_bookings_per_day=6,
    )
    rules = selectors.service_rules(service)
    assert (rules.duration, rules.buffer_before, rules.buffer_after) == (
        timedelta(minutes=45),
        timedelta(minutes=5),
        timedelta(minutes=10),
    )
    assert (rules.minimum_notice, rules.horizon_days) == (timedelta(hours=2), 14)
    assert (rules.slot_interval_minutes, rules.max_per_day) == (20, 6)


def test_only_blocking_calendars_of_the_client_are_read_and_an_unread_one_is_stale(
    world, calendar_a
):
    c = world.client_a
    read = datetime(2026, 12, 7, 7, 58, tzinfo=UTC)
    work = CalendarRole.objects.create(
        client=c, connection=calendar_a, calendar_id="work", last_read_at=read, tentative="free"
    )
    CalendarRole.objects.create(client=c, connection=calendar_a, calendar_id="home", role="writes")
    CalendarRole.objects.create(client=c, connection=calendar_a, calendar_id="x", role="ignored")
    other = Connection.objects.create(client=world.client_b, provider="google", kind="calendar")
    CalendarRole.objects.create(client=world.client_b, connection=other, calendar_id="b")
    roles = selectors.reading_roles(c)
    assert sorted(r.calendar_id for r in roles) == ["home", "work"]
    busy = {(calendar_a.id, "work"): [BusyInterval(read, read + timedelta(hours=1), "tentative")]}
    calendars = selectors.calendar_busy(roles, busy)
    by_id = {cal.calendar_id: cal for cal in calendars}
    assert by_id["work"].read_at == work.last_read_at and not by_id["work"].tentative_blocks
    assert by_id["home"].read_at is None and by_id["home"].intervals == ()


def test_the_rows_answer_an_availability_question(world, calendar_a):
    c = world.client_a  # UTC
    for weekday in range(7):
        BusinessHours.objects.create(client=c, weekday=weekday, start=time(9), end=time(11))
    service = Service.objects.create(
        client=c, name="Call", duration_minutes=30, slot_interval_minutes=30
    )
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    CalendarRole.objects.create(
        client=c, connection=calendar_a, calendar_id="work", last_read_at=now
    )
    busy = {
        (calendar_a.id, "work"): [
            BusyInterval(
                datetime(2026, 12, 7, 9, tzinfo=UTC), datetime(2026, 12, 7, 10, tzinfo=UTC)
            )
        ]
    }
    answer = free_slots(
        selectors.service_rules(service),
        selectors.schedule(c, MONDAY, MONDAY),
        selectors.calendar_busy(selectors.reading_roles(c), busy),
        Query(datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC), now),
    )
    assert [s.start.hour * 60 + s.start.minute for s in answer.slots] == [600, 630]
    assert answer.stale_calendars == ()


def test_the_stored_choices_are_the_values_availability_reads():
    """The models name the roles and stale policies without importing the domain code (so the
    models index never depends on it); the values must still be the ones it compares with."""
    from syncs.calendar import availability
    from syncs.calendar.models import CalendarRole, StalePolicy

    assert {c.value for c in CalendarRole.Role} == {
        availability.BLOCKS,
        availability.WRITES,
        availability.IGNORED,
    }
    assert {c.value for c in StalePolicy} == {availability.FLAG, availability.REFUSE}
