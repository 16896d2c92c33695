"""The sync service: run one job (normalise → map → duplicate check → CRM), and what happens
when it fails.

A job is claimed with a conditional UPDATE before any work, so a duplicated or re-delivered
message finds it taken and does nothing. Failures are classified by ``ConnectorError``:
``retry_after`` → retry no sooner than the vendor asked; transient → exponential backoff with
full jitter, at most ``SYNC_MAX_ATTEMPTS`` attempts, then ``dead``; permanent → ``dead`` with the
vendor's message; a dead grant → ``waiting_connection`` until the client reconnects.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connectors import call_log
from connectors.base import ConnectorError, CrmClient
from syncs import dedupe
from syncs.audit.log import SYSTEM, audit_log
from syncs.crm.clients import crm_client_for
from syncs.crm.mapping import apply_rules, rules_for
from syncs.crm.writes import (
    WriteContext,
    write_contact,
    write_deal,
    write_note,
    write_opt_out,
    write_tags,
)
from syncs.dedupe import held as held_duplicates
from syncs.engine.job_load import load_claimed_job
from syncs.engine.leases import sync_job_recheck_later
from syncs.engine.outbox import lease_seconds, publish_on_commit
from syncs.engine.waits import wait_begins
from syncs.intake.normalise import Person, normalise_person
from syncs.intake.selectors import event_status
from syncs.models import AiEvent, EventKind, JobStatus, SyncJob
from syncs.webhooks.events import announce_event_status
from tenants.scoping import for_client

log = logging.getLogger(__name__)
# Set in a job's overrides when staff release it from review (see syncs.intake.review).
REVIEWED = "_reviewed"
# Where a run keeps the normalised person until its last commit writes it to the event.
NORMALISED = "_normalised_person"
CLOCK_SKEW = timedelta(seconds=2)
RUNS_DIED = "Every run it was allowed died before finishing (its worker process was lost)."
PERSON_FIELDS = ("name", "first_name", "last_name", "email", "phone", "company")


def sync_job_claim(job_id: int, *, holder: str = "") -> SyncJob | None:
    """Take the job for this worker (one winner however many messages), or None.

    ``holder``: the Celery task id of the delivery running it, recorded so that the worker
    which sees that delivery's process die can release the lease (``syncs.engine.leases``)."""
    now = timezone.now()
    claimable = (
        Q(status__in=[JobStatus.PENDING, JobStatus.QUEUED])
        | (
            Q(status=JobStatus.FAILED)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLOCK_SKEW))
        )
        | Q(
            status=JobStatus.RUNNING,
            started_at__lt=now - timedelta(seconds=lease_seconds()),
            attempts__lt=settings.SYNC_MAX_ATTEMPTS,  # else dead-lettered (sync_job_run)
        )
    )
    taken = (
        SyncJob.objects.filter(pk=job_id)
        .filter(claimable)
        .update(
            status=JobStatus.RUNNING,
            started_at=now,
            attempts=F("attempts") + 1,
            claims=F("claims") + 1,
            lease_holder=holder,
        )
    )
    if not taken:
        return None
    # One read for everything the run needs (a prebuilt statement: see syncs.engine.job_load).
    job = load_claimed_job(job_id)
    if job is None:
        raise SyncJob.DoesNotExist(f"sync job {job_id} was claimed and then deleted")
    return job


def sync_job_run(job_id: int, *, crm: CrmClient | None = None, holder: str = "") -> str:
    """Run a job if it can be claimed; returns its status afterwards ('skipped' if not ours).

    ``crm`` replaces the connection's client (tests); otherwise it comes from the registry.
    ``holder``: see ``sync_job_claim``. A message refused because another run holds the job's
    lease schedules one re-check for when the lease ends (``sync_job_recheck_later``).
    """
    job = sync_job_claim(job_id, holder=holder)
    if job is None:
        if sync_job_dead_letter_lost(job_id):
            return JobStatus.DEAD
        sync_job_recheck_later(job_id)
        return "skipped"
    with call_log.batch():
        crm_id = None
        try:
            crm_id = _execute(job, crm)
        except ConnectorError as exc:
            _after_failure(job, exc)
        except Exception as exc:  # a bug must not strand the job in "running"; retry, then dead
            log.exception("sync job %s crashed", job.pk)
            _after_failure(job, ConnectorError(f"{type(exc).__name__}: {exc}"))
        # The job's outcome, the calls not yet logged, the normalised person and the event's
        # status: one commit.
        with transaction.atomic():
            if crm_id is not None:
                done = timezone.now()
                _set(job, JobStatus.SYNCED, crm_id=crm_id, finished_at=done, last_error="")
            call_log.flush()
            refresh_event_status(
                job.event,
                jobs=None if getattr(job, "has_siblings", True) else [job],
                normalised=getattr(job, NORMALISED, None),
            )
    return job.status


