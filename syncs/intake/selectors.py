"""Reads: an event's state as the API shows it, computed from its jobs (the truth)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from django.conf import settings

from syncs.engine.events import event_status
from syncs.models import AiEvent, EventStatus, JobStatus, SyncJob
from tenants.models import Client
from tenants.scoping import for_client

# States that will not change without a person (or a reconnect): ?wait stops there.
SETTLED = frozenset(
    {
        EventStatus.SYNCED,
        EventStatus.FAILED,
        EventStatus.NEEDS_REVIEW,
        EventStatus.WAITING_CONNECTION,
        EventStatus.ROLLED_BACK,
    }
)


def event_for_client(client: Client, public_id: UUID | str) -> AiEvent | None:
    return for_client(AiEvent, client).filter(public_id=public_id).first()


def event_detail(event: AiEvent) -> dict[str, Any]:
    """What ``GET /api/v1/events/{id}`` returns."""
    jobs = list(
        for_client(SyncJob, event.client)
        .filter(event=event)
        .select_related("rolled_back_by")
        .order_by("pk")
    )
    targets: list[dict[str, Any]] = [
        {
            "target": job.kind,
            "provider": job.provider,
            "status": job.status,
            "crm_id": job.external_id,
            "attempts": job.attempts,
            "next_attempt_at": job.next_attempt_at if job.status == JobStatus.FAILED else None,
            "reason": job.review_reason or job.last_error,
            "rolled_back": rolled_back_of(job),
        }
        for job in jobs
    ]
    # The API's first target id is the lead's CRM record (``crm_id``, a published field).
    crm_ids = [job.external_id for job in jobs if job.kind == "crm" and job.external_id]
    undone = [t["rolled_back"] for t in targets if t["rolled_back"]]
    return {
        "id": event.public_id,
        "kind": event.kind,
        "status": event_status([job.status for job in jobs]),
        "crm_id": crm_ids[0] if crm_ids else None,
        "received_at": event.received_at,
        "rolled_back": max(undone, key=lambda r: r["at"]) if undone else None,
        "targets": targets,
    }


def rolled_back_of(job: SyncJob) -> dict[str, Any] | None:
    """When and by which rollback the job's writes were undone (None while they stand).

    ``rolled_back_by`` should be selected with the job."""
    if job.status != JobStatus.ROLLED_BACK:
        return None
    rollback = job.rolled_back_by
    return {
        "at": job.rolled_back_at,
        "rollback_id": rollback.pk if rollback else None,
        "source_tag": rollback.source_tag if rollback else "",
    }


def event_detail_waiting(event: AiEvent, wait_seconds: int) -> dict[str, Any]:
    """``event_detail``, polling the database until the event settles or time runs out.

    Bounded (≤ ``SYNC_WAIT_MAX_SECONDS``) because every waiting request holds a web thread;
    how many may wait at once is ``syncs.intake.long_poll``'s business. The poll interval doubles
    from
    ``SYNC_WAIT_POLL_SECONDS`` to ``SYNC_WAIT_POLL_MAX_SECONDS``: most leads settle within a
    second, and a long wait should not cost ten queries a second.
    """
    deadline = time.monotonic() + min(wait_seconds, settings.SYNC_WAIT_MAX_SECONDS)
    interval = settings.SYNC_WAIT_POLL_SECONDS
    detail = event_detail(event)
    while detail["status"] not in SETTLED and time.monotonic() < deadline:
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, settings.SYNC_WAIT_POLL_MAX_SECONDS)
        detail = event_detail(event)
    return detail
