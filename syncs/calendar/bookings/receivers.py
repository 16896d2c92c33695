"""A change made in the calendar to one of our events, brought to its booking.

Connected to ``syncs.calendar.signals.calendar_changed`` (``syncs.apps``), which the sync pass
sends inside its transaction: nothing here calls a vendor (alternatives are read by a job
queued here and run after commit, ``offers``). An event carrying our booking id that was
cancelled (or deleted), declined (by the customer, or by the calendar's owner), or moved
updates the booking it belongs to. Idempotent: the same change reported twice (push and
polling) finds the booking already so. Each booking is changed under its row lock.

- Cancelled or deleted: the booking is cancelled, ``booking.cancelled``.
- Declined: cancelled too, and a job removes our event, so its time is free again
  (availability does not count a cancelled booking's event meanwhile), ``booking.cancelled``
  with the reason; the CRM meeting follows through ``booking_changed``.
- Moved: the booking follows (buffers kept), ``booking.updated``. Onto time another of our
  bookings holds, the database refuses it: the booking is ``conflict`` and a job announces
  ``booking.conflict`` with alternatives (``booking_changed`` says ``booking.conflict``: the
  CRM meeting is not moved to the refused time).
- A held booking (its calendar write, or the write of a move, not confirmed yet) takes a
  cancellation or decline (its job then withdraws, never confirms) and a move as well: its
  row moves under the lock, and its job confirms only after re-reading the time the row holds
  when it confirms (``sync._confirm_checked``), so a move made while the job writes is
  neither lost nor confirmed unread. A held move reported at its confirmed time (the calendar
  read before the job's write) is no move.

A foreign event made over a confirmed booking in a blocking calendar leaves the booking as it
is (the calendar's owner may mean it) and is announced once as ``booking.updated`` with
``calendar_conflict`` and alternatives, for staff and the chatbot to resolve.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.base import CalendarEvent
from syncs.audit.log import SYSTEM, audit_log
from syncs.calendar.bookings import offers, services, webhooks
from syncs.calendar.bookings.models import NO_OVERLAP, Booking, BookingStatus
from syncs.calendar.bookings.present import in_zone
from syncs.calendar.models import CalendarRole
from syncs.models import AuditEntry
from tenants.models import Client
from tenants.scoping import for_client

OVERLAPPED = "booking.calendar_conflict"
BLOCKING = (CalendarRole.Role.BLOCKS, CalendarRole.Role.WRITES)


def on_calendar_changed(
    sender: object = None,
    *,
    client: Client,
    events: Sequence[CalendarEvent] = (),
    **signal: Any,
) -> list[str]:
    """Apply each of our events' changes to its booking; returns what changed per booking
    ("cancelled", "moved", "conflict", "overlapped"), for the caller's log."""
    keys = {}
    foreign = []
    for event in events:
        try:
            keys[uuid.UUID(event.booking_id)] = event
        except ValueError:
            foreign.append(event)  # not ours (no booking id, or someone else's text there)
    role = signal.get("role")
    changed = []
    if isinstance(role, CalendarRole) and role.role in BLOCKING:
        changed = _overlapped(client, role, foreign)
    if not keys:
        return changed
    ours = for_client(Booking, client).filter(event_key__in=list(keys))
    for pk in ours.values_list("pk", flat=True):
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(of=("self",))
                .select_related("client", "service", "resource__connection")
                .get(pk=pk)
            )
            outcome = apply_change(booking, keys[booking.event_key])
        if outcome:
            changed.append(outcome)
    return changed


def apply_change(booking: Booking, event: CalendarEvent) -> str:
    """Bring one held or confirmed booking (locked by the caller) to what the calendar says of
    its event; returns what changed ('' for nothing)."""
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.HELD):
        return ""
    # A move not written yet, read at its confirmed time (the pass read the calendar before
    # the move job's write): no move, and its etag is older than the one the job keeps.
    unwritten = booking.status == BookingStatus.HELD and (event.start, event.end) == (
        booking.previous_start,
        booking.previous_end,
    )
    if event.etag and event.etag != booking.provider_etag and not unwritten:
        Booking.objects.filter(pk=booking.pk).update(provider_etag=event.etag)
        booking.provider_etag = event.etag
    if event.status == "cancelled":
        return _cancelled(booking, "Cancelled in the calendar.")
    declined = _declined(booking, event)
    if declined:
        return _cancelled(booking, declined, remove_event=True)
    if not isinstance(event.start, datetime) or not isinstance(event.end, datetime):
        return ""  # made all-day: no time to move the booking to
    if (event.start, event.end) == (booking.start, booking.end) or unwritten:
        return ""
    return _moved(booking, event.start, event.end, event.id)


