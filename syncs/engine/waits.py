"""Waits that are not sync latency: a job waiting for its client to connect (or reconnect) a
CRM, or for a person in the review queue.

Sync latency counts from the moment a job could run (the source article's "time from AI event
to CRM record", target under 5 s, measures the integration, not how long a client takes to
approve a connection or staff take to review). So each wait is recorded as it ends:
``waited_connection_ms`` / ``waited_review_ms`` add it up (shown separately in the console),
and ``ready_at``, the event's receipt moved later by every wait so far, is where latency
starts: ``finished_at - ready_at`` is the time the job spent queued, running, or backing off
after a vendor error (those count: they are the integration's own delay).

Every path that puts a job into a wait calls ``wait_begins``; every path that takes it out
calls ``wait_ends`` (both return the fields to save with the status change).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from syncs.models import SyncJob

CONNECTION = "connection"
REVIEW = "review"


def wait_begins(now: datetime | None = None) -> dict[str, Any]:
    """Fields for a job entering a wait now."""
    return {"waiting_since": now or timezone.now()}


def wait_ends(
    job: SyncJob, kind: str, *, received_at: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """Fields for ``job`` leaving a wait of ``kind`` now; also set on ``job``.

    ``received_at``: the job's event's receipt (where latency starts when there was no wait).
    A wait with no recorded start began when the job was written (a lead that arrived before
    any CRM was connected). Raises ValueError for an unknown kind.
    """
    if kind not in (CONNECTION, REVIEW):
        raise ValueError(f"unknown wait kind {kind!r}")
    now = now or timezone.now()
    began = job.waiting_since or job.created_at or now
    waited = max(now - began, timedelta(0))
    counter = f"waited_{kind}_ms"
    fields = {
        "waiting_since": None,
        counter: getattr(job, counter) + int(waited.total_seconds() * 1000),
        "ready_at": (job.ready_at or received_at) + waited,
    }
    for name, value in fields.items():
        setattr(job, name, value)
    return fields
