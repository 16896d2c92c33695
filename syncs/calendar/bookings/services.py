"""Booking services: plain functions the API, the console and other packages call.

- ``hold``: a fresh check that the slot is free, then one transaction with the booking row
  (held; the database refuses an overlap: ``models``), the AI event that asked for it (raw
  payload kept) and its calendar ``SyncJob``, published after commit. The engine's calendar
  target (``sync``) writes the event, re-reads busy time and confirms or compensates.
- ``reschedule``: the row moves in one UPDATE (new range held, old released), back to held,
  with a job that moves the calendar event (with its etag).
- ``cancel``: released at once; a job cancels the calendar event.
- ``expire_holds``: holds past their expiry are released (the beat task), so a dead
  connection or a lost worker never keeps a slot.
- ``record_outcome``: attended / no-show, recorded by staff or the API.

A refused hold raises ``SlotTaken``; the caller (outside any transaction: it reads the
calendars) asks ``availability.alternatives`` what to offer instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from connectors.models import Connection
from connectors.registry import client_for
from syncs.audit.log import SYSTEM, audit_log
from syncs.calendar.bookings import availability, webhooks
from syncs.calendar.bookings.models import (
    LIVE_STATUSES,
    NO_OVERLAP,
    Booking,
    BookingOutcome,
    BookingStatus,
)
from syncs.calendar.models import CalendarRole, Service
from syncs.engine.outbox import lease_seconds, publish_on_commit, stamp_for_publishing
from syncs.models import DEFAULT_SOURCE_TAG, AiEvent, EventKind, EventStatus, JobStatus, SyncJob
from tenants.models import Client
from tenants.scoping import for_client

CREATE, MOVE, CANCEL = "create", "move", "cancel"
CALENDAR_TARGET = "calendar"


class BookingRefused(Exception):
    """A booking request that cannot be granted as asked (the API's 409s)."""

    slug = "conflict"


class SlotTaken(BookingRefused):
    """The slot is not free: busy in a calendar, held by another booking, or not offered."""

    slug = "slot-taken"


class NoBookingCalendar(BookingRefused):
    """The client has no calendar whose role is "writes"."""

    slug = "no-booking-calendar"


class NotChangeable(BookingRefused):
    """The booking is cancelled, expired or refused: it cannot be moved or cancelled again."""

    slug = "booking-not-changeable"


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""


def hold_seconds() -> int:
    return int(settings.BOOKING_HOLD_SECONDS)


def writes_calendar(client: Client) -> CalendarRole:
    """The calendar bookings go to: the client's "writes" calendar (the first, if several).
    Raises ``NoBookingCalendar``."""
    role = (
        for_client(CalendarRole, client)
        .filter(role=CalendarRole.Role.WRITES)
        .select_related("connection")
        .order_by("pk")
        .first()
    )
    if role is None:
        raise NoBookingCalendar("No calendar takes bookings: mark one as 'writes'.")
    return role


def buffered(service: Service, start: datetime) -> tuple[datetime, datetime, datetime, datetime]:
    """(start, end, buffer start, buffer end) of a booking of ``service`` at ``start``."""
    end = start + timedelta(minutes=service.duration_minutes)
    return (
        start,
        end,
        start - timedelta(minutes=service.buffer_before_minutes),
        end + timedelta(minutes=service.buffer_after_minutes),
    )


def _is_overlap(exc: IntegrityError) -> bool:
    return NO_OVERLAP in str(exc)


def _job(client: Client, event: AiEvent, connection: Connection) -> SyncJob:
    status = JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION
    return SyncJob(
        client=client,
        event=event,
        kind=CALENDAR_TARGET,
        connection=connection,
        provider=connection.provider,
        status=status,
    )


def _request(
    client: Client,
    kind: str,
    booking: Booking,
    operation: str,
    payload: dict[str, Any],
    connection: Connection,
) -> AiEvent:
    """The AI event of a booking operation (raw payload kept) and its calendar job, in the
    caller's transaction; the job is published after commit."""
    event = AiEvent.objects.create(
        client=client,
        kind=kind,
        payload=payload,
        normalised={"booking": str(booking.public_id), "operation": operation},
        source_tag=booking.source_tag or DEFAULT_SOURCE_TAG,
        chatbot_vendor=str(payload.get("chatbot_vendor") or "")[:64],
        session_id=booking.session_id,
        status=EventStatus.ACCEPTED if connection.is_usable else EventStatus.WAITING_CONNECTION,
    )
    job = _job(client, event, connection)
    stamp_for_publishing([job])
    job.save()
    if job.status == JobStatus.QUEUED:
        publish_on_commit([job.pk], stamped=True)
    return event


def hold(
    *,
    client: Client,
    service: Service,
    start: datetime,
    contact: Contact,
    time_zone: str,
    payload: dict[str, Any] | None = None,
    source_tag: str = "",
    session_id: str = "",
    check: bool = True,
    vendor: availability.Vendor = client_for,
) -> Booking:
    """Hold ``start`` for ``service`` and queue its calendar write; returns the held booking.

    Raises ``SlotTaken`` (not offered now, or another booking holds overlapping time),
    ``NoBookingCalendar``, or ``StaleCalendars`` (the service's "refuse" policy). With
    ``check`` it first reads the calendars to see that the slot is offered: do not call it so
    inside a transaction (a vendor call would hold it open); the API checks before its
    idempotency transaction and passes ``check=False``. Either way the database refuses an
    overlap with another booking."""
    if service.client_id != client.pk:
        raise ValueError("the service belongs to another client")
    resource = writes_calendar(client)
    if not service.active:
        raise SlotTaken("The service is not offered.")
    if check and not availability.slot_is_free(service, start, vendor=vendor):
        raise SlotTaken("The slot is not free.")
    start, end, buffer_start, buffer_end = buffered(service, start)
    booking_id = uuid.uuid4()
    booking = Booking(
        client=client,
        public_id=booking_id,
        event_key=booking_id,
        service=service,
        resource=resource,
        start=start,
        end=end,
        buffer_start=buffer_start,
        buffer_end=buffer_end,
        status=BookingStatus.HELD,
        hold_expires_at=timezone.now() + timedelta(seconds=hold_seconds()),
        contact_name=contact.name[:200],
        contact_email=contact.email,
        contact_phone=contact.phone[:32],
        time_zone=time_zone,
        provider=resource.connection.provider,
        source_tag=(source_tag or DEFAULT_SOURCE_TAG)[:64],
        session_id=session_id[:255],
    )
    with transaction.atomic():
        _release_expired(resource, buffer_start, buffer_end)
        # The event first, so the booking row is written once, already pointing at it; the
        # job after the row, so a refused hold leaves nothing (the whole transaction unwinds).
        booking.event = AiEvent.objects.create(
            client=client,
            kind=EventKind.BOOKING_REQUESTED,
            payload=payload or {},
            normalised={"booking": str(booking_id), "operation": CREATE},
            source_tag=booking.source_tag,
            chatbot_vendor=str((payload or {}).get("chatbot_vendor") or "")[:64],
            session_id=booking.session_id,
            status=(
                EventStatus.ACCEPTED
                if resource.connection.is_usable
                else EventStatus.WAITING_CONNECTION
            ),
        )
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
        except IntegrityError as exc:
            if _is_overlap(exc):
                raise SlotTaken("Another booking holds this time.") from exc
            raise
        job = _job(client, booking.event, resource.connection)
        stamp_for_publishing([job])
        job.save()
        if job.status == JobStatus.QUEUED:
            publish_on_commit([job.pk], stamped=True)
        audit_log(
            client=client,
            actor=SYSTEM,
            action="booking.held",
            target=f"booking:{booking.public_id}",
            details={"service": str(service.public_id), "start": start.isoformat()},
        )
    return booking


# A booking's calendar write the engine still owes: its job waits in our queue (not run
# yet, or requeued for a quota or a retry) or runs.
WRITE_STILL_COMING = (JobStatus.PENDING, JobStatus.QUEUED, JobStatus.FAILED, JobStatus.RUNNING)


def _write_waits_in_queue() -> Exists:
    """Whether the booking's creation job is still owed a run: pending or queued (a backlog
    in our queue), scheduled for a retry (a quota's wait, which under a burst can stand
    behind thousands of other runs for longer than any countdown says), or running. Such a
    hold is not expired: the write is still coming, and the booking was accepted. A job that
    waits for a connection, needs review or is dead lets the hold expire."""
    return Exists(
        SyncJob.objects.filter(
            event_id=OuterRef("event_id"),
            client_id=OuterRef("client_id"),
            status__in=WRITE_STILL_COMING,
        )
    )


def _moves_waiting_in_queue(expired: QuerySet[Booking]) -> list[int]:
    """Ids of the moves among ``expired`` whose move job is still owed a run (as
    ``_write_waits_in_queue`` says of a creation). A move's job hangs on its own AI event,
    which names the booking in ``normalised`` (the row keeps pointing at its creation's), so
    they are matched here by the booking's public id, per client."""
    moving = {
        (client_id, str(public_id)): pk
        for pk, client_id, public_id in expired.filter(previous_start__isnull=False).values_list(
            "pk", "client_id", "public_id"
        )
    }
    if not moving:
        return []
    owed = SyncJob.objects.filter(
        status__in=WRITE_STILL_COMING,
        event__kind=EventKind.BOOKING_RESCHEDULE,
        event__normalised__booking__in=sorted({key for _, key in moving}),
    ).values_list("client_id", "event__normalised__booking")
    return sorted({moving[found] for found in owed if found in moving})


def _keep_queued_holds(expired: QuerySet[Booking], now: datetime) -> QuerySet[Booking]:
    """Push the holds among ``expired`` whose write (a creation's or a move's) waits in our
    queue one lease on (the next sweep looks again); the rest, which may be released."""
    until = now + timedelta(seconds=lease_seconds())
    queued = expired.filter(_write_waits_in_queue(), previous_start__isnull=True)
    queued.update(hold_expires_at=until)
    moves = _moves_waiting_in_queue(expired)
    Booking.objects.filter(pk__in=moves).update(hold_expires_at=until)
    return expired.exclude(pk__in=queued.values("pk")).exclude(pk__in=moves)


def _release_expired(resource: CalendarRole, start: datetime, end: datetime) -> None:
    """Holds on this calendar over [start, end) that expired are released first, so a hold
    never waits for the sweep to find a slot free (unless their write waits in our queue)."""
    now = timezone.now()
    expired = Booking.objects.filter(
        resource=resource,
        status=BookingStatus.HELD,
        hold_expires_at__lt=now,
        buffer_start__lt=end,
        buffer_end__gt=start,
    )
    for booking in _keep_queued_holds(expired, now).select_for_update():
        expire(booking)


def reschedule(
    booking: Booking,
    start: datetime,
    *,
    payload: dict[str, Any] | None = None,
    vendor: availability.Vendor = client_for,
) -> Booking:
    """Move a booking to ``start``: the new range is held and the old one released in one
    UPDATE, and a job moves the calendar event. Raises ``SlotTaken`` or ``NotChangeable``."""
    service = booking.service
    if booking.status != BookingStatus.CONFIRMED:
        raise NotChangeable(f"A {booking.status} booking cannot be moved.")
    if not availability.slot_is_free(service, start, ignore=booking, vendor=vendor):
        raise SlotTaken("The slot is not free.")
    start, end, buffer_start, buffer_end = buffered(service, start)
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status != BookingStatus.CONFIRMED or current.resource is None:
            raise NotChangeable(f"A {current.status} booking cannot be moved.")
        _release_expired(current.resource, buffer_start, buffer_end)
        try:
            with transaction.atomic():
                Booking.objects.filter(pk=current.pk).update(
                    previous_start=F("start"),
                    previous_end=F("end"),
                    start=start,
                    end=end,
                    buffer_start=buffer_start,
                    buffer_end=buffer_end,
                    status=BookingStatus.HELD,
                    hold_expires_at=timezone.now() + timedelta(seconds=hold_seconds()),
                    updated_at=timezone.now(),
                )
        except IntegrityError as exc:
            if _is_overlap(exc):
                raise SlotTaken("Another booking holds this time.") from exc
            raise
        current.refresh_from_db()
        _request(
            current.client,
            EventKind.BOOKING_RESCHEDULE,
            current,
            MOVE,
            payload or {},
            current.resource.connection,
        )
        audit_log(
            client=current.client,
            actor=SYSTEM,
            action="booking.moving",
            target=f"booking:{current.public_id}",
            details={"from": str(current.previous_start), "to": start.isoformat()},
        )
    return current


def cancel(booking: Booking, *, reason: str = "", payload: dict[str, Any] | None = None) -> Booking:
    """Cancel a held or confirmed booking: its time is free at once, the ``booking.cancelled``
    webhook is sent, and a job cancels the calendar event. Cancelling a cancelled booking is a
    no-op; raises ``NotChangeable`` for one that never was (refused, expired)."""
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status == BookingStatus.CANCELLED:
            return current
        if current.status not in LIVE_STATUSES:
            raise NotChangeable(f"A {current.status} booking cannot be cancelled.")
        set_status(current, BookingStatus.CANCELLED, reason or "Cancelled by the caller.")
        request_event_removal(current, payload)
        webhooks.announce(current, webhooks.CANCELLED)
    return current


def request_event_removal(booking: Booking, payload: dict[str, Any] | None = None) -> None:
    """Queue the job that deletes a cancelled booking's calendar event (in the caller's
    transaction, the booking locked): a cancellation through the API, or a decline made in
    the calendar, which leaves the event there and busy."""
    if booking.resource is None:
        return
    _request(
        booking.client,
        EventKind.BOOKING_CANCEL,
        booking,
        CANCEL,
        payload or {},
        booking.resource.connection,
    )


def withdraw(booking: Booking, reason: str) -> None:
    """A booking being moved whose move was refused and whose confirmed time another booking
    has taken since (locked by the caller): it holds no time, so it is ``conflict``, and it is
    cleared away as a cancellation is. The cancel job removes its calendar event
    (``request_event_removal``, as for a cancelled booking), wherever the refused move left it:
    beside the other booking's event it would double-book the calendar. The packages around
    the booking (its CRM meeting) hear ``booking.cancelled`` (``webhooks.announce_withdrawn``);
    the chatbot's webhook, ``booking.conflict`` with alternatives, is the caller's to queue."""
    set_status(booking, BookingStatus.CONFLICT, reason)
    request_event_removal(booking)
    webhooks.announce_withdrawn(booking, reason)


def confirmed_time_taken(booking: Booking) -> bool:
    """Whether another live booking of the calendar now holds the confirmed time of a booking
    being moved, so that ``move_back`` would fail. A read that spares a calendar write which
    could not stand (moving the event back beside another booking's); what decides is still
    the database's no-overlap rule, in ``move_back``."""
    if booking.previous_start is None or booking.resource_id is None:
        return False
    _, _, buffer_start, buffer_end = buffered(booking.service, booking.previous_start)
    return (
        Booking.objects.filter(
            resource_id=booking.resource_id,
            status__in=LIVE_STATUSES,
            buffer_start__lt=buffer_end,
            buffer_end__gt=buffer_start,
        )
        .exclude(pk=booking.pk)
        .exists()
    )


def set_status(booking: Booking, status: str, reason: str = "") -> None:
    now = timezone.now()
    booking.status = status
    booking.status_reason = reason[:2000]
    booking.hold_expires_at = None
    fields = ["status", "status_reason", "hold_expires_at", "updated_at"]
    if status == BookingStatus.CANCELLED:
        booking.cancelled_at = now
        fields.append("cancelled_at")
    booking.save(update_fields=fields)
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action=f"booking.{status}",
        target=f"booking:{booking.public_id}",
        details={"reason": reason[:500]} if reason else {},
    )


