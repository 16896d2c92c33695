"""Alternatives offered for a conflict found in a calendar change, read and announced on the
engine, after the change has committed.

A receiver of ``calendar_changed`` runs inside the sync pass's transaction (``syncs.calendar.
sync``); reading the calendars there for alternatives would hold that transaction (on SQLite,
the single write lock) open across vendor HTTP calls. So the receiver writes what it found
(the booking's new status, its audit entry) and ``queue`` adds a calendar ``SyncJob`` on the
booking's AI event, in the same transaction, carrying ``OFFER``; the job is published after
commit (the outbox's sweeper republishes a lost message, so the announcement is never lost).
Its run (``run``, called by ``syncs.calendar.bookings.sync.run``) reads the alternatives with
no transaction open, then announces them with the webhook in one transaction, once per job.

Two kinds: ``conflict`` (a move made in the calendar that the database refused: the booking is
``conflict``; ``webhooks.announce_conflict``), and ``overlapped`` (someone else's event over a
confirmed booking, which stands: ``booking.updated`` with ``calendar_conflict``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction

from connectors.base import ConnectorError
from connectors.models import Connection
from syncs.audit.log import SYSTEM, audit_log
from syncs.calendar.availability import StaleCalendars
from syncs.calendar.bookings import availability, webhooks
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.bookings.present import slots_body
from syncs.engine.outbox import publish_on_commit, stamp_for_publishing
from syncs.models import AuditEntry, JobStatus, SyncJob
from tenants.scoping import for_client

OFFER = "_offer"  # the job's mark in its overrides (as ``syncs.crm.meetings`` marks its own)
CONFLICT, OVERLAPPED = "conflict", "overlapped"
SENT = "booking.offer_sent"
NONE: dict[str, list[Any]] = {"before": [], "after": []}


def is_offer_job(job: SyncJob) -> bool:
    return OFFER in (job.overrides or {})


def queue(booking: Booking, kind: str, near: datetime, details: dict[str, Any]) -> SyncJob | None:
    """In the caller's transaction: a job that offers alternatives around ``near`` and then
    announces ``kind`` with ``details``. A booking with no AI event or no calendar left (both
    only after deletions) is announced now, with no alternatives: nothing could read them."""
    resource = booking.resource
    if booking.event_id is None or resource is None:
        _announce(booking, kind, details, NONE)
        return None
    connection = resource.connection
    job = SyncJob(
        client=booking.client,
        event_id=booking.event_id,
        kind="calendar",
        connection=connection,
        provider=connection.provider,
        status=JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION,
        overrides={
            OFFER: {
                "booking": str(booking.public_id),
                "kind": kind,
                "near": near.isoformat(),
                "details": details,
            }
        },
    )
    stamp_for_publishing([job])
    job.save()
    if job.status == JobStatus.QUEUED:
        publish_on_commit([job.pk], stamped=True)
    return job


def run(job: SyncJob, vendor: Callable[[Connection], Any]) -> str:
    """Read the alternatives (no transaction open), then announce them once; returns ''."""
    spec = job.overrides[OFFER]
    booking = (
        for_client(Booking, job.client)
        .select_related("client", "service", "resource")
        .filter(public_id=spec["booking"])
        .first()
    )
    if booking is None:
        return ""
    offer = alternatives(booking, datetime.fromisoformat(spec["near"]), vendor)
    target = f"booking:{booking.public_id}"
    with transaction.atomic():
        current = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("client", "service", "resource")
            .get(pk=booking.pk)
        )
        sent = AuditEntry.objects.filter(
            client=job.client, action=SENT, target=target, details__job=job.pk
        )
        if sent.exists():
            return ""  # a re-run of this job after its announcement committed
        audit_log(
            client=job.client,
            actor=SYSTEM,
            action=SENT,
            target=target,
            details={"job": job.pk, "kind": spec["kind"]},
        )
        _announce(current, spec["kind"], spec["details"], offer)
    return ""


def _announce(
    booking: Booking, kind: str, details: dict[str, Any], offer: dict[str, list[Any]]
) -> None:
    """The webhook of ``kind``, if the booking is still as the calendar change left it (a
    booking confirmed again, or cancelled since, is not announced as in conflict)."""
    if kind == CONFLICT and booking.status == BookingStatus.CONFLICT:
        webhooks.announce_conflict(booking, conflict=details, alternatives=offer)
    elif kind == OVERLAPPED and booking.status == BookingStatus.CONFIRMED:
        webhooks.announce(booking, webhooks.UPDATED, calendar_conflict=details, alternatives=offer)


def alternatives(
    booking: Booking, near: datetime, vendor: Callable[[Connection], Any]
) -> dict[str, list[Any]]:
    """Slots to move the booking to, near ``near`` (a fresh read; empty when the calendars
    cannot say now). Its own time counts as free while it is live."""
    ignore = booking if booking.is_live else None
    try:
        before, after = availability.alternatives(
            booking.service, near, ignore=ignore, vendor=vendor
        )
    except (StaleCalendars, ConnectorError, ValueError):
        return NONE
    return {
        "before": slots_body(before, booking.time_zone),
        "after": slots_body(after, booking.time_zone),
    }
