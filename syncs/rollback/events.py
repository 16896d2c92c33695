"""What a rollback means for the events whose writes it undid.

A lead whose CRM records were deleted must not keep saying ``synced``: once a rollback has undone
every record a synced job wrote, the job becomes ``rolled_back`` (with when and by which
rollback), its event's status follows, and the status change is announced to the client's
webhook endpoints (``lead.rolled_back``) like any other.

A job with a record the rollback kept (written since under another tag or outside its window)
still has a live write in the CRM, so it stays ``synced``; the rollback's report says what was
kept and why.
"""

from __future__ import annotations

from datetime import datetime

from syncs.engine.events import refresh_event_status
from syncs.models import ExternalRecord, JobStatus, RecordAction, SyncJob
from syncs.rollback.models import Rollback
from tenants.scoping import for_client


def job_rolled_back(record: ExternalRecord, rollback: Rollback, at: datetime) -> bool:
    """Mark ``record``'s job rolled back if nothing it wrote is live any more.

    Called in the transaction that marked ``record`` undone, so the job, its event and the
    webhook message change with it or not at all. Conditional on the job being ``synced``: of
    two rollbacks racing on one job, one marks it. Returns True when this call marked it.
    """
    if record.job_id is None:
        return False
    client = rollback.client
    live = for_client(ExternalRecord, client).filter(
        job_id=record.job_id,
        action__in=[RecordAction.CREATED, RecordAction.UPDATED],
        rolled_back_at__isnull=True,
    )
    if live.exists():
        return False
    marked = (
        for_client(SyncJob, client)
        .filter(pk=record.job_id, status=JobStatus.SYNCED)
        .update(status=JobStatus.ROLLED_BACK, rolled_back_at=at, rolled_back_by=rollback)
    )
    if not marked:
        return False
    job = for_client(SyncJob, client).select_related("event__client").get(pk=record.job_id)
    refresh_event_status(job.event)
    return True