def expire(booking: Booking) -> str:
    """Release one hold whose time ran out (the row locked by the caller). A move goes back to
    its confirmed time when that is still free (``booking.updated`` says the move was refused,
    so the caller learns its booking did not move), else the booking is expired; a move's
    event (written at its confirmed time, or at the new one) is then removed as a cancelled
    booking's, since another booking holds that time. Returns the new status."""
    moving = booking.previous_start is not None and booking.previous_end is not None
    reason = "The move was not written in time."
    if moving and move_back(booking, reason):
        webhooks.announce(booking, webhooks.UPDATED, move_refused=reason)
        return booking.status
    set_status(booking, BookingStatus.EXPIRED, "The hold expired before the calendar write.")
    if moving and booking.provider_event_id:
        request_event_removal(booking)
    webhooks.announce(booking, webhooks.CANCELLED)
    return booking.status


def move_back(booking: Booking, reason: str) -> bool:
    """Put a booking being moved back on its confirmed time (confirmed again); False when
    another booking has taken that time since."""
    assert booking.previous_start is not None and booking.previous_end is not None
    start, end, buffer_start, buffer_end = buffered(booking.service, booking.previous_start)
    try:
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(
                start=start,
                end=end,
                buffer_start=buffer_start,
                buffer_end=buffer_end,
                previous_start=None,
                previous_end=None,
                status=BookingStatus.CONFIRMED,
                status_reason=reason[:2000],
                hold_expires_at=None,
                updated_at=timezone.now(),
            )
    except IntegrityError as exc:
        if _is_overlap(exc):
            return False
        raise
    booking.refresh_from_db()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="booking.moved_back",
        target=f"booking:{booking.public_id}",
        details={"reason": reason[:500]},
    )
    return True


