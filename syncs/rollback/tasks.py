"""Celery tasks of the rollback: thin, they load by id and call the service."""

from __future__ import annotations

from celery import shared_task


# As a sync job's: the worker's parent releases the step's lease when its process dies.
# Request= and engine_model= are task options celery-types do not declare.
@shared_task(  # type: ignore[call-overload]
    name="syncs.rollback.tasks.run_rollback_step",
    Request="syncs.engine.leases:EngineRequest",
    engine_model="syncs.RollbackStep",
)
def run_rollback_step(step_id: int) -> str:
    """Undo one record of a rollback, then queue the next step."""
    from syncs.rollback.services import rollback_step_run

    return rollback_step_run(step_id, holder=run_rollback_step.request.id or "")


@shared_task(name="syncs.rollback.tasks.sweep_rollbacks")
def sweep_rollbacks() -> int:
    """Pick up rollbacks whose chain of step messages broke."""
    from syncs.rollback.sweep import rollback_sweep

    return rollback_sweep()
