"""The "calendar" target of the sync engine (``syncs.engine.targets``): what one booking job
does in the calendar, and how an event written there is undone.

A create job: keep the hold alive while it works, write the event under our own id (the
booking's ``event_key``: a retried job finds the event the first attempt made, never a
second), record it (``ExternalRecord`` + audit, source-tagged), then read every blocking
calendar again over the buffered range. A foreign event there (one that is none of our
bookings') arrived between our check and our write: the event is cancelled again, the booking
is a ``conflict`` and ``booking.conflict`` says so with alternatives (``booking.cancelled`` to
an endpoint that only knows the older name: ``webhooks.announce_conflict``). Otherwise it is
confirmed and ``booking.created`` sent. A booking released meanwhile (expired, cancelled) gets
no event: one already written is cancelled.

A move job patches the event (with the etag we last saw) and re-reads the same way; a foreign
event over the new time puts the booking and the event back on their confirmed time (or, that
time being another booking's by then, the booking is a ``conflict``, announced with
alternatives by an offer job, and its event is removed by a cancel job, as a cancelled
booking's is). A cancel job deletes the event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors import call_log
from connectors.base import CalendarClient, CalendarEvent, ConnectorError, EventDraft
from connectors.http import is_throttle
from connectors.models import Connection
from connectors.registry import client_for as registry_client_for
from syncs.audit.log import SYSTEM, audit_log
from syncs.calendar import availability as pure
from syncs.calendar import selectors
from syncs.calendar.bookings import availability, offers, services, webhooks
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.bookings.present import in_zone, slots_body
from syncs.calendar.busy import read_busy
from syncs.calendar.models import CalendarRole
from syncs.engine.outbox import lease_seconds
from syncs.models import ExternalRecord, RecordAction, SyncJob
from tenants.models import Client
from tenants.scoping import for_client

log = logging.getLogger(__name__)
OBJECT_TYPE = "event"
DELETE = "delete"
# How often a job re-reads a booking that was moved in the calendar while it confirmed it,
# before leaving it to the engine's retry.
CHASES = 3
MOVED_KEPT = (
    "A moved booking is not moved back by a rollback (the customer agreed to the new time); "
    "rolling back its creation cancels it."
)


def client_for(connection: Connection) -> CalendarClient:
    """The calendar client for one of the client's calendar connections."""
    calendar: CalendarClient = registry_client_for(connection)
    return calendar


def run(job: SyncJob, *, vendor: CalendarClient | None = None) -> str | None:
    """Do the job's booking operation; returns the calendar event's id ('' when nothing was
    written). ``ConnectorError`` is the engine's to classify (a retry re-runs safely). A job
    marked ``offers.OFFER`` reads and announces alternatives for a calendar conflict."""
    if offers.is_offer_job(job):
        return offers.run(job, _vendor_factory(vendor))
    spec = job.event.normalised if isinstance(job.event.normalised, dict) else {}
    booking = (
        for_client(Booking, job.client)
        .select_related("client", "service", "resource")
        .filter(public_id=_uuid(spec.get("booking")))
        .first()
    )
    if booking is None:
        raise ConnectorError("The booking of this job is gone.", permanent=True)
    assert job.connection is not None  # the engine runs no job without a usable one
    calendar = vendor or client_for(job.connection)
    operation = spec.get("operation")
    try:
        if operation == services.CREATE:
            return _create(job, booking, calendar, vendor)
        if operation == services.MOVE:
            return _move(job, booking, calendar, vendor)
    except ConnectorError as exc:
        if is_throttle(exc):
            _hold_through_queue(booking, float(exc.retry_after or 0.0))
        raise
    if operation == services.CANCEL:
        return _cancel(job, booking, calendar)
    raise ConnectorError(f"Unknown booking operation {operation!r}.", permanent=True)


# --- create ------------------------------------------------------------------------------