def sync_job_dead_letter_lost(job_id: int) -> bool:
    """Dead-letter a job whose last attempt's run died (its lease ran out at
    ``SYNC_MAX_ATTEMPTS``); True if it was one.

    Only a run that never finished leaves a job running past its lease, so a job there at its
    last attempt lost every run it was allowed: perhaps this lead kills its worker (out of
    memory). It is not run again; it ends ``dead``, audited, and its event is announced, as
    a job whose attempts failed. Checked only when a claim is refused (no cost per lead).
    """
    now = timezone.now()
    died = SyncJob.objects.filter(
        pk=job_id,
        status=JobStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=lease_seconds()),
        attempts__gte=settings.SYNC_MAX_ATTEMPTS,
    ).update(status=JobStatus.DEAD, finished_at=now, last_error=RUNS_DIED)
    if not died:
        return False
    job = load_claimed_job(job_id)
    if job is None:  # deleted since: nothing to announce
        return True
    with transaction.atomic():
        _record_dead(job, RUNS_DIED)
        refresh_event_status(job.event)
    return True


def _execute(job: SyncJob, crm: CrmClient | None) -> str | None:
    """Write the lead to the CRM; returns the contact's id ('' when only shadow-written), or
    None when the job stopped short (held for review, waiting for its connection)."""
    connection = job.connection
    if connection is None or not connection.is_usable:
        _set(
            job,
            JobStatus.WAITING_CONNECTION,
            last_error="The CRM connection is not usable.",
            **wait_begins(),
        )
        return None
    # Keys with a leading "_" are the job's own marks (released, held pair, linked contact).
    overrides = {k: v for k, v in job.overrides.items() if not k.startswith("_")}
    lead = _with_session_person({**job.event.payload, **overrides}, job)
    person = normalise_person(lead, job.client.default_region)
    if person.problems:
        hold_for_review(job, "; ".join(person.problems))
        return None
    fields = _lead_fields(lead, person, job.client.default_region)
    setattr(job, NORMALISED, person.as_dict())  # stored with the job's outcome
    mapped, problems = apply_rules(rules_for(connection), fields)
    if problems:
        hold_for_review(job, "; ".join(problems))
        return None
    # Staff who released a job from review have seen the likely duplicates: don't hold it again.
    if not job.overrides.get(REVIEWED):
        match = dedupe.check(job.client, person)
        if match.needs_review:
            held_duplicates.hold_duplicate(job, person, match)
            return None
    ctx = WriteContext(
        job=job,
        crm=crm or crm_client_for(connection),
        person=person,
        lead=fields,
        mapped=mapped,
        shadow=connection.shadow_mode,
    )
    contact_id = write_contact(ctx)
    if not ctx.shadow:
        _index_person(job, person, contact_id)
        held_duplicates.settle(job, contact_id)
    if job.event.kind == EventKind.OPT_OUT:
        write_opt_out(ctx, contact_id)
    else:
        write_deal(ctx, contact_id)
    write_note(ctx, contact_id)
    write_tags(ctx, contact_id)
    return contact_id


def _with_session_person(lead: dict[str, Any], job: SyncJob) -> dict[str, Any]:
    """An event naming the person only by chatbot session takes the person's fields from the
    latest earlier event of that session (same client) that had an email or a phone."""
    session = lead.get("chatbot_session_id")
    if lead.get("email") or lead.get("phone") or not session:
        return lead
    earlier = (
        for_client(AiEvent, job.client)
        .filter(session_id=session, received_at__lte=job.event.received_at)
        .exclude(pk=job.event_id)
        .order_by("-received_at")
    )
    for event in earlier[:20]:
        if event.payload.get("email") or event.payload.get("phone"):
            known = {k: event.payload[k] for k in PERSON_FIELDS if event.payload.get(k)}
            return {**known, **lead}
    return lead


def _lead_fields(lead: dict[str, Any], person: Person, region: str) -> dict[str, Any]:
    """What mapping rules read: the lead as sent, with the normalised person on top."""
    person_fields = {k: v for k, v in person.as_dict().items() if k != "problems"}
    aliases = {  # the names the CRM packages' default maps use
        "summary": lead.get("conversation_summary", ""),
        "session_id": lead.get("chatbot_session_id", ""),
    }
    return {**lead, **aliases, **person_fields, "_region": region}


