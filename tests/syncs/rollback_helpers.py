"""A CRM double that can also restore fields, and helpers to run a rollback step by step."""

from __future__ import annotations

import copy
from dataclasses import replace

from django.utils import timezone

from syncs.engine.runs import sync_job_run
from syncs.rollback.models import Rollback, RollbackStep, StepStatus
from syncs.rollback.services import rollback_step_run

from .crm_double import MemoryCrm
from .helpers import lead_job


class UndoCrm(MemoryCrm):
    """``MemoryCrm`` plus ``restore_fields`` (the protocol method the connectors add)."""

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        self._call("restore_fields")
        store = {"contact": self.contacts, "deal": self.deals, "note": self.notes}[object_type]
        if record_id in store:
            before = store[record_id]
            store[record_id] = replace(before, fields={**before.fields, **values})

    def state(self) -> dict:
        return copy.deepcopy({"contacts": self.contacts, "deals": self.deals, "notes": self.notes})


def sync_lead(client, crm, **changes):
    job = lead_job(client, **changes)
    sync_job_run(job.pk, vendor=crm)
    return job


def run_rollback(rollback: Rollback, crm) -> list[str]:
    """Run every step in order, as the chained Celery tasks would; returns their statuses.

    A step waiting for a retry runs as its delayed message would: once due (the wait is
    skipped here, not the claim's check that it has come)."""
    statuses = []
    for step_id in (
        RollbackStep.objects.filter(rollback=rollback, status=StepStatus.PENDING)
        .order_by("position")
        .values_list("pk", flat=True)
    ):
        RollbackStep.objects.filter(pk=step_id, next_attempt_at__isnull=False).update(
            next_attempt_at=timezone.now()
        )
        statuses.append(rollback_step_run(step_id, vendor=crm))
    rollback.refresh_from_db()
    return statuses


def published_steps() -> list[int]:
    """Step ids published to kombu's in-memory transport (the broker fixture points Celery
    there), in publishing order; other messages are dropped."""
    from .conftest import drain_memory_queue

    return [args[0] for args, _eta in drain_memory_queue("syncs.rollback.tasks.run_rollback_step")]