def _create(
    job: SyncJob, booking: Booking, calendar: CalendarClient, vendor: CalendarClient | None
) -> str:
    role = _role(booking)
    if not _keep_hold(booking):
        return _already_done(booking) or _withdraw(job, booking, calendar, role)
    written = _written(job)
    if written is None:
        try:
            event = calendar.create_event(role.calendar_id, _draft(booking))
        except ConnectorError as exc:
            _refused_by_calendar(booking, exc)
            raise
        _record(job, booking, role, event, RecordAction.CREATED)
        event_id = event.id
    else:
        # An earlier run wrote and recorded the event, and its re-read was put off (a quota,
        # a transient error): only the re-read is left. Writing again would cost a call (the
        # insert's 409, then a read of the event) to learn what the record says already.
        event_id = written.external_id
    checked = _confirm_checked(booking, role, vendor, _confirm_created)
    if checked is None:  # cancelled or expired while we wrote: the event must not stay
        return _already_done(booking) or _withdraw(job, booking, calendar, role)
    if checked is not booking:  # someone else's event over it: take ours back
        return _refuse_after_write(job, checked, calendar, role, event_id, vendor)
    return event_id


def _confirm_created(booking: Booking) -> None:
    """Confirm a held booking (locked, still held, its time re-read) and announce it."""
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.CONFIRMED,
        confirmed_at=timezone.now(),
        hold_expires_at=None,
        updated_at=timezone.now(),
    )
    booking.refresh_from_db()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="booking.confirmed",
        target=f"booking:{booking.public_id}",
        details={"event": booking.provider_event_id},
    )
    webhooks.announce(booking, webhooks.CREATED)


def _span(booking: Booking) -> tuple[datetime, datetime]:
    return booking.buffer_start, booking.buffer_end


def _confirm_checked(
    booking: Booking,
    role: CalendarRole,
    vendor: CalendarClient | None,
    confirm: Callable[[Booking], None],
) -> Booking | None:
    """Re-read the booking's time in every blocking calendar, then ``confirm`` it under its
    row lock if it still holds the time that was read. A move made in the calendar meanwhile
    (``receivers``, which moves a held booking's row under the same lock) means the new time
    is read in its turn: what is confirmed is always a time that was re-read after the write.

    Returns ``booking`` when confirmed; None when it no longer holds time (cancelled,
    declined, refused, expired meanwhile); or the booking as it now stands when someone
    else's event is over its time (the caller compensates)."""
    for _ in range(CHASES):
        if _foreign_busy(booking, role, vendor):
            return Booking.objects.select_related("client", "service", "resource").get(
                pk=booking.pk
            )
        with transaction.atomic():
            current = (
                Booking.objects.select_for_update(of=("self",))
                .select_related("client", "service", "resource")
                .get(pk=booking.pk)
            )
            if current.status != BookingStatus.HELD:
                return None
            if _span(current) == _span(booking):
                confirm(current)
                booking.refresh_from_db()
                return booking
        booking.start, booking.end = current.start, current.end
        booking.buffer_start, booking.buffer_end = current.buffer_start, current.buffer_end
    raise ConnectorError("The booking kept moving in the calendar while it was confirmed.")


def _already_done(booking: Booking) -> str:
    """The event id of a booking another run of this job confirmed already ('' if not)."""
    booking.refresh_from_db(fields=["status", "provider_event_id"])
    return booking.provider_event_id if booking.status == BookingStatus.CONFIRMED else ""


def _refuse_after_write(
    job: SyncJob,
    booking: Booking,
    calendar: CalendarClient,
    role: CalendarRole,
    event_id: str,
    vendor: CalendarClient | None,
) -> str:
    """A foreign event appeared over the booking while we wrote ours: take ours back. The
    booking is refused before its event is deleted, so a calendar change reporting that
    deletion (a held booking takes a cancellation, ``receivers.apply_change``) finds it
    refused, not cancelled by its customer. Should the delete fail, the job's retry finds
    the booking no longer held and withdraws the event it recorded (``_withdraw``)."""
    offer = _alternatives(booking, vendor)
    reason = "Another event took this time in the calendar while the booking was written."
    refused = {
        "reason": reason,
        "event_id": event_id,
        "refused_start": in_zone(booking.start, booking.time_zone),
        "refused_end": in_zone(booking.end, booking.time_zone),
    }
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status == BookingStatus.HELD:
            services.set_status(current, BookingStatus.CONFLICT, reason)
            webhooks.announce_conflict(current, conflict=refused, alternatives=offer)
    calendar.cancel_event(role.calendar_id, event_id)
    with transaction.atomic():
        _mark_withdrawn(job, booking, event_id, "conflict")
    return event_id


