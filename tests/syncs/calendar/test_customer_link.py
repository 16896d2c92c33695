"""The customer's signed link: their booking in their zone, other free slots of the service
(read from the Google emulator), a move or a cancel through the booking services, no sign-in;
a tampered, foreign or expired link is a clear 4xx page that reveals nothing."""

from __future__ import annotations

import time as clock
from urllib.parse import urlsplit

import pytest
from django.core import signing

from connectors.links import make_token as connect_token
from syncs.calendar import customer_link
from syncs.calendar.bookings.models import BookingStatus
from syncs.models import SyncJob
from tests.connectors.google.conftest import google  # noqa: F401

from .test_console_bookings import at, booking, clinic, event  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
CUSTOMER_ZONE = "America/New_York"


@pytest.fixture
def booked(clinic):  # noqa: F811
    """A confirmed Monday 10:00 (Berlin) booking, made by a caller in New York."""
    c, service, account, monday = clinic
    ours = event(account, at(monday, 10), at(monday, 11), "Check-up: Ann")
    b = booking(c, service, at(monday, 10), contact_name="Ann Lee", provider_event_id=ours)
    b.time_zone = CUSTOMER_ZONE
    b.save(update_fields=["time_zone"])
    return b, account, monday


def path_of(link: str) -> str:
    return urlsplit(link).path


def test_the_link_shows_the_booking_and_free_slots_in_the_customers_zone(client, settings, booked):
    b, _account, monday = booked
    link = customer_link.reschedule_link(b)
    assert link.startswith(settings.PUBLIC_BASE_URL.rstrip("/") + "/booking/")
    response = client.get(path_of(link), {"from": monday.isoformat()})
    body = response.content.decode()
    assert response.status_code == 200
    when = body.split('id="booking-when">')[1].split("</dd>")[0]
    assert "04:00" in when and CUSTOMER_ZONE in when and "UTC-0500" in when  # 10:00 in Berlin
    slots = [s.split(">")[1].split("<")[0] for s in body.split('class="secondary slot"')[1:]]
    assert slots == ["03:00", "05:00", "06:00", "07:00", "08:00", "09:00", "10:00"]
    assert 'name="csrfmiddlewaretoken"' in body and "Cancel booking" in body
    for odd in ("9999-12-31", "someday"):
        assert client.get(path_of(link), {"from": odd}).status_code == 200


def test_the_customer_moves_the_booking_to_a_free_slot(client, booked):
    b, _account, monday = booked
    link = path_of(customer_link.reschedule_link(b))
    new = at(monday, 15).isoformat()
    response = client.post(link + "reschedule", {"start": new}, follow=True)
    assert "Your booking is being moved" in response.content.decode()
    b.refresh_from_db()
    assert b.start == at(monday, 15) and b.status == BookingStatus.HELD
    assert SyncJob.objects.filter(kind="calendar").count() == 1  # the calendar event follows


def test_a_slot_taken_meanwhile_is_refused_with_the_nearest_free_times(client, booked):
    b, account, monday = booked
    event(account, at(monday, 15), at(monday, 16), "Dentist")  # after the page was shown
    link = path_of(customer_link.reschedule_link(b))
    response = client.post(link + "reschedule", {"start": at(monday, 15).isoformat()})
    assert response.status_code == 409
    body = response.content.decode()
    assert "That time was just taken" in body
    offered = body.split('id="alternatives"')[1].split("</form>")[0]
    assert "08:00" in offered and "10:00" in offered  # 14:00 and 16:00 in Berlin
    b.refresh_from_db()
    assert b.start == at(monday, 10) and b.status == BookingStatus.CONFIRMED


