"""A change made in the calendar to one of our events, brought to its booking.

Connected to ``syncs.calendar.signals.calendar_changed`` (``syncs.apps``). An event carrying
our booking id that was cancelled (or deleted), declined by the customer, or moved updates the
confirmed booking it belongs to and sends ``booking.cancelled`` / ``booking.updated``.
Idempotent: the same change reported twice (push and polling) finds the booking already so.
A booking still held takes a cancellation or decline (its job then withdraws, never
confirms); any other change to it is its own job's, which is writing that event now.

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

from connectors.base import CalendarEvent, ConnectorError
from syncs.audit.log import SYSTEM, audit_log
from syncs.calendar.availability import StaleCalendars
from syncs.calendar.bookings import availability, services, webhooks
from syncs.calendar.bookings.models import NO_OVERLAP, Booking, BookingStatus
from syncs.calendar.bookings.present import in_zone, slots_body
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
                Booking.objects.select_for_update().select_related("client", "service").get(pk=pk)
            )
            outcome = apply_change(booking, keys[booking.event_key])
        if outcome:
            changed.append(outcome)
    return changed


def apply_change(booking: Booking, event: CalendarEvent) -> str:
    """Bring one confirmed booking (locked by the caller) to what the calendar says of its
    event; returns what changed ('' for nothing). A held booking (its event being written, or
    a confirmed one being moved) takes a cancellation or decline too, else its job would
    confirm it on a deleted event; a move in the calendar is left to the job's re-read."""
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.HELD):
        return ""
    if event.etag and event.etag != booking.provider_etag:
        Booking.objects.filter(pk=booking.pk).update(provider_etag=event.etag)
        booking.provider_etag = event.etag
    email = booking.contact_email.casefold()
    if event.status == "cancelled":
        return _cancelled(booking, "Cancelled in the calendar.")
    if email and any(a.casefold() == email for a in event.declined_by):
        return _cancelled(booking, "Declined by the customer in the calendar.")
    if booking.status != BookingStatus.CONFIRMED:
        return ""
    if not isinstance(event.start, datetime) or not isinstance(event.end, datetime):
        return ""  # made all-day: no time to move the booking to
    if (event.start, event.end) == (booking.start, booking.end):
        return ""
    return _moved(booking, event.start, event.end)


def _cancelled(booking: Booking, reason: str) -> str:
    services.set_status(booking, BookingStatus.CANCELLED, reason)
    webhooks.announce(booking, webhooks.CANCELLED)
    return "cancelled"


def _moved(booking: Booking, start: datetime, end: datetime) -> str:
    """The event was moved in the calendar: the booking follows it, buffers kept. Onto the
    time of another of our bookings the database refuses it: a conflict for staff to solve."""
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
        services.set_status(
            booking,
            BookingStatus.CONFLICT,
            "Moved in the calendar onto the time of another booking.",
        )
        webhooks.announce(booking, webhooks.UPDATED)
        return "conflict"
    old = booking.start
    booking.refresh_from_db()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="booking.moved_in_calendar",
        target=f"booking:{booking.public_id}",
        details={"from": old.isoformat(), "to": start.isoformat(), "service": service.name},
    )
    webhooks.announce(booking, webhooks.UPDATED, previous_start=in_zone(old, booking.time_zone))
    return "moved"


def _overlapped(client: Client, role: CalendarRole, events: Sequence[CalendarEvent]) -> list[str]:
    """Foreign events made over a confirmed booking in a blocking calendar: the booking stands
    (the calendar's owner may mean it), but the conflict is audited once per event and
    announced with ``booking.updated`` carrying ``calendar_conflict`` and alternatives."""
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
            offer = _offer(booking)
            with transaction.atomic():
                audit_log(
                    client=client,
                    actor=SYSTEM,
                    action=OVERLAPPED,
                    target=target,
                    details={"event": event.id, "calendar": role.calendar_id},
                )
                webhooks.announce(
                    booking, webhooks.UPDATED, calendar_conflict=conflict, alternatives=offer
                )
            found.append("overlapped")
    return found


def _offer(booking: Booking) -> dict[str, list]:
    """Slots to move the booking to (a fresh read; empty when the calendars cannot say)."""
    try:
        before, after = availability.alternatives(booking.service, booking.start, ignore=booking)
    except (StaleCalendars, ConnectorError, ValueError):
        return {"before": [], "after": []}
    return {
        "before": slots_body(before, booking.time_zone),
        "after": slots_body(after, booking.time_zone),
    }
