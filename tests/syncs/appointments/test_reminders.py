"""Reminders: each one once, at the client's offsets, never for a cancelled booking, and for
the new time of a booking moved after its reminder went."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from syncs.appointments.models import Reminder, ReminderOffset
from syncs.appointments.reminders import send_due
from syncs.calendar.bookings.models import BookingStatus
from syncs.webhooks.models import WebhookMessage
from tests.syncs.appointments.bookings import confirmed, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(world):
    subscribe(world.client_a, "booking.reminder")
    return world


def _reminders(client) -> list[dict]:
    rows = WebhookMessage.objects.filter(client=client, event_type="booking.reminder")
    return [m.payload for m in rows.order_by("pk")]


def test_it_sends_the_day_before_reminder_once(hooked, django_capture_on_commit_callbacks):
    now = timezone.now()
    booking = confirmed(hooked.client_a, now + timedelta(hours=23), phone="+14155550100")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due(now) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due(now + timedelta(minutes=1)) == 0  # the next beat: nothing again
    assert Reminder.objects.filter(booking=booking).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    assert "Check-up" in mail.outbox[0].subject and "Europe/Berlin" in mail.outbox[0].body
    sent = _reminders(hooked.client_a)
    assert len(sent) == 1 and sent[0]["reminder"] == {"minutes_before": 1440, "channel_hint": "sms"}
    assert sent[0]["contact"]["phone"] == "+14155550100"


def test_the_two_hour_reminder_follows_in_its_own_window(hooked):
    now = timezone.now()
    booking = confirmed(hooked.client_a, now + timedelta(hours=23))
    assert send_due(now) == 1
    assert send_due(now + timedelta(hours=20)) == 0  # still the 24 h window: sent already
    assert send_due(now + timedelta(hours=21, minutes=30)) == 1  # 1 h 30 before: the 2 h one
    offsets = sorted(Reminder.objects.filter(booking=booking).values_list("minutes_before",
                                                                          flat=True))  # fmt: skip
    assert offsets == [120, 1440]


def test_a_cancelled_booking_gets_no_reminder(hooked):
    now = timezone.now()
    booking = confirmed(hooked.client_a, now + timedelta(hours=1))
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])
    assert send_due(now) == 0
    assert not Reminder.objects.exists() and _reminders(hooked.client_a) == []


def test_a_booking_moved_after_its_reminder_is_reminded_of_the_new_time(hooked):
    now = timezone.now()
    booking = confirmed(hooked.client_a, now + timedelta(minutes=90))
    assert send_due(now) == 1
    booking.start += timedelta(minutes=30)  # moved, still inside the 2 h window
    booking.end += timedelta(minutes=30)
    booking.buffer_start, booking.buffer_end = booking.start, booking.end
    booking.save()
    assert send_due(now + timedelta(minutes=1)) == 1
    assert send_due(now + timedelta(minutes=2)) == 0
    starts = {p["start"] for p in _reminders(hooked.client_a)}
    assert len(starts) == 2  # one reminder per time the customer was given


def test_the_clients_own_offsets_replace_the_defaults(hooked):
    ReminderOffset.objects.create(client=hooked.client_a, minutes_before=30)
    now = timezone.now()
    confirmed(hooked.client_a, now + timedelta(hours=23))
    confirmed(hooked.client_a, now + timedelta(minutes=20), email="b@example.com",
              session="s2")  # fmt: skip
    assert send_due(now) == 1
    assert list(Reminder.objects.values_list("minutes_before", flat=True)) == [30]


def test_a_booking_made_inside_a_window_skips_that_reminder(hooked):
    now = timezone.now()
    confirmed(hooked.client_a, now + timedelta(hours=5), confirmed_at=now - timedelta(minutes=1))
    assert send_due(now) == 0  # booked 5 h ahead: the day-before reminder would be late
    assert send_due(now + timedelta(hours=3, minutes=30)) == 1


def test_one_clients_offsets_never_touch_anothers(hooked):
    ReminderOffset.objects.create(client=hooked.client_b, minutes_before=30)
    now = timezone.now()
    confirmed(hooked.client_a, now + timedelta(minutes=20))
    assert send_due(now) == 1  # client A keeps the defaults: its 2 h reminder
    assert Reminder.objects.get().minutes_before == 120


def test_an_email_that_could_not_leave_is_sent_by_a_later_beat(
    hooked, settings, django_capture_on_commit_callbacks
):
    # A real SMTP backend pointed at a closed port: the mail server is down.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    now = timezone.now()
    booking = confirmed(hooked.client_a, now + timedelta(hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due(now) == 1
    reminder = Reminder.objects.get(booking=booking)
    assert reminder.emailed_at is None and reminder.email_attempts >= 1
    assert reminder.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert send_due(now + timedelta(minutes=1)) == 0  # no second reminder...
    reminder.refresh_from_db()
    assert reminder.emailed_at is not None and len(mail.outbox) == 1  # ...but its e-mail left
    assert len(_reminders(hooked.client_a)) == 1