def _withdraw(job: SyncJob, booking: Booking, calendar: CalendarClient, role: CalendarRole) -> str:
    """The booking no longer holds its time: no event may stand for it. An event an earlier
    attempt (or this one) wrote is cancelled; a hold that expired unswept is released."""
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status == BookingStatus.HELD:
            services.expire(current)
    written = _written(job)
    if written is not None:
        calendar.cancel_event(role.calendar_id, written.external_id)
        with transaction.atomic():
            _mark_withdrawn(job, booking, written.external_id, "released")
    return ""


# --- move --------------------------------------------------------------------------------


def _move(
    job: SyncJob, booking: Booking, calendar: CalendarClient, vendor: CalendarClient | None
) -> str:
    role = _role(booking)
    if booking.previous_start is None or not _keep_hold(booking):
        return ""  # moved back or released meanwhile: the calendar keeps the confirmed time
    try:
        event = calendar.update_event(
            role.calendar_id, booking.provider_event_id, _draft(booking), etag=booking.provider_etag
        )
    except ConnectorError as exc:
        if exc.code == "conflict":
            if _seen_newer(booking):
                # The calendar sync brought the changed event to the booking meanwhile (a move
                # there moved the held row too): write again from what the row holds now.
                raise ConnectorError(
                    "The event was changed in the calendar meanwhile; moving it again."
                ) from exc
            _back_to_confirmed(booking, "The event was changed in the calendar meanwhile.")
            return ""
        if exc.permanent and not exc.needs_reauth:
            _back_to_confirmed(booking, f"The calendar refused the move: {exc}")
        raise
    old = {"start": _iso(booking.previous_start), "end": _iso(booking.previous_end)}
    _record(job, booking, role, event, RecordAction.UPDATED, snapshot=old)
    checked = _confirm_checked(booking, role, vendor, _confirm_moved)
    if (
        checked is not None
        and checked is not booking
        and checked.status == BookingStatus.HELD
        and checked.previous_start is not None
        and checked.previous_end is not None
    ):
        reason = "Another event took the new time in the calendar."
        if services.confirmed_time_taken(checked):
            # No way back: moving the event there would put it beside the other booking's.
            _back_to_confirmed(checked, reason, event_back=False)
            return event.id
        back = _draft(checked, start=checked.previous_start, end=checked.previous_end)
        moved_back = calendar.update_event(role.calendar_id, event.id, back)
        _save_event(checked, moved_back)
        _back_to_confirmed(checked, reason)
    return event.id


def _confirm_moved(booking: Booking) -> None:
    """Confirm a moved booking at its new time (locked, still held, re-read); announce it."""
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.CONFIRMED,
        previous_start=None,
        previous_end=None,
        hold_expires_at=None,
        updated_at=timezone.now(),
    )
    moved_from = _iso(booking.previous_start)
    booking.refresh_from_db()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="booking.moved",
        target=f"booking:{booking.public_id}",
        details={"event": booking.provider_event_id, "from": moved_from},
    )
    webhooks.announce(booking, webhooks.UPDATED)


def _seen_newer(booking: Booking) -> bool:
    """Whether the calendar sync has brought a newer version of the event (its etag) to the
    booking since this job read it."""
    return (
        Booking.objects.filter(pk=booking.pk).exclude(provider_etag=booking.provider_etag).exists()
    )