def _index_person(job: SyncJob, person: Person, contact_id: str) -> None:
    """Add the person to the client's duplicate index with the CRM id we just wrote, so later
    leads (and staff reviewing duplicates) see them. The CRM write stands either way: a failure
    here is logged loudly, not retried, since re-running the job would not change the index.

    ``index`` matches again rather than reuse the check made before the CRM calls: another job
    may have indexed the same person in between."""
    try:
        dedupe.index(job.client, person, {job.provider: contact_id})
    except Exception:
        log.exception("sync job %s: could not index the person for duplicate detection", job.pk)


def _set(job: SyncJob, status: str, **fields: Any) -> None:
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    SyncJob.objects.filter(pk=job.pk).update(status=status, **fields)


def hold_for_review(job: SyncJob, reason: str) -> None:
    """Nothing is sent; staff see the reason, fix the fields and release the job."""
    now = timezone.now()
    _set(
        job,
        JobStatus.NEEDS_REVIEW,
        review_reason=reason[:2000],
        finished_at=now,
        **wait_begins(now),
    )
    audit_log(
        client=job.client,
        actor=SYSTEM,
        action="sync.needs_review",
        target=f"job:{job.pk}",
        details={"reason": reason[:2000], "event": str(job.event.public_id)},
    )


def retry_countdown(attempt: int) -> float:
    """Full jitter (AWS architecture blog): uniform in [1, min(cap, base·2^(attempt-1))]."""
    exponential = settings.SYNC_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    ceiling = min(settings.SYNC_RETRY_CAP_SECONDS, exponential)
    return min(max(1.0, random.uniform(0, ceiling)), settings.CELERY_MAX_COUNTDOWN)


def _after_failure(job: SyncJob, exc: ConnectorError) -> None:
    message = str(exc)[:2000]
    if exc.needs_reauth:
        _set(job, JobStatus.WAITING_CONNECTION, last_error=message, **wait_begins())
    elif exc.permanent:
        _dead(job, message)
    elif exc.retry_after is not None:
        # The vendor said when: honour it, and a throttle is not a failed attempt.
        countdown = min(max(float(exc.retry_after), 1.0), settings.CELERY_MAX_COUNTDOWN)
        # Salesforce says it with 403 REQUEST_LIMIT_EXCEEDED, which the client calls rate_limited.
        throttled = exc.status == 429 or exc.code == "rate_limited"
        _schedule_retry(job, message, countdown, counted=not throttled)
    elif job.attempts >= settings.SYNC_MAX_ATTEMPTS:
        _dead(job, message)
    else:
        _schedule_retry(job, message, retry_countdown(job.attempts), counted=True)


def _schedule_retry(job: SyncJob, message: str, countdown: float, *, counted: bool) -> None:
    if not counted:
        SyncJob.objects.filter(pk=job.pk).update(attempts=F("attempts") - 1)
        job.attempts -= 1
    next_at = timezone.now() + timedelta(seconds=countdown)
    _set(job, JobStatus.FAILED, last_error=message, next_attempt_at=next_at)
    publish_on_commit([job.pk], countdown=countdown)


def _dead(job: SyncJob, message: str) -> None:
    _set(job, JobStatus.DEAD, last_error=message, finished_at=timezone.now())
    _record_dead(job, message)


def _record_dead(job: SyncJob, message: str) -> None:
    """The log line and audit entry of a job that just became dead."""
    log.error("sync job %s is dead after %d attempts: %s", job.pk, job.attempts, message)
    audit_log(
        client=job.client,
        actor=SYSTEM,
        action="sync.dead",
        target=f"job:{job.pk}",
        details={"attempts": job.attempts, "error": message, "provider": job.provider},
    )


def refresh_event_status(
    event: AiEvent,
    *,
    jobs: list[SyncJob] | None = None,
    normalised: dict[str, Any] | None = None,
) -> str:
    """Store the event's status as its jobs now say (the API computes it the same way).

    ``jobs``: all of the event's jobs, current, when the caller holds them (a job with no
    siblings); otherwise they are read. ``normalised``: the person a run made of the event,
    written in the same statement as the status when that changes.
    """
    if jobs is None:
        jobs = list(SyncJob.objects.filter(event=event).order_by("pk"))
    status = event_status([job.status for job in jobs])
    pending = normalised is not None and normalised != event.normalised
    extra = {"normalised": normalised} if pending else {}
    # Conditional, so that of two jobs finishing together only one sees the change and announces it.
    changed = (
        AiEvent.objects.filter(pk=event.pk).exclude(status=status).update(status=status, **extra)
    )
    if pending and not changed:
        AiEvent.objects.filter(pk=event.pk).update(normalised=normalised)
    if pending:
        event.normalised = normalised
    event.status = status
    if changed:
        announce_event_status(event, jobs)
    return status
