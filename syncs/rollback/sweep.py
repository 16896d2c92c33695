"""The rollback sweeper (beat): a rollback whose chain of messages broke (a message lost, a
worker killed mid-step) is picked up again, so every rollback finishes without staff help.

Steps run one after another, so this is not the engine's sweep of independent rows: only the
next step of a stalled rollback is published, after any step whose lease ran out is put back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from syncs.engine.jobs import lease_expired
from syncs.rollback.models import Rollback, RollbackStatus, RollbackStep, StepStatus
from syncs.rollback.services import publish_next_step, rollback_finish


def _idle_since(rollback: Rollback) -> datetime:
    """The last moment a step of this rollback moved (or the rollback was created)."""
    last = RollbackStep.objects.filter(rollback=rollback).aggregate(
        started=Max("started_at"), finished=Max("finished_at"), retry=Max("next_attempt_at")
    )
    moments = [m for m in (*last.values(), rollback.created_at) if m is not None]
    return max(moments)


def rollback_sweep(now: datetime | None = None) -> int:
    """Re-queue the next step of every stalled rollback; returns how many were re-queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_REPUBLISH_AFTER_SECONDS)
    requeued = 0
    for rollback in Rollback.objects.filter(status=RollbackStatus.RUNNING).select_related("client"):
        if _idle_since(rollback) > stale:
            continue
        with transaction.atomic():
            # A step still running within its lease may just be slow: leave it alone.
            RollbackStep.objects.filter(rollback=rollback).filter(
                Q(status=StepStatus.RUNNING, started_at__isnull=True)
                | lease_expired(RollbackStep, now)
            ).update(status=StepStatus.PENDING)
            if publish_next_step(rollback) is not None:
                requeued += 1
            elif not RollbackStep.objects.filter(
                rollback=rollback, status=StepStatus.RUNNING
            ).exists():
                rollback_finish(rollback)
    return requeued
