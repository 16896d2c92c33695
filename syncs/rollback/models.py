"""Rollback state: one ``Rollback`` per staff request, one ``RollbackStep`` per record undone.

Kept out of ``syncs/models.py`` (owned by the intake work) and imported from there so Django
registers the models in the ``syncs`` app.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from syncs.engine.models import EngineRow, Lifecycle, full_jitter
from tenants.models import Client

MAX_STEP_ATTEMPTS = 5


class RollbackStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    DONE_WITH_ERRORS = "done_with_errors", "Done, with errors"


class Rollback(models.Model):
    """Undo everything written for ``client`` under ``source_tag`` (optionally narrowed to a
    time window and one chatbot session). The filters are kept so the report says what was
    asked; the steps say what was done."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="rollbacks")
    source_tag = models.CharField(max_length=64)
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    session_id = models.CharField(max_length=255, blank=True)
    requested_by = models.CharField(max_length=255)
    status = models.CharField(
        max_length=20, choices=RollbackStatus.choices, default=RollbackStatus.RUNNING
    )
    total = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    restored = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"rollback {self.pk} of {self.source_tag} ({self.status})"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"
    SKIPPED = "skipped", "Skipped (already rolled back)"
    KEPT = "kept", "Kept (written since under another tag)"
    FAILED = "failed", "Failed"


STEP_FINISHED = (
    *(StepStatus.DELETED, StepStatus.RESTORED, StepStatus.SKIPPED, StepStatus.KEPT),
    StepStatus.FAILED,
)


def _step_lease() -> timedelta:
    """As a sync job's: the hard time limit kills a step's run before that."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


class RollbackStep(EngineRow):
    """Undo of one ``ExternalRecord``: delete what we created, or restore what we replaced.

    ``position`` is the order of execution (newest write first); each step, once finished,
    queues the next, so a note goes before its contact and two updates unwind in order. A
    retry waits as ``pending`` until its ``next_attempt_at`` (the steps after it wait too);
    a step whose attempts are spent is ``failed`` (the engine's dead letter) and the rollback
    goes on.
    """

    lifecycle = Lifecycle(
        task="syncs.rollback.tasks.run_rollback_step",
        ready=(StepStatus.PENDING,),
        running=StepStatus.RUNNING,
        retry=StepStatus.PENDING,
        dead=StepStatus.FAILED,
        max_attempts=lambda: MAX_STEP_ATTEMPTS,
        lease=_step_lease,
        backoff=lambda attempt: full_jitter(attempt, base=2.0, cap=60.0),
    )

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    # Indexed by one_step_per_position (rollback, position), which it leads.
    rollback = models.ForeignKey(
        Rollback, on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    record = models.ForeignKey(
        "syncs.ExternalRecord", on_delete=models.CASCADE, related_name="rollback_steps"
    )
    position = models.PositiveIntegerField()
    operation = models.CharField(max_length=16)  # "delete" | "restore" | "keep" (as previewed)
    status = models.CharField(
        max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING, db_index=True
    )

    class Meta:
        ordering = ["rollback", "position"]
        constraints = [
            models.UniqueConstraint(fields=["rollback", "position"], name="one_step_per_position"),
        ]

    def __str__(self) -> str:
        return f"step {self.position} of rollback {self.rollback_id}: {self.operation}"