def _back_to_confirmed(booking: Booking, reason: str, *, event_back: bool = True) -> None:
    """A refused move: back on the confirmed time (``booking.updated`` says the move failed),
    or, if another booking took that time meanwhile (or, with ``event_back`` False, had taken
    it when the job looked, so the event was left where the move put it), a conflict: the
    booking is withdrawn (``services.withdraw``: a job removes its event, as a cancelled
    booking's, and the CRM meeting is cancelled), and ``booking.conflict`` carries the
    alternatives near the refused time, read and sent by an offer job after this commits
    (``offers``: no vendor call under the row lock)."""
    with transaction.atomic():
        current = Booking.objects.select_for_update().select_related("service").get(pk=booking.pk)
        if current.status != BookingStatus.HELD or current.previous_start is None:
            return
        if event_back and services.move_back(current, reason):
            webhooks.announce(current, webhooks.UPDATED, move_refused=reason)
            return
        services.withdraw(current, reason)
        refused = {
            "reason": reason,
            "event_id": current.provider_event_id,
            "refused_start": in_zone(current.start, current.time_zone),
            "refused_end": in_zone(current.end, current.time_zone),
        }
        offers.queue(current, offers.CONFLICT, current.start, refused)


# --- cancel ------------------------------------------------------------------------------


def _cancel(job: SyncJob, booking: Booking, calendar: CalendarClient) -> str:
    booking.refresh_from_db(fields=["provider_event_id"])
    if not booking.provider_event_id or booking.resource is None:
        return ""  # never written: the create job withdraws whatever it writes
    calendar.cancel_event(booking.resource.calendar_id, booking.provider_event_id)
    with transaction.atomic():
        call_log.flush()
        audit_log(
            client=booking.client,
            actor=SYSTEM,
            action="calendar.event.cancelled",
            target=f"{job.provider}:{OBJECT_TYPE}:{booking.provider_event_id}",
            details={"booking": str(booking.public_id), "job": job.pk},
        )
    return booking.provider_event_id


# --- shared ------------------------------------------------------------------------------


def _role(booking: Booking) -> CalendarRole:
    if booking.resource is None:
        raise ConnectorError("The booking's calendar is no longer connected.", permanent=True)
    return booking.resource


def _keep_hold(booking: Booking) -> bool:
    """Keep a live hold at least until this run's lease ends (a running job keeps its slot;
    a job that never runs does not); False when the booking no longer holds its time.

    A hold past its time that nothing has released yet (the sweep runs every 30 s; a job
    may come out of a backlog in our queue just then) still holds the time, which no other
    booking can have while it is held: the write goes ahead."""
    now = timezone.now()
    live = Booking.objects.filter(pk=booking.pk, status=BookingStatus.HELD)
    if not live.exists():
        return False
    until = now + timedelta(seconds=lease_seconds())
    live.filter(hold_expires_at__lt=until).update(hold_expires_at=until)
    return True


def _hold_through_queue(booking: Booking, retry_after: float) -> None:
    """The write (or its re-read) was put off for a quota, ours or the vendor's: the engine
    requeues the job for ``retry_after`` without counting an attempt. The hold is kept until
    that run has had its lease, so a booking the API accepted (202) is not expired by the
    sweep while its write waits its turn in the queue; a hold only expires when its write is
    no longer coming (a dead connection, a lost or dead-lettered job)."""
    wait = max(retry_after, 1.0)  # the engine's shortest countdown (``jobs.fail``)
    until = timezone.now() + timedelta(seconds=wait + lease_seconds())
    Booking.objects.filter(
        pk=booking.pk, status=BookingStatus.HELD, hold_expires_at__lt=until
    ).update(hold_expires_at=until)


def _refused_by_calendar(booking: Booking, exc: ConnectorError) -> None:
    """The calendar refused the write for good (the engine dead-letters the job): the hold
    ends now as failed, rather than keeping the slot until it expires."""
    if not exc.permanent or exc.needs_reauth:
        return
    with transaction.atomic():
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status == BookingStatus.HELD and current.previous_start is None:
            services.set_status(current, BookingStatus.FAILED, f"The calendar refused it: {exc}")
            webhooks.announce(current, webhooks.CANCELLED)


