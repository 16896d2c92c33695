"""What bookings tell the packages built around them (CRM meetings, reminders), without
importing them.

``booking_changed`` is sent with ``booking`` (``Booking``) and ``change`` (the webhook event
type: ``booking.created``, ``booking.updated``, ``booking.cancelled``, or ``booking.conflict``:
a move made in the calendar that was refused, so nothing moved and the booking no longer
holds time, ``details`` carrying ``conflict`` and ``alternatives``) inside the transaction
that changed the booking, right where the webhook is recorded, and ``details``: what the
webhook adds to the booking (``move_refused``, ``calendar_conflict``: an update that moved
nothing). One ``booking.cancelled`` comes with no webhook of its own: a booking withdrawn after
a refused move, its confirmed time taken and its event being removed (``details``
``withdrawn``; the chatbot hears ``booking.conflict`` from the offer job). A receiver that writes
elsewhere should do it ``transaction.on_commit`` (or queue a job in the same transaction).
"""

from __future__ import annotations

from django.dispatch import Signal

booking_changed = Signal()
