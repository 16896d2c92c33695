"""Running one sync job, whatever its target: claim, load, dispatch to the target package,
classify what went wrong, store the outcome with the event's status in one commit.

Failures are classified by ``ConnectorError``: a dead grant → ``waiting_connection`` until the
client reconnects; anything else goes to the engine's state machine (``syncs.engine.jobs``):
``retry_after`` honoured, transient → backoff, permanent or attempts spent → ``dead``, audited.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef
from django.utils import timezone

from connectors import call_log, ratelimit
from connectors.base import ConnectorError
from connectors.http import is_throttle
from syncs.engine import jobs
from syncs.engine.events import refresh_event_status
from syncs.engine.targets import target_for
from syncs.engine.waits import wait_begins
from syncs.models import AuditEntry, JobStatus, SyncJob

log = logging.getLogger(__name__)
SYSTEM = "system"
# Set in a job's overrides when staff release it from review (see syncs.intake.review).
REVIEWED = "_reviewed"
# Where a run keeps the normalised person until its last commit writes it to the event.
NORMALISED = "_normalised_person"
RUNS_DIED = "Every run it was allowed died before finishing (its worker process was lost)."


# Built once rather than per job (benchmarks/RESULTS.md, "three cuts on plain paths"): ``get``
# chains a clone per call, as DRF uses a view's ``queryset`` attribute, so this queryset is
# never evaluated or changed itself.
JOB_WITH_RELATIONS = SyncJob.objects.select_related(
    "event", "client", "connection__field_mapping"
).annotate(
    has_siblings=Exists(
        SyncJob.objects.filter(event=OuterRef("event")).exclude(pk=OuterRef("pk")),
        output_field=BooleanField(),
    )
)


def load_job(job_id: int) -> SyncJob | None:
    """The job with everything its run reads in one query: ``event``, ``client``,
    ``connection`` and the connection's ``field_mapping``, and ``has_siblings`` (the event has
    other jobs, so its status must be read from all of them); None if there is no such job."""
    # ``get``, not ``first``: ``first`` orders by the model's ordering (``-created_at``), which
    # a primary-key lookup does not need and which cost a quarter of this query's compilation.
    try:
        job = JOB_WITH_RELATIONS.get(pk=job_id)
    except SyncJob.DoesNotExist:
        return None
    if job.event.client_id == job.client_id:
        job.event.client = job.client  # one tenant; saves a query when the event is announced
    return job


def sync_job_claim(job_id: int, *, holder: str = "") -> SyncJob | None:
    """Take the job for this run (``jobs.claim``) and load it, or None if not ours."""
    if not jobs.claim(SyncJob, job_id, holder=holder):
        return None
    job = load_job(job_id)
    if job is None:
        raise SyncJob.DoesNotExist(f"sync job {job_id} was claimed and then deleted")
    return job


def sync_job_run(job_id: int, *, vendor: Any = None, holder: str = "") -> str:
    """Run a job if it can be claimed; returns its status afterwards ('skipped' if not ours).

    ``vendor`` replaces the connection's client (tests). ``holder``: the Celery task id of the
    delivery running it. A message refused because another run holds the job's lease
    schedules one re-check for when the lease ends (``jobs.recheck_later``).
    """
    job = sync_job_claim(job_id, holder=holder)
    if job is None:
        if sync_job_dead_letter_lost(job_id):
            return JobStatus.DEAD
        jobs.recheck_later(SyncJob, job_id)
        return "skipped"
    with call_log.batch():
        external_id = None
        try:
            # A call's rate-limit answer rides with the next call's reservation; the last one
            # is recorded when the run returns, before the job's own writes.
            with ratelimit.answers_batched():
                external_id = _execute(job, vendor)
        except ConnectorError as exc:
            _after_failure(job, exc)
        except Exception as exc:  # a bug must not strand the job in "running"; retry, then dead
            log.exception("sync job %s crashed", job.pk)
            _after_failure(job, ConnectorError(f"{type(exc).__name__}: {exc}"))
        # The job's outcome, the calls not yet logged, the normalised person and the event's
        # status: one commit.
        with transaction.atomic():
            if external_id is not None:
                done = timezone.now()
                jobs.save_state(
                    job, JobStatus.SYNCED, external_id=external_id, finished_at=done, last_error=""
                )
            call_log.flush()
            refresh_event_status(
                job.event,
                jobs=None if getattr(job, "has_siblings", True) else [job],
                normalised=getattr(job, NORMALISED, None),
            )
    return job.status


def _execute(job: SyncJob, vendor: Any) -> str | None:
    """The target's run, once the job's connection is usable (else it waits for one)."""
    connection = job.connection
    if connection is None or not connection.is_usable:
        jobs.save_state(
            job,
            JobStatus.WAITING_CONNECTION,
            last_error="The connection is not usable.",
            **wait_begins(),
        )
        return None
    return target_for(job.kind).run(job, vendor=vendor)


def sync_job_dead_letter_lost(job_id: int) -> bool:
    """Dead-letter a job whose last attempt's run died (``jobs.dead_letter_lost``), audited and
    its event announced as a job whose attempts failed; True if it was one. Checked only when
    a claim is refused (no cost per lead)."""
    if not jobs.dead_letter_lost(SyncJob, job_id, error=RUNS_DIED):
        return False
    job = load_job(job_id)
    if job is None:  # deleted since: nothing to announce
        return True
    with transaction.atomic():
        _record_dead(job, RUNS_DIED)
        refresh_event_status(job.event)
    return True


def hold_for_review(job: SyncJob, reason: str) -> None:
    """Nothing is sent; staff see the reason, fix the fields and release the job."""
    now = timezone.now()
    jobs.save_state(
        job,
        JobStatus.NEEDS_REVIEW,
        review_reason=reason[:2000],
        finished_at=now,
        **wait_begins(now),
    )
    AuditEntry.record(
        client=job.client,
        actor=SYSTEM,
        action="sync.needs_review",
        target=f"job:{job.pk}",
        details={"reason": reason[:2000], "event": str(job.event.public_id)},
    )


def _after_failure(job: SyncJob, exc: ConnectorError) -> None:
    message = str(exc)[:2000]
    if exc.needs_reauth:
        jobs.save_state(job, JobStatus.WAITING_CONNECTION, last_error=message, **wait_begins())
        return
    # A 429, Salesforce's 403 REQUEST_LIMIT_EXCEEDED and Google's 403 rateLimitExceeded (their
    # clients call them rate_limited), and our own full bucket: a throttle is not a failed
    # attempt; the job comes back when the quota has room.
    throttled = is_throttle(exc)
    dead = jobs.fail(
        job, message, permanent=exc.permanent, retry_after=exc.retry_after, throttled=throttled
    )
    if dead:
        _record_dead(job, message)


def _record_dead(job: SyncJob, message: str) -> None:
    """The log line and audit entry of a job that just became dead."""
    log.error("sync job %s is dead after %d attempts: %s", job.pk, job.attempts, message)
    AuditEntry.record(
        client=job.client,
        actor=SYSTEM,
        action="sync.dead",
        target=f"job:{job.pk}",
        details={"attempts": job.attempts, "error": message, "provider": job.provider},
    )
