"""Intake services: store an AI event and its sync jobs in one transaction (the outbox)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from connectors.models import Connection
from connectors.registry import get_spec
from syncs.engine.outbox import connections_of_kind, publish_on_commit, stamp_for_publishing
from syncs.engine.targets import LEAD_TARGET
from syncs.intake.intake_sql import write_event_and_jobs
from syncs.models import DEFAULT_SOURCE_TAG, AiEvent, EventStatus, JobStatus, SyncJob
from tenants.models import Client


def _lead_connections(client: Client) -> list[Connection]:
    """The client's connections a lead goes to (only the chosen provider's when one is), with
    just what a job needs: the tokens, decrypted on load, are not read."""
    provider = client.provider_for(LEAD_TARGET)
    found = connections_of_kind(client, LEAD_TARGET, provider)
    return list(found.only("id", "provider", "status"))


def _jobs_for(client: Client, connections: list[Connection]) -> list[SyncJob]:
    """One job per chosen connection, of its provider's kind; with none (or none usable) the
    job waits."""
    jobs = []
    for connection in connections:
        status = JobStatus.PENDING if connection.is_usable else JobStatus.WAITING_CONNECTION
        jobs.append(
            SyncJob(
                client=client,
                kind=get_spec(connection.provider).kind,
                connection=connection,
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
    """Store the event and its jobs atomically; the jobs are published after commit.

    Inside the caller's transaction (when it writes more, e.g. the idempotency record) it is
    part of it; otherwise it is its own. On PostgreSQL the whole write is one statement
    (``syncs.intake.intake_sql``); elsewhere the ORM writes it inside ``atomic(savepoint=False)``
    (no savepoint: an error here rolls the caller's whole transaction back). Either way a job
    to publish is written already stamped as published (no UPDATE after the send).
    Returns the event.
    """
    fields = {
        "public_id": uuid.uuid4(),
        "kind": kind,
        "payload": payload,
        "source_tag": str(payload.get("source_tag") or DEFAULT_SOURCE_TAG),
        "chatbot_vendor": str(payload.get("chatbot_vendor") or ""),
        "session_id": str(payload.get("chatbot_session_id") or ""),
    }
    if db.vendor == "postgresql":
        return _create_in_one_statement(client, fields)
    jobs = _jobs_for(client, _lead_connections(client))
    waiting = all(job.status == JobStatus.WAITING_CONNECTION for job in jobs)
    stamp_for_publishing(jobs)
    with transaction.atomic(savepoint=False):
        event = AiEvent.objects.create(
            client=client,
            **fields,
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


def _create_in_one_statement(client: Client, fields: dict[str, Any]) -> AiEvent:
    """PostgreSQL: the event and its jobs in one INSERT statement; the event is returned as
    a model instance loaded from what was written (no read back)."""
    now = timezone.now()
    written = write_event_and_jobs(
        client_pk=client.pk,
        crm_provider=client.provider_for(LEAD_TARGET),
        event_fields=fields,
        now=now,
    )
    queued = [job.pk for job in written.jobs if job.status == JobStatus.QUEUED]
    event = AiEvent(
        pk=written.event_pk,
        client=client,
        received_at=now,
        status=EventStatus.ACCEPTED if queued else EventStatus.WAITING_CONNECTION,
        **fields,
    )
    event._state.adding = False
    event._state.db = db.alias
    # Outside a transaction the statement has committed already and this publishes at once.
    publish_on_commit(queued, stamped=True)
    return event