def _draft(
    booking: Booking, *, start: datetime | None = None, end: datetime | None = None
) -> EventDraft:
    service = booking.service
    who = booking.contact_name or booking.contact_email or booking.contact_phone
    details = [f"Booked by Switchboard ({booking.source_tag})."]
    if booking.contact_phone:
        details.append(f"Phone: {booking.contact_phone}")
    return EventDraft(
        booking_id=str(booking.event_key),
        summary=f"{service.name}: {who}" if who else service.name,
        start=start or booking.start,
        end=end or booking.end,
        time_zone=(booking.resource.time_zone if booking.resource else "")
        or booking.client.time_zone,
        description="\n".join(details),
        attendees=(booking.contact_email,) if booking.contact_email else (),
        source_tag=booking.source_tag,
    )


def _uuid(value: object) -> uuid.UUID:
    """Our own booking id as a job or a record stored it (the nil UUID, which no booking has,
    for anything else)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.UUID(int=0)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _written(job: SyncJob) -> ExternalRecord | None:
    return (
        ExternalRecord.objects.filter(job=job, object_type=OBJECT_TYPE, action=RecordAction.CREATED)
        .filter(rolled_back_at__isnull=True)
        .first()
    )


def _save_event(booking: Booking, event: CalendarEvent) -> None:
    """The event's id and the etag our write got. The etag only while the row still holds
    the time we wrote: a move made in the calendar since (applied to the row by
    ``receivers`` with its own, newer etag) must not be overwritten by an older version."""
    booking.provider_event_id, booking.provider_etag = event.id, event.etag
    row = Booking.objects.filter(pk=booking.pk)
    row.update(provider_event_id=event.id, updated_at=timezone.now())
    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        row = row.filter(start=event.start, end=event.end)
    row.update(provider_etag=event.etag)


def _record(
    job: SyncJob,
    booking: Booking,
    role: CalendarRole,
    event: CalendarEvent,
    action: str,
    *,
    snapshot: dict[str, str] | None = None,
) -> None:
    """The event id on the booking, the write in our log (once per job: a re-run that met
    its own event again records nothing new) and its audit entry, with the vendor calls that
    led to it, in one commit."""
    with transaction.atomic():
        _save_event(booking, event)
        if not ExternalRecord.objects.filter(
            job=job, object_type=OBJECT_TYPE, action=action, external_id=event.id
        ).exists():
            ExternalRecord.objects.create(
                client=booking.client,
                job=job,
                provider=job.provider,
                object_type=OBJECT_TYPE,
                external_id=event.id,
                action=action,
                source_tag=booking.source_tag,
                session_id=booking.session_id,
                values={
                    "booking": str(booking.public_id),
                    "calendar_id": role.calendar_id,
                    "start": _iso(event.start if isinstance(event.start, datetime) else None),
                    "end": _iso(event.end if isinstance(event.end, datetime) else None),
                },
                snapshot=snapshot or {},
            )
            audit_log(
                client=booking.client,
                actor=SYSTEM,
                action=f"calendar.event.{action}",
                target=f"{job.provider}:{OBJECT_TYPE}:{event.id}",
                details={"booking": str(booking.public_id), "job": job.pk},
            )
        call_log.flush()


def _mark_withdrawn(job: SyncJob, booking: Booking, event_id: str, why: str) -> None:
    """Our own cancellation of an event we wrote: the record is undone (a rollback skips it),
    audited."""
    ExternalRecord.objects.filter(
        job=job, object_type=OBJECT_TYPE, external_id=event_id, rolled_back_at__isnull=True
    ).update(rolled_back_at=timezone.now())
    call_log.flush()
    audit_log(
        client=booking.client,
        actor=SYSTEM,
        action="calendar.event.withdrawn",
        target=f"{job.provider}:{OBJECT_TYPE}:{event_id}",
        details={"booking": str(booking.public_id), "job": job.pk, "why": why},
    )


def _vendor_factory(vendor: CalendarClient | None) -> Callable[[Connection], Any]:
    if vendor is None:
        return client_for
    return lambda _connection: vendor


def _foreign_busy(booking: Booking, role: CalendarRole, vendor: CalendarClient | None) -> bool:
    """Whether a blocking calendar, read now from its vendor (never the mirror, which may lag
    a push), has busy time over the booking's buffered range that is none of our bookings'
    events. The booking's own calendar must answer (else a transient error: the job re-runs);
    another unreadable calendar follows the service's stale policy, as availability does."""
    client = booking.client
    lo, hi = booking.buffer_start, booking.buffer_end
    roles = selectors.reading_roles(client)
    failures: dict[int, ConnectorError] = {}
    busy = read_busy(roles, lo, hi, vendor=_vendor_factory(vendor), live=True, failures=failures)
    unread = [r for r in roles if (r.connection_id, r.calendar_id) not in busy]
    needed = [r for r in unread if r.pk == role.pk or booking.service.stale_policy == pure.REFUSE]
    throttled = [e for r in needed if (e := failures.get(r.connection_id)) and is_throttle(e)]
    if throttled:
        # Put off for a quota (ours or the vendor's): the job waits its turn, as the write
        # did, rather than spend an attempt and back off as if the calendar had failed.
        raise max(throttled, key=lambda e: e.retry_after or 0.0)
    if needed:
        names = ", ".join(r.name or r.calendar_id for r in unread)
        raise ConnectorError(f"Could not re-read calendars after the write: {names}.")
    ids = {i.event_id for intervals in busy.values() for i in intervals if i.event_id}
    ours = set(
        for_client(Booking, client)
        .filter(provider_event_id__in=ids)
        .values_list("provider_event_id", flat=True)
    )
    foreign = {
        key: [i for i in intervals if not i.event_id or i.event_id not in ours]
        for key, intervals in busy.items()
    }
    spans = pure.busy_spans(
        selectors.calendar_busy(roles, foreign), client.time_zone, lo - timedelta(days=1), hi
    )
    return any(start < hi and end > lo for start, end in spans)


