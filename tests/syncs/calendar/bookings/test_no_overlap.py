"""The database itself refuses two live bookings of one calendar whose buffered ranges overlap
(exclusion constraint on PostgreSQL, triggers on SQLite: migration 0019), whoever writes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from connectors.models import Connection
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.models import CalendarRole, Service

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(world):
    connection = Connection.objects.create(
        client=world.client_a, provider="google", kind="calendar"
    )
    role = CalendarRole.objects.create(
        client=world.client_a, connection=connection, calendar_id="primary", role="writes"
    )
    other = CalendarRole.objects.create(
        client=world.client_a, connection=connection, calendar_id="second", role="writes"
    )
    service = Service.objects.create(client=world.client_a, name="Check-up", duration_minutes=30)
    return world.client_a, role, other, service


def book(setup, start, *, before=0, after=0, resource=None, status=BookingStatus.HELD):
    client, role, _, service = setup
    end = start + timedelta(minutes=30)
    key = uuid.uuid4()
    return Booking.objects.create(
        client=client,
        public_id=key,
        event_key=key,
        service=service,
        resource=resource or role,
        start=start,
        end=end,
        buffer_start=start - timedelta(minutes=before),
        buffer_end=end + timedelta(minutes=after),
        status=status,
        time_zone="Europe/Berlin",
    )


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError as exc:
        assert "booking_no_overlap" in str(exc)
        return True
    return False


def test_an_overlapping_live_booking_is_refused_a_touching_one_is_not(setup):
    book(setup, T0)
    assert refused(lambda: book(setup, T0 + timedelta(minutes=15)))
    assert refused(lambda: book(setup, T0, status=BookingStatus.CONFIRMED))
    assert not refused(lambda: book(setup, T0 + timedelta(minutes=30)))  # [) ranges touch
    assert not refused(lambda: book(setup, T0 - timedelta(minutes=30)))
    assert Booking.objects.count() == 3


def test_buffers_count_customer_time_alone_does_not(setup):
    book(setup, T0, after=15)
    assert refused(lambda: book(setup, T0 + timedelta(minutes=40)))
    assert refused(lambda: book(setup, T0 + timedelta(minutes=50), before=15))
    assert not refused(lambda: book(setup, T0 + timedelta(minutes=45)))


def test_another_calendar_and_dead_bookings_do_not_block(setup):
    _, _, other, _ = setup
    first = book(setup, T0)
    assert not refused(lambda: book(setup, T0, resource=other))
    dead = (
        BookingStatus.CANCELLED,
        BookingStatus.EXPIRED,
        BookingStatus.CONFLICT,
        BookingStatus.FAILED,
    )
    for status in dead:
        Booking.objects.filter(pk=first.pk).update(status=status)
        taken = book(setup, T0)  # the first booking holds nothing any more
        Booking.objects.filter(pk=taken.pk).update(status=BookingStatus.CANCELLED)
    # A dead booking brought back to life over a live one is refused too (UPDATE is checked).
    book(setup, T0)
    assert refused(lambda: Booking.objects.filter(pk=first.pk).update(status=BookingStatus.HELD))


def test_a_booking_moves_freely_but_never_onto_another(setup):
    first = book(setup, T0)
    later = book(setup, T0 + timedelta(hours=2))
    onto = T0 + timedelta(minutes=10)
    assert refused(
        lambda: Booking.objects.filter(pk=later.pk).update(
            start=onto,
            end=onto + timedelta(minutes=30),
            buffer_start=onto,
            buffer_end=onto + timedelta(minutes=30),
        )
    )
    # Moving by less than its own length overlaps only itself: allowed.
    moved = T0 + timedelta(minutes=10)
    Booking.objects.filter(pk=first.pk).update(
        start=moved, end=moved + timedelta(minutes=30), buffer_start=moved,
        buffer_end=moved + timedelta(minutes=30),
    )  # fmt: skip
    assert Booking.objects.get(pk=first.pk).start == moved


def test_the_database_holds_the_rule_itself():
    """PostgreSQL: an exclusion constraint; SQLite: the two triggers (migration 0019)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT contype FROM pg_constraint WHERE conname = %s", ["booking_no_overlap"]
            )
            assert cursor.fetchall() == [("x",)]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "ORDER BY name",
                ["syncs_booking"],
            )
            assert cursor.fetchall() == [
                ("booking_no_overlap_insert",),
                ("booking_no_overlap_update",),
            ]
