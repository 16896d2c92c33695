"""Intake services: store an AI event and its sync jobs in one transaction (the outbox)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from connectors.models import Connection
from syncs.models import DEFAULT_SOURCE_TAG, AiEvent, EventStatus, JobStatus, SyncJob
from syncs.outbox import crm_connections_for_intake, publish_on_commit, stamp_for_publishing
from tenants.models import Client


def _jobs_for(client: Client, connections: list[Connection]) -> list[SyncJob]:
    """One CRM job per chosen CRM connection; with none (or none usable) the job waits."""
    jobs = []
    for connection in connections:
        status = JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION
        jobs.append(
            SyncJob(
                client=client,
                target="crm",
                connection=connection,
                provider=connection.provider,
                status=status,
            )
        )
    if not jobs:
        jobs.append(
            SyncJob(
                client=client,
                target="crm",
                provider=client.crm_provider,
                status=JobStatus.WAITING_CONNECTION,
            )
        )
    return jobs


def event_create(*, client: Client, kind: str, payload: dict[str, Any]) -> AiEvent:
    """Store the event and its jobs atomically; the jobs are published after commit.

    Must run inside the caller's transaction when the caller writes more (the idempotency
    record); opens its own otherwise. Inside the caller's transaction no savepoint is taken
    (two round trips saved): an error here propagates and rolls the whole transaction back.
    The jobs are built before the event so its status is right in the INSERT (no UPDATE), and
    a job to publish is written already stamped as published (no UPDATE after the send).
    Returns the event.
    """
    jobs = _jobs_for(client, crm_connections_for_intake(client, client.crm_provider))
    waiting = all(job.status == JobStatus.WAITING_CONNECTION for job in jobs)
    stamp_for_publishing(jobs)
    with transaction.atomic(savepoint=False):
        event = AiEvent.objects.create(
            client=client,
            kind=kind,
            payload=payload,
            source_tag=str(payload.get("source_tag") or DEFAULT_SOURCE_TAG),
            chatbot_vendor=str(payload.get("chatbot_vendor") or ""),
            session_id=str(payload.get("chatbot_session_id") or ""),
            **({"status": EventStatus.WAITING_CONNECTION} if waiting else {}),
        )
        for job in jobs:
            job.event = event
        if len(jobs) == 1:
            # The usual case: bulk_create's bookkeeping costs more CPU than the one INSERT.
            jobs[0].save(force_insert=True)
        else:
            SyncJob.objects.bulk_create(jobs)
        publish_on_commit([job.pk for job in jobs if job.status == JobStatus.QUEUED], stamped=True)
    return event