def _alternatives(booking: Booking, vendor: CalendarClient | None) -> dict[str, Any]:
    """What a booking refused after the write is offered instead (empty when the calendars
    cannot say now); its own hold and event, about to go, do not count."""
    try:
        before, after = availability.alternatives(
            booking.service, booking.start, ignore=booking, vendor=_vendor_factory(vendor)
        )
    except (pure.StaleCalendars, ConnectorError, ValueError):
        return {"before": [], "after": []}
    return {
        "before": slots_body(before, booking.time_zone),
        "after": slots_body(after, booking.time_zone),
    }


# --- rollback ----------------------------------------------------------------------------


def object_key(record: ExternalRecord) -> tuple[str, str, str]:
    return record.provider, record.object_type, record.external_id


def kept_reason(record: ExternalRecord) -> str:
    return MOVED_KEPT if record.action == RecordAction.UPDATED else ""


def undo(
    record: ExternalRecord,
    *,
    operation: str,
    values: dict[str, Any],
    client: Client,
    vendor: Any = None,
) -> bool:
    """Rolling back a tag cancels the events it created, and their bookings (with
    ``booking.cancelled``). Returns False: a vendor's delete does not say whether the event
    was there."""
    if operation != DELETE:
        raise ConnectorError(MOVED_KEPT, permanent=True)
    calendar_id = str((record.values or {}).get("calendar_id") or "")
    connection = record.job.connection if record.job is not None else None
    if connection is None:
        connection = for_client(Connection, client).filter(provider=record.provider).first()
    if connection is None or not calendar_id:
        raise ConnectorError(
            f"The client has no {record.provider} calendar connection any more.", permanent=True
        )
    calendar = vendor or client_for(connection)
    calendar.cancel_event(calendar_id, record.external_id)
    booking_id = str((record.values or {}).get("booking") or "")
    with transaction.atomic():
        booking = (
            for_client(Booking, client)
            .select_for_update()
            .filter(public_id=_uuid(booking_id), provider_event_id=record.external_id)
            .first()
        )
        if booking is not None and booking.is_live:
            services.set_status(booking, BookingStatus.CANCELLED, "Rolled back.")
            webhooks.announce(booking, webhooks.CANCELLED)
    return False
