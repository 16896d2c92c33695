"""What a booking's webhooks carry: the booking as the API shows it (``present``).

``booking.created`` when the calendar has it and it is confirmed; ``booking.updated`` when it
moved (by the API or in the calendar); ``booking.cancelled`` when it ended without taking
place: cancelled, declined, or refused after the calendar write (status ``conflict``, with
alternatives), or its hold expired. Sent inside the transaction that changed the booking.
"""

from __future__ import annotations

from typing import Any

from syncs.calendar.bookings.models import Booking
from syncs.calendar.bookings.present import booking_body
from syncs.calendar.bookings.signals import booking_changed
from syncs.webhooks.models import WebhookMessage
from syncs.webhooks.services import emit

CREATED, UPDATED, CANCELLED = "booking.created", "booking.updated", "booking.cancelled"


def announce(booking: Booking, event_type: str, **extra: Any) -> WebhookMessage | None:
    """Emit ``event_type`` about ``booking`` to the client's subscribed endpoints, and tell
    the packages listening to ``booking_changed``."""
    message = emit(booking.client, event_type, {**booking_body(booking), **extra})
    booking_changed.send(sender=Booking, booking=booking, change=event_type, details=extra)
    return message
