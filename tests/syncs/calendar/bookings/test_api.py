"""The availability and booking API over real HTTP (live server, Google emulator, a worker
thread running the published jobs): answers in the caller's zone, 201 once the calendar has
the event, 409 with alternatives, idempotent retries, reschedule and cancel, problem+json for
bad input, and one client's key never reaching another client's services or bookings."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.customer_link import booking_for_token
from syncs.calendar.models import Service

from .conftest import api, make_clinic

pytestmark = pytest.mark.django_db(transaction=True)
NEW_YORK = ZoneInfo("America/New_York")


def body(clinic, hour: int, minute: int = 0, **extra) -> dict:
    return {
        "service": str(clinic.service.public_id),
        "start": clinic.at(hour, minute).isoformat(),
        "time_zone": "America/New_York",
        "contact": {"name": "Mary O'Brien", "email": "mary@example.com"},
        **extra,
    }


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    answer = response.json()
    assert answer["type"] == f"/problems/{slug}"
    return answer


def test_availability_is_given_in_the_callers_zone(live_server, clinic, world):
    clinic.put_foreign("lunch00001", clinic.at(12), clinic.at(13))
    query = urlencode({
        "service": str(clinic.service.public_id),
        "start": clinic.at(0).isoformat(), "end": clinic.at(23).isoformat(),
        "time_zone": "America/New_York",
    })  # fmt: skip
    response = api(live_server, world.key_a, "GET", f"availability?{query}")
    assert response.status_code == 200, response.text
    answer = response.json()
    starts = [s["start"] for s in answer["slots"]]
    expected = [clinic.at(h, m) for h in range(9, 17) for m in (0, 30) if h != 12]
    assert starts == [t.astimezone(NEW_YORK).isoformat() for t in expected]
    assert starts[0].endswith("-05:00") and answer["stale_calendars"] == []


def test_a_booking_is_answered_201_once_the_calendar_has_it(live_server, clinic, world, worker):
    response = api(live_server, world.key_a, "POST", "bookings?wait=20", json=body(clinic, 10))
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "confirmed" and answer["calendar_event_id"]
    assert answer["start"] == clinic.at(10).astimezone(NEW_YORK).isoformat()
    assert [e["id"] for e in clinic.live_events()] == [answer["calendar_event_id"]]
    again = api(live_server, world.key_a, "GET", f"bookings/{answer['id']}").json()
    # Each answer signs a fresh customer link (its timestamp may be a second later): both
    # open this booking, and nothing else in the answer differs.
    links = [a.pop("manage_url").rstrip("/").rsplit("/", 1)[1] for a in (again, answer)]
    assert {str(booking_for_token(t).public_id) for t in links} == {answer["id"]}
    assert again == answer


def test_without_a_worker_the_booking_is_202_held(live_server, clinic, world):
    response = api(live_server, world.key_a, "POST", "bookings?wait=0", json=body(clinic, 10))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "held" and response.json()["hold_expires_at"]


def test_a_taken_slot_is_409_with_alternatives_in_the_callers_zone(live_server, clinic, world):
    assert api(live_server, world.key_a, "POST", "bookings?wait=0", json=body(clinic, 11)).ok
    response = api(live_server, world.key_a, "POST", "bookings?wait=0", json=body(clinic, 11))
    answer = problem(response, 409, "slot-taken")
    before, after = answer["alternatives"]["before"], answer["alternatives"]["after"]
    assert [s["start"] for s in before] == [
        clinic.at(h, m).astimezone(NEW_YORK).isoformat() for h, m in ((10, 30), (10, 0), (9, 30))
    ]
    assert after[0]["start"] == clinic.at(11, 30).astimezone(NEW_YORK).isoformat()
    # Outside business hours is not offered either.
    problem(
        api(live_server, world.key_a, "POST", "bookings?wait=0", json=body(clinic, 18)),
        409,
        "slot-taken",
    )


def test_an_idempotent_retry_answers_the_same_booking(live_server, clinic, world, worker):
    headers = {"Idempotency-Key": "book-mary-1"}
    first = api(
        live_server, world.key_a, "POST", "bookings?wait=20", json=body(clinic, 9), headers=headers
    )
    again = api(
        live_server, world.key_a, "POST", "bookings?wait=20", json=body(clinic, 9), headers=headers
    )
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Booking.objects.count() == 1 and len(clinic.live_events()) == 1
    other = api(
        live_server, world.key_a, "POST", "bookings", json=body(clinic, 13), headers=headers
    )
    problem(other, 422, "idempotency-key-reused")


def test_reschedule_and_cancel(live_server, clinic, world, worker):
    created = api(live_server, world.key_a, "POST", "bookings?wait=20", json=body(clinic, 9))
    booking_id = created.json()["id"]
    moved = api(
        live_server,
        world.key_a,
        "PATCH",
        f"bookings/{booking_id}?wait=20",
        json={"start": clinic.at(15).isoformat(), "time_zone": "Asia/Kolkata"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["start"] == clinic.at(15).astimezone(ZoneInfo("Asia/Kolkata")).isoformat()
    [event] = clinic.live_events()
    assert event["start"]["dateTime"].startswith(f"{clinic.day.isoformat()}T15:00:00")
    # Without a start, only the zone the booking is shown in changes.
    shown = api(
        live_server, world.key_a, "PATCH", f"bookings/{booking_id}", json={"time_zone": "UTC"}
    )
    assert (
        shown.status_code == 200
        and shown.json()["start"] == clinic.at(15).astimezone(ZoneInfo("UTC")).isoformat()
    )
    cancelled = api(live_server, world.key_a, "POST", f"bookings/{booking_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    problem(
        api(
            live_server, world.key_a, "PATCH", f"bookings/{booking_id}",
            json={"start": clinic.at(16).isoformat()},
        ),
        409,
        "booking-not-changeable",
    )  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"start": "2026-12-07T10:00:00"},  # no offset: a wall time is ambiguous
        {"time_zone": "Mars/Olympus_Mons"},
        {"colour": "blue"},
        {"contact": {"email": "mary@example.com"}},  # no name
        {"contact": {"name": "Mary", "email": "mary.example.com"}},  # no address
        {"contact": {"name": "Mary", "email": "mary@"}},
        {"service": "not-a-uuid"},
        {"start": 1765098000},
    ],
)
def test_bad_input_is_400_problem_json(live_server, clinic, world, change):
    response = api(live_server, world.key_a, "POST", "bookings", json={**body(clinic, 9), **change})
    problem(response, 400, "validation-error")
    assert Booking.objects.count() == 0


def test_a_blank_email_is_accepted_and_the_schema_says_what_passes(live_server, clinic, world):
    import jsonschema

    from syncs.calendar.bookings.serializers import CONTACT_SCHEMA

    field = CONTACT_SCHEMA["properties"]["email"]
    checker = jsonschema.FormatChecker()
    for good in ("", "mary@example.com"):
        jsonschema.validate(good, field, format_checker=checker)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("mary.example.com", field, format_checker=checker)
    blank = {**body(clinic, 9), "contact": {"name": "Mary", "email": ""}}
    response = api(live_server, world.key_a, "POST", "bookings", json=blank)
    assert response.status_code in (201, 202), response.text


def test_a_client_without_a_booking_calendar_is_told_so(live_server, clinic, world):
    clinic.role.role = "blocks"
    clinic.role.save()
    response = api(live_server, world.key_a, "POST", "bookings", json=body(clinic, 9))
    problem(response, 409, "no-booking-calendar")


def test_a_key_never_reaches_another_clients_services_or_bookings(
    live_server, clinic, world, google
):
    other = make_clinic(google, world.client_b)
    mine = api(live_server, world.key_a, "POST", "bookings?wait=0", json=body(clinic, 9))
    assert mine.status_code == 202
    booking_id = mine.json()["id"]
    # B cannot see, move or cancel A's booking, nor book or read A's service.
    problem(api(live_server, world.key_b, "GET", f"bookings/{booking_id}"), 404, "not-found")
    problem(
        api(live_server, world.key_b, "PATCH", f"bookings/{booking_id}",
            json={"start": clinic.at(10).isoformat()}),
        404, "not-found",
    )  # fmt: skip
    cancel = api(live_server, world.key_b, "POST", f"bookings/{booking_id}/cancel")
    problem(cancel, 404, "not-found")
    book = api(live_server, world.key_b, "POST", "bookings", json=body(clinic, 10))
    problem(book, 404, "not-found")
    query = urlencode({
        "service": str(clinic.service.public_id), "start": clinic.at(0).isoformat(),
        "end": clinic.at(23).isoformat(), "time_zone": "UTC",
    })  # fmt: skip
    problem(api(live_server, world.key_b, "GET", f"availability?{query}"), 404, "not-found")
    assert Booking.objects.get(public_id=booking_id).status == BookingStatus.HELD
    # B's own booking of its own service at the same time is B's business.
    theirs = api(live_server, world.key_b, "POST", "bookings?wait=0", json=body(other, 9))
    assert theirs.status_code == 202, theirs.text
    assert Service.objects.count() == 2


def test_stale_calendars_are_named_or_refused(live_server, clinic, world):
    from emulators.google_calendar import control

    control.inject_fault(clinic.account, "server_error", count=10)
    query = urlencode({
        "service": str(clinic.service.public_id), "start": clinic.at(0).isoformat(),
        "end": (clinic.at(0) + timedelta(days=1)).isoformat(), "time_zone": "UTC",
    })  # fmt: skip
    flagged = api(live_server, world.key_a, "GET", f"availability?{query}")
    assert flagged.status_code == 200 and flagged.json()["stale_calendars"] == ["primary"]
    clinic.service.stale_policy = "refuse"
    clinic.service.save()
    refused = api(live_server, world.key_a, "GET", f"availability?{query}")
    assert problem(refused, 503, "calendar-stale")["stale_calendars"] == ["primary"]
