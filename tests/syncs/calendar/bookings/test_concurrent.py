"""Twenty callers book one slot at once, over real HTTP (the live server's threads, each with
its own database connection): exactly one booking is confirmed in our database and exactly one
event is in the (emulated) Google calendar; the nineteen others are refused with alternatives.

On PostgreSQL the exclusion constraint decides between concurrent inserts; on SQLite the
triggers under the single writer lock do (the same test runs on both)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.webhooks.models import WebhookMessage
from tests.conftest import close_kept_alive_sessions

from .conftest import api

pytestmark = pytest.mark.django_db(transaction=True)
CALLERS = 20


def test_twenty_concurrent_bookings_of_one_slot_make_exactly_one(
    live_server, clinic, world, run_jobs
):
    wanted = clinic.at(10)
    start = wanted.isoformat()
    barrier = __import__("threading").Barrier(CALLERS)

    def book(n: int):
        body = {
            "service": str(clinic.service.public_id),
            "start": start,
            "time_zone": "Europe/Berlin",
            "contact": {"name": f"Caller {n}", "email": f"caller{n}@example.com"},
        }
        barrier.wait()
        try:
            return api(live_server, world.key_a, "POST", "bookings?wait=0", json=body)
        finally:
            close_kept_alive_sessions()

    with ThreadPoolExecutor(CALLERS) as pool:
        responses = list(pool.map(book, range(CALLERS)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] + [409] * (CALLERS - 1), [r.text for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        answer = refused.json()
        assert answer["type"] == "/problems/slot-taken"
        nearest = answer["alternatives"]["after"][0]["start"]
        assert nearest == clinic.at(10, 30).isoformat()  # the slot right after, Berlin time
        assert answer["alternatives"]["before"][0]["start"] == clinic.at(9, 30).isoformat()
    assert run_jobs() == ["synced"]  # one job: the winner's
    [booking] = Booking.objects.all()
    assert booking.status == BookingStatus.CONFIRMED and booking.start == wanted
    assert len(clinic.live_events()) == len(clinic.events()) == 1
    assert clinic.live_events()[0]["id"] == booking.provider_event_id
    assert WebhookMessage.objects.filter(event_type="booking.created").count() == 1
    assert connection.vendor in ("postgresql", "sqlite")


def test_the_database_alone_decides_between_concurrent_holds(clinic):
    """No check before the insert (``check=False``): twenty threads, each in its own
    transaction on its own connection, insert a hold over the same time at once; the
    constraint (PostgreSQL) or the triggers (SQLite) let exactly one through."""
    import threading

    from syncs.calendar.bookings import services

    barrier = threading.Barrier(CALLERS)

    def hold(n: int) -> str:
        barrier.wait()
        try:
            services.hold(
                client=clinic.client,
                service=clinic.service,
                # Different starts, overlapping ranges: 10:00, 10:01, ... 10:19.
                start=clinic.at(10, n),
                contact=services.Contact(name=f"Caller {n}"),
                time_zone="Europe/Berlin",
                check=False,
            )
            return "held"
        except services.SlotTaken:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(CALLERS) as pool:
        outcomes = list(pool.map(hold, range(CALLERS)))
    assert sorted(outcomes) == ["held"] + ["refused"] * (CALLERS - 1)
    assert Booking.objects.filter(status=BookingStatus.HELD).count() == 1
