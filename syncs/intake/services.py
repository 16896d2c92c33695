"""Intake services: store an AI event and its sync jobs in one transaction (the outbox)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from connectors.connection_cache import ConnectionRow, client_connections
from connectors.registry import get_spec
from syncs.engine.outbox import publish_on_commit, stamp_for_publishing
from syncs.engine.targets import LEAD_TARGET
from syncs.models import DEFAULT_SOURCE_TAG, AiEvent, EventStatus, JobStatus, SyncJob
from tenants.models import Client


def lead_connections(client: Client) -> list[ConnectionRow]:
    """The client's connections a lead goes to (only the chosen provider's when one is), as
    ``outbox.connections_of_kind`` chooses them, read from ``connectors.connection_cache``."""
    provider = client.provider_for(LEAD_TARGET)
    return [
        row
        for row in client_connections(client.pk)
        if row.kind == LEAD_TARGET and (not provider or row.provider == provider)
    ]


def _jobs_for(client: Client, connections: list[ConnectionRow]) -> list[SyncJob]:
    """One job per chosen connection, of its provider's kind; with none (or none usable) the
    job waits."""
    jobs = []
    for connection in connections:
        status = JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION
        jobs.append(
            SyncJob(
                client=client,
                kind=get_spec(connection.provider).kind,
                connection_id=connection.pk,
                provider=connection.provider,
                status=status,
            )
        )
    if not jobs:
        jobs.append(
            SyncJob(
                client=client,
                kind=LEAD_TARGET,
                provider=client.provider_for(LEAD_TARGET),
                status=JobStatus.WAITING_CONNECTION,
            )
        )
    return jobs


def event_create(*, client: Client, kind: str, payload: dict[str, Any]) -> AiEvent:
    """Store the event and its jobs in one transaction; the jobs are published after commit.

    Inside the caller's transaction (the idempotency record's) it is part of it. A job to
    publish is written already stamped as published (``stamp_for_publishing``), so a
    successful send needs no UPDATE. Returns the event.
    """
    jobs = _jobs_for(client, lead_connections(client))
    waiting = all(job.status == JobStatus.WAITING_CONNECTION for job in jobs)
    stamp_for_publishing(jobs)
    with transaction.atomic():
        event = AiEvent.objects.create(
            client=client,
            public_id=uuid.uuid4(),
            kind=kind,
            payload=payload,
            source_tag=str(payload.get("source_tag") or DEFAULT_SOURCE_TAG),
            chatbot_vendor=str(payload.get("chatbot_vendor") or ""),
            session_id=str(payload.get("chatbot_session_id") or ""),
            status=EventStatus.WAITING_CONNECTION if waiting else EventStatus.ACCEPTED,
        )
        for job in jobs:
            job.event = event
        SyncJob.objects.bulk_create(jobs)
        publish_on_commit([job.pk for job in jobs if job.status == JobStatus.QUEUED], stamped=True)
    return event
