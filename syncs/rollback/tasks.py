"""Celery task of the rollback: thin, loads by id and calls the service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="syncs.rollback.tasks.run_rollback_step")
def run_rollback_step(step_id: int) -> str:
    """Undo one record of a rollback, then queue the next step."""
    from syncs.rollback.services import rollback_step_run

    return rollback_step_run(step_id)


@shared_task(name="syncs.rollback.tasks.sweep_rollbacks")
def sweep_rollbacks() -> int:
    """Pick up rollbacks whose chain of step messages broke."""
    from syncs.rollback.sweep import rollback_sweep

    return rollback_sweep()
