"""Sending reminders: ``send_due`` (the beat, every minute) finds the confirmed bookings whose
reminder is due and sends each one once.

An offset is due from ``start - offset`` until the next smaller offset is due (or the booking
starts): a reminder the beat could not send in its window is not sent late, and a booking made
inside a window gets only the reminders still ahead of it (its confirmation said the rest).
Each reminder is one row, unique per (booking, offset, start), written in one transaction with
the ``booking.reminder`` webhook (the event a chatbot turns into an SMS): a second beat, or a
second worker racing this one, finds the row and sends nothing. A booking moved after its
reminder has a new start, so the reminder for the new time is sent in its turn; a cancelled
booking is no longer confirmed and gets none. The e-mail leaves after commit through Django's
e-mail backend; a failed one is tried again by the next beats, at most ``EMAIL_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncs.appointments.models import DEFAULT_OFFSETS_MINUTES, Reminder, ReminderOffset
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.bookings.present import booking_body
from syncs.calendar.customer_link import reschedule_link
from syncs.webhooks.services import emit
from tenants.models import Client

log = logging.getLogger(__name__)
REMINDER = "booking.reminder"
EMAIL_ATTEMPTS = 3
BATCH = 500


def offsets_for(client: Client) -> tuple[int, ...]:
    """The client's offsets in minutes, largest first (the defaults when it set none)."""
    rows = ReminderOffset.objects.filter(client=client).values_list("minutes_before", flat=True)
    return tuple(sorted(rows, reverse=True)) or DEFAULT_OFFSETS_MINUTES


def due_offset(booking: Booking, offsets: tuple[int, ...], now: datetime) -> int | None:
    """The offset whose window ``now`` is in, or None: offset ``o`` is due from
    ``start - o`` until the next smaller offset is due, or the booking starts."""
    ends = [*offsets[1:], 0]
    for minutes, next_minutes in zip(offsets, ends, strict=True):
        due = booking.start - timedelta(minutes=minutes)
        until = booking.start - timedelta(minutes=next_minutes)
        if due <= now < until:
            confirmed = booking.confirmed_at or booking.created_at
            return minutes if confirmed is None or confirmed <= due else None
    return None


def send_due(now: datetime | None = None) -> int:
    """Send every reminder due now; returns how many were sent (the beat's task)."""
    now = now or timezone.now()
    horizon = max(max(DEFAULT_OFFSETS_MINUTES), _largest_offset())
    bookings = Booking.objects.filter(
        status=BookingStatus.CONFIRMED, start__gt=now, start__lte=now + timedelta(minutes=horizon)
    ).select_related("client", "service")
    offsets: dict[int, tuple[int, ...]] = {}
    sent = 0
    for booking in bookings.order_by("start")[:BATCH]:
        if booking.client_id not in offsets:
            offsets[booking.client_id] = offsets_for(booking.client)
        minutes = due_offset(booking, offsets[booking.client_id], now)
        if minutes is not None and send_reminder(booking, minutes) is not None:
            sent += 1
    retry_emails()
    return sent


def _largest_offset() -> int:
    row = ReminderOffset.objects.order_by("-minutes_before").values_list("minutes_before").first()
    return row[0] if row else 0


def send_reminder(booking: Booking, minutes: int) -> Reminder | None:
    """Record and announce the reminder, then e-mail it after commit; None when this
    (booking, offset, start) was reminded already."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                client=booking.client, booking=booking, minutes_before=minutes,
                start=booking.start, email_to=booking.contact_email,
            )  # fmt: skip
            emit(booking.client, REMINDER, {**booking_body(booking), "reminder": {
                "minutes_before": minutes, "channel_hint": "sms" if booking.contact_phone
                else "email"}})  # fmt: skip
            transaction.on_commit(lambda: email_reminder(reminder.pk))
    except IntegrityError:
        return None  # sent already (another beat or worker got there first)
    return reminder


def email_reminder(reminder_id: int) -> bool:
    """E-mail one reminder through Django's e-mail backend; True when it left."""
    reminder = Reminder.objects.select_related("booking__service", "client").get(pk=reminder_id)
    if reminder.emailed_at is not None or not reminder.email_to:
        return reminder.emailed_at is not None
    subject, body = reminder_text(reminder)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [reminder.email_to])
    except Exception as exc:  # any backend failure: kept for the next beat, never raised
        log.warning("reminder %s: e-mail not sent (%s)", reminder.pk, type(exc).__name__)
        Reminder.objects.filter(pk=reminder.pk).update(
            email_attempts=reminder.email_attempts + 1, email_error=type(exc).__name__
        )
        return False
    Reminder.objects.filter(pk=reminder.pk).update(
        emailed_at=timezone.now(), email_attempts=reminder.email_attempts + 1, email_error=""
    )
    return True


def retry_emails() -> int:
    """E-mails of reminders that did not leave yet (their booking still confirmed, ahead)."""
    waiting = Reminder.objects.filter(
        emailed_at__isnull=True, email_attempts__lt=EMAIL_ATTEMPTS,
        booking__status=BookingStatus.CONFIRMED, booking__start__gt=timezone.now(),
    ).exclude(email_to="")  # fmt: skip
    return sum(email_reminder(pk) for pk in waiting.values_list("pk", flat=True)[:BATCH])


def reminder_text(reminder: Reminder) -> tuple[str, str]:
    """The subject and body, with the time in the zone the booking was made in."""
    booking = reminder.booking
    local = reminder.start.astimezone(ZoneInfo(booking.time_zone))
    when = local.strftime("%A %d %B %Y at %H:%M") + f" ({booking.time_zone})"
    service = getattr(booking.service, "name", "") or "appointment"
    subject = f"Reminder: {service} on {local:%d %b %H:%M}"
    body = (
        f"Hello {booking.contact_name or 'there'},\n\n"
        f"This is a reminder of your {service} with {reminder.client.name} on {when}.\n\n"
        f"To move or cancel it: {reschedule_link(booking)}\n"
    )
    return subject, body
