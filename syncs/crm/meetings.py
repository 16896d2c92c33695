"""A booking as a meeting on the CRM contact, on the sync engine.

When a booking is confirmed, moved, cancelled or given an outcome, the bookings package sends
``booking_changed`` (``syncs.calendar.bookings.signals``); ``on_booking_changed`` answers with
one CRM ``SyncJob`` per CRM connection of the client, in the same transaction, carrying what
the meeting needs (``MEETING`` in its overrides: a copy of the booking at that moment, so this
package never reads the bookings' tables). The job belongs to the booking's own AI event.

Its run (``run``, called by ``syncs.crm.sync.run``) finds or creates the contact exactly as a
lead's job does (``writes.write_contact``: search by e-mail, then phone, then create), then
logs the meeting (``CrmClient.log_meeting``, idempotent on the booking id) or updates the one
an earlier job logged. Each write is an ``ExternalRecord`` (source-tagged, with what an update
replaced) and an audit entry, so a rollback of the tag deletes the meeting. Jobs of one booking
may run out of order (retries): each carries the moment of its change, and a job older than
what the CRM already shows, or than a cancellation that found nothing to cancel (recorded as
``SKIPPED``), does nothing. They run one at a time per booking from the check to the record,
by a lease on the booking (``MeetingLease``), with no database transaction open during the CRM
call.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors import call_log, locks
from connectors.base import ConnectorError, CrmClient, MeetingDraft
from connectors.http import LEASE_BUSY
from syncs.audit.log import SYSTEM, audit_log
from syncs.crm import clients
from syncs.crm.mapping import apply_rules, rules_for
from syncs.crm.writes import WriteContext, write_contact
from syncs.engine.outbox import (
    connections_of_kind,
    lease_seconds,
    publish_on_commit,
    stamp_for_publishing,
)
from syncs.engine.runs import hold_for_review
from syncs.engine.targets import LEAD_TARGET
from syncs.intake.normalise import normalise_person
from syncs.models import ExternalRecord, JobStatus, MeetingLease, RecordAction, SyncJob

log = logging.getLogger(__name__)
# The job's own mark (keys with "_" are never lead fields): the booking as the meeting needs it.
MEETING = "_meeting"
OBJECT_TYPE = "meeting"
# Changes of a booking (its webhook event types) and the meeting outcome each leads to.
CHANGE_OUTCOMES = {
    "booking.created": "scheduled",
    "booking.updated": "rescheduled",
    "booking.cancelled": "cancelled",
}
BOOKING_OUTCOMES = {"attended": "completed", "no_show": "no_show"}
OUTCOME_CHANGE = "booking.outcome"
# What a ``booking.updated`` carries when the booking did not move (``syncs.calendar.bookings``).
NOT_MOVED = frozenset({"move_refused", "calendar_conflict"})
# A free lease's ``until``: long past.
_FREE = datetime(2000, 1, 1, tzinfo=UTC)


def meeting_of(booking: Any, change: str) -> dict[str, Any]:
    """What a meeting job needs of the booking, as JSON (``Booking`` duck-typed: this package
    does not import the bookings' models). A booking cancelled while being moved (or withdrawn
    after a refused move) is cancelled at its confirmed time, the one the meeting shows: the
    new time was never confirmed."""
    service = getattr(booking, "service", None)
    start, end = booking.start, booking.end
    previous = getattr(booking, "previous_start", None), getattr(booking, "previous_end", None)
    if change == "booking.cancelled" and previous[0] and previous[1]:
        start, end = previous
    return {
        "booking": str(booking.public_id),
        "change": change,
        "outcome": str(booking.outcome or ""),
        "title": str(getattr(service, "name", "") or "Appointment"),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "time_zone": booking.time_zone,
        "name": booking.contact_name,
        "email": booking.contact_email,
        "phone": booking.contact_phone,
        "session_id": booking.session_id,
        "at": timezone.now().isoformat(),
    }


def on_booking_changed(
    sender: object = None, *, booking: Any, change: str, details: dict[str, Any] | None = None,
    **_: Any,
) -> None:  # fmt: skip
    """``booking_changed`` receiver: queue the meeting's CRM jobs in the booking's transaction.
    A cancellation of a booking that was never confirmed has no meeting to cancel (a booking
    withdrawn after a refused move, ``details`` ``withdrawn``, was: its meeting is cancelled);
    an update that moved nothing (a refused move, back on its time; a foreign event over it)
    leaves the meeting as the CRM shows it, rather than calling it rescheduled."""
    if change not in CHANGE_OUTCOMES and change != OUTCOME_CHANGE:
        return
    if change == "booking.updated" and NOT_MOVED.intersection(details or {}):
        return
    if change == "booking.cancelled" and getattr(booking, "confirmed_at", None) is None:
        return
    queue_meeting_jobs(booking, change)


def queue_meeting_jobs(booking: Any, change: str) -> list[SyncJob]:
    """One CRM job per CRM connection the client chose, on the booking's AI event, published
    after commit (waiting when the connection is not usable). None without an event or a CRM."""
    if booking.event_id is None:
        log.warning("booking %s has no AI event: its CRM meeting is not written", booking.pk)
        return []
    client = booking.client
    connections = connections_of_kind(client, LEAD_TARGET, client.provider_for(LEAD_TARGET))
    jobs = [
        SyncJob(
            client=client,
            event_id=booking.event_id,
            kind=LEAD_TARGET,
            connection=connection,
            provider=connection.provider,
            status=JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION,
            overrides={MEETING: meeting_of(booking, change)},
        )
        for connection in connections.only("id", "provider", "status")
    ]
    stamp_for_publishing(jobs)
    SyncJob.objects.bulk_create(jobs)
    publish_on_commit([j.pk for j in jobs if j.status == JobStatus.QUEUED], stamped=True)
    return jobs


def is_meeting_job(job: SyncJob) -> bool:
    return MEETING in (job.overrides or {})


def run(job: SyncJob, *, vendor: CrmClient | None = None) -> str | None:
    """Find or create the contact, then log or update the meeting; returns the meeting's id
    ('' when there was none to change), or None when the person is held for review."""
    connection = job.connection
    assert connection is not None  # the engine runs no job without a usable one
    meeting = job.overrides[MEETING]
    lead = {"name": meeting["name"], "email": meeting["email"], "phone": meeting["phone"],
            "chatbot_session_id": meeting["session_id"]}  # fmt: skip
    person = normalise_person(lead, job.client.default_region)  # as a lead's person
    if person.problems:
        hold_for_review(job, "; ".join(person.problems))
        return None
    region = job.client.default_region
    person_fields = {k: v for k, v in person.as_dict().items() if k != "problems"}
    # What mapping rules read, as for a lead (``syncs.crm.sync``): the default maps' aliases.
    fields = {**lead, "session_id": meeting["session_id"], **person_fields, "_region": region}
    mapped, problems = apply_rules(rules_for(connection), fields)
    if problems:
        hold_for_review(job, "; ".join(problems))
        return None
    crm = vendor or clients.crm_client_for(connection)
    ctx = WriteContext(job=job, crm=crm, person=person, lead=fields, mapped=mapped,
                       shadow=connection.shadow_mode)  # fmt: skip
    contact_id = write_contact(ctx)
    return write_meeting(ctx, contact_id, meeting)


def _draft(meeting: dict[str, Any], tag: str) -> MeetingDraft:
    outcome = CHANGE_OUTCOMES.get(meeting["change"], "scheduled")
    if meeting["change"] == OUTCOME_CHANGE:
        outcome = BOOKING_OUTCOMES.get(meeting["outcome"], "scheduled")
    return MeetingDraft(
        booking_id=meeting["booking"],
        title=meeting["title"],
        start=datetime.fromisoformat(meeting["start"]),
        end=datetime.fromisoformat(meeting["end"]),
        time_zone=meeting["time_zone"],
        description=f"Booked through {tag}.",
        outcome=outcome,
        source_tag=tag,
    )


def _known(job: SyncJob, booking_id: str) -> list[ExternalRecord]:
    """This CRM's live records of the booking's meeting, oldest first, with the marks of
    changes that had nothing to change (``SKIPPED``): their ``at`` counts as much."""
    return list(
        ExternalRecord.objects.filter(
            client=job.client, provider=job.provider, object_type=OBJECT_TYPE,
            values__booking=booking_id, rolled_back_at__isnull=True,
            action__in=(RecordAction.CREATED, RecordAction.UPDATED, RecordAction.SKIPPED),
        ).order_by("created_at", "pk")
    )  # fmt: skip


def write_meeting(ctx: WriteContext, contact_id: str, meeting: dict[str, Any]) -> str:
    """Log the booking's meeting on the contact, or change the one already logged.

    The jobs of one booking run one at a time from the check to the record: two workers would
    otherwise both find no meeting, and a CRM that checks then creates (Salesforce, Zoho)
    would log two. They take turns by the booking's ``MeetingLease`` (one short statement to
    take it, one to give it back), not by a row lock: no transaction stays open while the CRM
    answers. A job that finds the lease taken waits for it within the inline budget, then goes
    back to the queue without spending an attempt (``LEASE_BUSY``, a throttle)."""
    holder = _take_lease(ctx.job)
    try:
        return _write_meeting(ctx, contact_id, meeting)
    finally:
        MeetingLease.objects.filter(
            event_id=ctx.job.event_id, client=ctx.job.client, holder=holder
        ).update(holder="", until=_FREE, job=None)


def _take_lease(job: SyncJob) -> str:
    """Take the booking's lease (waiting up to ``MEETING_LEASE_WAIT_SECONDS``); returns our
    holder mark, or raises a ``ConnectorError`` throttle when another job keeps it longer."""
    MeetingLease.objects.get_or_create(
        event_id=job.event_id, defaults={"client": job.client, "until": _FREE}
    )
    holder = uuid.uuid4().hex
    lease = timedelta(seconds=lease_seconds())
    deadline = time.monotonic() + settings.MEETING_LEASE_WAIT_SECONDS
    # Free: expired, or held by a run of this job that died (the engine claimed the job
    # again), or by a job that no longer runs (its worker died; the engine released it).
    running = SyncJob.objects.filter(client=job.client, status=JobStatus.RUNNING).values("pk")
    while True:
        now = timezone.now()
        free = Q(until__lte=now) | Q(job=job.pk) | ~Q(job__in=running)
        taken = MeetingLease.objects.filter(free, event_id=job.event_id, client=job.client).update(
            holder=holder, until=now + lease, job=job.pk
        )
        if taken:
            return holder
        if time.monotonic() >= deadline:
            raise ConnectorError(
                "another job of this booking is writing its meeting; retried shortly",
                code=LEASE_BUSY,
                retry_after=settings.MEETING_LEASE_RETRY_SECONDS,
            )
        locks.pause()


def _write_meeting(ctx: WriteContext, contact_id: str, meeting: dict[str, Any]) -> str:
    job, tag = ctx.job, ctx.job.event.source_tag
    draft = _draft(meeting, tag)
    known = _known(job, draft.booking_id)
    earlier = [r for r in known if r.action != RecordAction.SKIPPED]
    values = {"booking": draft.booking_id, "at": meeting["at"], "outcome": draft.outcome,
              "start": meeting["start"], "end": meeting["end"], "contact": contact_id}  # fmt: skip
    if known and max(str(r.values.get("at", "")) for r in known) > meeting["at"]:
        # A later change is already in the CRM, or was a cancellation with nothing to cancel.
        return earlier[0].external_id if earlier else ""
    if ctx.shadow:
        action = RecordAction.WOULD_UPDATE if earlier else RecordAction.WOULD_CREATE
        _remember(job, earlier[0].external_id if earlier else "", action, values, tag)
        return ""
    if earlier:
        previous = ctx.crm.update_meeting(earlier[0].external_id, draft)
        _remember(job, previous.id, RecordAction.UPDATED, values, tag, dict(previous.fields))
        return previous.id
    if draft.outcome == "cancelled":
        # Never logged (the CRM was connected later, or the job that logs it is retrying):
        # nothing to cancel, but an older job of the booking must not log it afterwards.
        _remember(job, "", RecordAction.SKIPPED, values, tag)
        return ""
    made = ctx.crm.log_meeting(contact_id, draft)
    _remember(job, made.id, RecordAction.CREATED, values, tag)
    return made.id


def _remember(
    job: SyncJob, external_id: str, action: str, values: dict[str, Any], tag: str,
    snapshot: dict[str, str] | None = None,
) -> ExternalRecord:  # fmt: skip
    """The meeting write as an ``ExternalRecord`` with its audit entry and the calls that made
    it, committed together right after the write (as ``syncs.crm.writes`` records a lead's)."""
    with transaction.atomic():
        record = ExternalRecord.objects.create(
            client=job.client, job=job, provider=job.provider, object_type=OBJECT_TYPE,
            external_id=external_id, action=action, source_tag=tag,
            session_id=job.event.session_id, values=values, snapshot=snapshot or {},
        )  # fmt: skip
        if action in (RecordAction.CREATED, RecordAction.UPDATED):
            audit_log(
                client=job.client, actor=SYSTEM, action=f"crm.meeting.{action}",
                target=f"{job.provider}:meeting:{external_id}",
                details={"job": job.pk, "booking": values["booking"],
                         "outcome": values["outcome"]},
            )  # fmt: skip
        call_log.flush()
    return record
