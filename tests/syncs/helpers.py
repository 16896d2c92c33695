"""Building events and jobs the way the intake API stores them."""

from __future__ import annotations

from syncs.intake.services import event_create
from syncs.models import AiEvent, SyncJob

from .conftest import LEAD


def lead_job(client, **changes) -> SyncJob:
    event = event_create(client=client, kind="lead.captured", payload={**LEAD, **changes})
    return SyncJob.objects.get(event=event)


def event_of(job: SyncJob) -> AiEvent:
    return AiEvent.objects.get(pk=job.event_id)
