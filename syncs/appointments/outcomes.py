"""Recording whether the customer came: the one function the console and the API call.

``record_booking_outcome`` stores the outcome through the bookings' own service (validated and
audited there) and, in the same transaction, announces it: the ``booking.outcome`` webhook to
the chatbot vendor (the feedback loop) and ``booking_changed`` with change ``booking.outcome``,
on which the CRM package sets the meeting's outcome (``syncs.crm.meetings``).
"""

from __future__ import annotations

from django.db import transaction

from syncs.audit.log import SYSTEM
from syncs.calendar.bookings import services, webhooks
from syncs.calendar.bookings.models import Booking, BookingOutcome

OUTCOME = "booking.outcome"
OUTCOMES = tuple(v for v in BookingOutcome.values if v)  # "attended", "no_show"


class OutcomeRefused(Exception):
    """The booking cannot take an outcome (not confirmed: cancelled, expired, refused)."""


def record_booking_outcome(booking: Booking, outcome: str, *, actor: str = SYSTEM) -> Booking:
    """Record ``outcome`` (one of ``OUTCOMES``) for a confirmed booking and announce it.
    Raises ValueError for an unknown outcome, ``OutcomeRefused`` for a booking that is not
    confirmed. Recording the same outcome again changes nothing and announces nothing."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("client", "service")
        booking = locked.get(pk=booking.pk)
        if booking.outcome == outcome:
            return booking
        try:
            services.record_outcome(booking, outcome, actor=actor)
        except services.NotChangeable as exc:
            raise OutcomeRefused(str(exc)) from exc
        webhooks.announce(booking, OUTCOME, outcome=outcome)
    return booking
