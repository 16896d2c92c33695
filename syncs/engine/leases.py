"""A running job's lease, after the run that holds it has died.

A claimed job is presumed alive for ``lease_seconds()``; a second message meanwhile finds it
taken. That protects a live run, but when its process dies the job would wait out the whole
lease (and the sweeper) before anyone runs it again. Two shortcuts, both conditional UPDATEs:

- ``sync_job_release``: the worker's parent process saw the pool process running the job die
  (``WorkerLostError``: OOM kill, SIGKILL) and releases the lease at once, so the message Celery
  redelivers (``task_reject_on_worker_lost``) claims the job straight away. A hard time limit
  is not a lost worker: that job keeps its lease (see ``SyncJobRequest``).
- ``sync_job_recheck_later``: a message refused because the job is running within its lease
  (a whole node died and no parent saw it) schedules one re-check for when the lease ends.

A re-run after either is a second claim, so it asks the CRM for what the dead run may have
written before writing (``SyncJob.claims``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from billiard.exceptions import WorkerLostError
from celery.worker.request import Request
from django.conf import settings
from django.db import connections
from django.db.models import F, Q
from django.utils import timezone

from syncs.engine.outbox import lease_seconds, publish_now
from syncs.models import JobStatus, SyncJob

log = logging.getLogger(__name__)
WORKER_LOST = "The worker process running this job died; released for the redelivered message."
# A re-check arrives this long after the lease ends, so the claim finds it expired.
RECHECK_MARGIN_SECONDS = 1.0


def sync_job_release(job_id: int, *, holder: str) -> bool:
    """Release the lease the delivery ``holder`` (a Celery task id) holds on the job, because
    its process is gone; True if released.

    One UPDATE, only while the job is still running under that delivery's claim: a run that
    finished, or a later run by another message, is never touched. The job becomes ``failed``
    and due now, which the redelivered message (and, if that is lost, the sweeper) claims.
    A job at ``SYNC_MAX_ATTEMPTS`` is left to its lease and then dead-lettered
    (``syncs.crm.sync.sync_job_dead_letter_lost``): one that kills its process every time (a
    lead that runs the worker out of memory) never loops.
    """
    if not holder:
        return False
    now = timezone.now()
    released = SyncJob.objects.filter(
        pk=job_id,
        status=JobStatus.RUNNING,
        lease_holder=holder,
        attempts__lt=settings.SYNC_MAX_ATTEMPTS,
    ).update(
        status=JobStatus.FAILED,
        next_attempt_at=now,
        published_at=now,
        last_error=WORKER_LOST,
    )
    return bool(released)


def sync_job_recheck_later(job_id: int) -> float | None:
    """For a message refused because the job is running within its lease: publish one re-check
    for when the lease ends; returns its countdown, or None if none was needed or sent.

    At most one per lease: the UPDATE stamps ``published_at`` only if no message was published
    since the run started, so however many duplicates are refused, one of them schedules it.
    """
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds())
    stamped = (
        SyncJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, started_at__gte=now - lease)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=F("started_at")))
        .update(published_at=now)
    )
    if not stamped:
        return None
    started_at = SyncJob.objects.filter(pk=job_id).values_list("started_at", flat=True).first()
    if started_at is None:
        return None
    countdown = max((started_at + lease - now).total_seconds(), 0.0) + RECHECK_MARGIN_SECONDS
    # Stamped already: if the broker is down, the sweeper publishes it after the lease.
    sent = publish_now([job_id], countdown=countdown, stamped=True)
    return countdown if sent else None


def _process_lost(exc: BaseException) -> bool:
    """The pool process running the task is gone (not a time limit, not the task's own error).

    Billiard reports a killed child as ``WorkerLostError``; newer billiards may report its exit
    as ``SystemExit`` first, which Celery then treats as a lost worker too."""
    exc = getattr(exc, "exc", exc)  # celery's ExceptionWithTraceback wraps the real one
    return isinstance(exc, WorkerLostError | SystemExit | KeyboardInterrupt)


class SyncJobRequest(Request):
    """``run_sync_job``'s request in the worker's parent process: when the pool process running
    it dies, release the job's lease before Celery requeues the message.

    A hard time limit (``TimeLimitExceeded``) also kills the process but is not released: the
    job ran too long once and would likely do so again, so it keeps its lease and is run again
    after it (by a re-check or the sweeper), never in a hot loop; Celery acknowledges its
    message (``acks_on_failure_or_timeout``).
    """

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> Any:
        if _process_lost(exc_info.exception):
            self._release_lease()
        return super().on_failure(
            exc_info, send_failed_event=send_failed_event, return_ok=return_ok
        )

    def _release_lease(self) -> None:
        # Never let our bookkeeping break Celery's: on any error the lease simply runs out.
        try:
            job_id = int(self.args[0])
            if sync_job_release(job_id, holder=self.id):
                log.warning("sync job %s: its worker process died; lease released", job_id)
        except Exception:
            log.exception("could not release the lease of task %s", self.id)
        finally:
            # The parent forks new pool processes: keep no connection open in it.
            for connection in connections.all(initialized_only=True):
                connection.close()