def _declined(booking: Booking, event: CalendarEvent) -> str:
    """Why the event counts as declined ('' if it does not): by the customer (an attendee
    with the booking's e-mail) or by the calendar's owner."""
    email = booking.contact_email.casefold()
    if email and any(a.casefold() == email for a in event.declined_by):
        return "Declined by the customer in the calendar."
    if event.owner_declined:
        return "Declined by the calendar's owner."
    return ""


def _cancelled(booking: Booking, reason: str, *, remove_event: bool = False) -> str:
    """Cancelled as the calendar says. A declined event is still in the calendar, busy: a job
    removes it (as a cancellation through the API does); a held booking's own job withdraws
    what it writes."""
    services.set_status(booking, BookingStatus.CANCELLED, reason)
    if remove_event and booking.provider_event_id and booking.resource is not None:
        services.request_event_removal(booking)
    webhooks.announce(booking, webhooks.CANCELLED)
    return "cancelled"


def _moved(booking: Booking, start: datetime, end: datetime, event_id: str) -> str:
    """The event was moved in the calendar: the booking follows it, buffers kept. Onto the
    time of another of our bookings the database refuses it: a conflict, announced with
    alternatives by a job after this transaction commits. A held booking is confirmed at its
    new time by its own job (which re-reads that time first)."""
    service = booking.service
    before = booking.start - booking.buffer_start
    after = booking.buffer_end - booking.end
    try:
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(
                start=start,
                end=end,
                buffer_start=start - before,
                buffer_end=end + after,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        if NO_OVERLAP not in str(exc):
            raise
        reason = "Moved in the calendar onto the time of another booking."
        services.set_status(booking, BookingStatus.CONFLICT, reason)
        refused = {
            "reason": reason,
            "event_id": event_id,
            "refused_start": in_zone(start, booking.time_zone),
            "refused_end": in_zone(end, booking.time_zone),
        }
        offers.queue(booking, offers.CONFLICT, start, refused)
        return "conflict"
    old = booking.start
    booking.refresh_from_db()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="booking.moved_in_calendar",
        target=f"booking:{booking.public_id}",
        details={
            "from": old.isoformat(),
            "to": start.isoformat(),
            "service": service.name,
            "held": booking.status == BookingStatus.HELD,
        },
    )
    if booking.status == BookingStatus.HELD:
        return "moved"  # its job announces it once confirmed there
    webhooks.announce(booking, webhooks.UPDATED, previous_start=in_zone(old, booking.time_zone))
    return "moved"


def _overlapped(client: Client, role: CalendarRole, events: Sequence[CalendarEvent]) -> list[str]:
    """Foreign events made over a confirmed booking in a blocking calendar: the booking stands
    (the calendar's owner may mean it), but the conflict is audited once per event and
    announced with ``booking.updated`` carrying ``calendar_conflict`` and alternatives (read
    and sent by a job after the sync pass commits: ``offers``)."""
    found = []
    for event in events:
        if event.status == "cancelled" or event.transparent:
            continue
        if not isinstance(event.start, datetime) or not isinstance(event.end, datetime):
            continue
        over = for_client(Booking, client).filter(
            status=BookingStatus.CONFIRMED, start__lt=event.end, end__gt=event.start
        )
        for booking in over.select_related("client", "service"):
            target = f"booking:{booking.public_id}"
            seen = AuditEntry.objects.filter(
                client=client, action=OVERLAPPED, target=target, details__event=event.id
            )
            if seen.exists():
                continue  # reported already (push and polling both saw it)
            conflict = {
                "event_id": event.id,
                "calendar_id": role.calendar_id,
                "start": in_zone(event.start, booking.time_zone),
                "end": in_zone(event.end, booking.time_zone),
            }
            with transaction.atomic():
                audit_log(
                    client=client,
                    actor=SYSTEM,
                    action=OVERLAPPED,
                    target=target,
                    details={"event": event.id, "calendar": role.calendar_id},
                )
                offers.queue(booking, offers.OVERLAPPED, booking.start, conflict)
            found.append("overlapped")
    return found
