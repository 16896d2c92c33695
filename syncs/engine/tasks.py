"""Celery tasks of the sync engine: thin wrappers that load by id and call a service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from syncs.models import IdempotencyRecord


# The worker's parent process releases the job's lease when the pool process running it dies
# (``engine_model`` names the table it releases in).
# Request= and engine_model= are task options celery-types do not declare.
@shared_task(  # type: ignore[call-overload]
    name="syncs.engine.tasks.run_sync_job",
    Request="syncs.engine.leases:EngineRequest",
    engine_model="syncs.SyncJob",
)
def run_sync_job(job_id: int) -> str:
    """Run one sync job (claimed first, so a duplicate message is a no-op)."""
    from syncs.engine.runs import sync_job_run

    return sync_job_run(job_id, holder=run_sync_job.request.id or "")


@shared_task(name="syncs.engine.tasks.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    """Re-publish jobs whose message was lost; release jobs whose connection is back."""
    from syncs.engine.outbox import outbox_sweep

    return outbox_sweep()


@shared_task(name="syncs.engine.tasks.prune_idempotency_records")
def prune_idempotency_records() -> int:
    """Forget Idempotency-Keys older than IDEMPOTENCY_KEY_TTL_HOURS (at least 24 h)."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
