"""What a booking's webhooks carry: the booking as the API shows it (``present``).

``booking.created`` when the calendar has it and it is confirmed; ``booking.updated`` when it
moved (by the API or in the calendar); ``booking.cancelled`` when it ended without taking
place: cancelled, declined, failed, or its hold expired. ``booking.conflict`` when the calendar
took its time from it: a change made in the calendar that was refused (the new time is another
booking's), or someone else's event found over it by the re-read after our write (a new
booking's event is removed again; a move is refused, and is a conflict when its confirmed time
is another booking's by then: its event is removed too, ``announce_withdrawn``). Status
``conflict``, ``conflict`` saying what was refused and ``alternatives`` the chatbot can offer;
an endpoint subscribed before that event type existed (to ``booking.cancelled`` but not to
it, nor to ``*``) gets it as ``booking.cancelled``.
Sent inside the transaction that changed the booking (a conflict's, once its alternatives are
read: ``offers``).
"""

from __future__ import annotations

from typing import Any

from syncs.calendar.bookings.models import Booking
from syncs.calendar.bookings.present import booking_body
from syncs.calendar.bookings.signals import booking_changed
from syncs.webhooks.models import WebhookMessage
from syncs.webhooks.services import emit

CREATED, UPDATED, CANCELLED = "booking.created", "booking.updated", "booking.cancelled"
CONFLICT = "booking.conflict"


def announce(booking: Booking, event_type: str, **extra: Any) -> WebhookMessage | None:
    """Emit ``event_type`` about ``booking`` to the client's subscribed endpoints, and tell
    the packages listening to ``booking_changed``."""
    message = emit(booking.client, event_type, {**booking_body(booking), **extra})
    booking_changed.send(sender=Booking, booking=booking, change=event_type, details=extra)
    return message


def announce_conflict(booking: Booking, **extra: Any) -> WebhookMessage | None:
    """The booking lost its time to the calendar (a change there that we refused, or a foreign
    event found after our write): ``booking.conflict`` (and, for endpoints that only know the
    older names, ``booking.cancelled``: the booking no longer holds time), and
    ``booking_changed`` with change ``booking.conflict``, which is no move and no cancellation
    of the CRM meeting (``syncs.crm.meetings`` leaves it as it is; a booking refused after the
    write was never confirmed, so has none; one withdrawn after a refused move was told
    ``booking.cancelled`` already, ``announce_withdrawn``)."""
    body = {**booking_body(booking), **extra}
    message = emit(booking.client, CONFLICT, body)
    older = emit(booking.client, CANCELLED, body, unless_wanting=CONFLICT)
    booking_changed.send(sender=Booking, booking=booking, change=CONFLICT, details=extra)
    return message or older


def announce_withdrawn(booking: Booking, reason: str) -> None:
    """A confirmed booking that lost its time after a refused move, its calendar event being
    removed (``services.withdraw``): to the packages around it, it is cancelled
    (``booking_changed`` with change ``booking.cancelled`` and ``details`` ``withdrawn``, so
    its CRM meeting is cancelled as a cancellation's is). No webhook is sent here: the chatbot
    hears ``booking.conflict`` with alternatives from the offer job (``offers``)."""
    booking_changed.send(
        sender=Booking, booking=booking, change=CANCELLED, details={"withdrawn": reason}
    )