def expire_holds(now: datetime | None = None, *, batch: int = 500) -> int:
    """Release every hold past its expiry (the beat task); returns how many. A hold whose
    write is still coming (its job waits in our queue, or runs) is kept instead."""
    now = now or timezone.now()
    released = 0
    due = _keep_queued_holds(
        Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lt=now), now
    )
    for pk in list(due.order_by("hold_expires_at").values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(skip_locked=True)
                .select_related("client", "service")
                .filter(pk=pk, status=BookingStatus.HELD, hold_expires_at__lt=now)
                .first()
            )
            if booking is not None:
                expire(booking)
                released += 1
    return released


def record_outcome(booking: Booking, outcome: str, *, actor: str = SYSTEM) -> Booking:
    """Record whether the customer came (``BookingOutcome``), audited. Only a confirmed
    booking has an outcome."""
    if outcome not in BookingOutcome.values or not outcome:
        raise ValueError(f"unknown outcome {outcome!r}")
    if booking.status != BookingStatus.CONFIRMED:
        raise NotChangeable(f"A {booking.status} booking has no outcome.")
    booking.outcome = outcome
    booking.save(update_fields=["outcome", "updated_at"])
    audit_log(
        client=booking.client,
        actor=actor,
        action="booking.outcome",
        target=f"booking:{booking.public_id}",
        details={"outcome": outcome},
    )
    return booking