def test_the_customer_cancels_after_ticking_the_box(client, booked):
    b, _account, _monday = booked
    link = path_of(customer_link.reschedule_link(b))
    assert client.post(link + "cancel").status_code == 400
    b.refresh_from_db()
    assert b.status == BookingStatus.CONFIRMED
    response = client.post(link + "cancel", {"confirm": "yes"}, follow=True)
    body = response.content.decode()
    assert "Your booking is cancelled." in body and 'data-status="cancelled"' in body
    assert "Move it" not in body
    b.refresh_from_db()
    assert b.status == BookingStatus.CANCELLED


def test_a_tampered_or_foreign_link_is_a_clear_404(client, world, booked):
    b, _account, _monday = booked
    token = customer_link.make_token(b)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, connect_token(world.client_a), "not-a-link"):
        response = client.get(f"/booking/{bad}/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "This link does not work" in body and "Ann Lee" not in body
        assert client.post(f"/booking/{bad}/cancel", {"confirm": "yes"}).status_code == 404
    b.refresh_from_db()
    assert b.status == BookingStatus.CONFIRMED


def test_an_expired_link_says_so_and_changes_nothing(client, settings, booked):
    b, _account, monday = booked

    class Made61DaysAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(clock.time()) - 61 * 24 * 3600)

    token = Made61DaysAgo(salt=customer_link.SALT).sign_object({"b": str(b.public_id)})
    response = client.get(f"/booking/{token}/")
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    moved = client.post(f"/booking/{token}/reschedule", {"start": at(monday, 15).isoformat()})
    assert moved.status_code == 410
    settings.BOOKING_LINK_MAX_AGE = 90 * 24 * 3600  # a longer life: the same link works
    assert client.get(f"/booking/{token}/").status_code == 200
    b.refresh_from_db()
    assert b.start == at(monday, 10)


def test_a_time_that_is_not_one_is_refused_plainly(client, booked):
    b, _account, _monday = booked
    link = path_of(customer_link.reschedule_link(b))
    response = client.post(link + "reschedule", {"start": "next tuesday"})
    assert response.status_code == 400 and "Pick one of the times" in response.content.decode()


def test_while_a_calendar_cannot_be_read_nothing_is_offered_or_moved(client, booked):
    from connectors.models import Connection, ConnectionStatus
    from syncs.calendar.models import CalendarRole, Service

    b, _account, monday = booked
    Service.objects.filter(pk=b.service_id).update(stale_policy="refuse")
    dead = Connection.objects.create(
        client=b.client, provider="outlook", kind="calendar", status=ConnectionStatus.NEEDS_REAUTH
    )
    CalendarRole.objects.create(client=b.client, connection=dead, calendar_id="AAMk", name="Team")
    link = path_of(customer_link.reschedule_link(b))
    body = client.get(link, {"from": monday.isoformat()}).content.decode()
    assert 'id="unavailable"' in body and 'class="secondary slot"' not in body
    response = client.post(link + "reschedule", {"start": at(monday, 15).isoformat()})
    assert response.status_code == 503 and "nothing was changed" in response.content.decode()
    b.refresh_from_db()
    assert b.start == at(monday, 10) and b.status == BookingStatus.CONFIRMED


def test_the_booking_api_answer_carries_the_customers_link(client, api, world, booked):
    from tests.conftest import bearer

    b, _account, _monday = booked
    answer = api.get(f"/api/v1/bookings/{b.public_id}", **bearer(world.key_a)).json()
    page = client.get(path_of(answer["manage_url"]))
    assert page.status_code == 200 and "Ann Lee" not in page.content.decode()  # no PII shown
    assert "Check-up" in page.content.decode()


def test_the_reminder_email_carries_the_customers_link(client, booked):
    from django.core import mail

    from syncs.appointments.reminders import send_reminder

    b, _account, _monday = booked
    b.contact_email = "ann@example.com"
    b.save(update_fields=["contact_email"])
    send_reminder(b, 1440)  # on commit: this test's database commits, so it is e-mailed
    link = mail.outbox[0].body.split("To move or cancel it: ")[1].split()[0]
    assert client.get(path_of(link)).status_code == 200
