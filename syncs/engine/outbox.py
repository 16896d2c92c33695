"""The transactional outbox of sync jobs: publishing them after commit, releasing the ones
waiting for a connection, and the sweeper.

A job row is written in the same transaction as its event; the Celery message (just the id) is
sent only after that transaction commits, so a rolled-back request publishes nothing and a
committed one is published once. If the broker is down or the message is lost (a Redis
restarted empty), the sweeper finds the committed row and publishes it again; a duplicate
message is harmless because a worker must claim the row before doing anything
(``syncs.engine.jobs``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from connectors.models import Connection, ConnectionStatus
from syncs.engine import jobs
from syncs.engine.waits import CONNECTION, wait_ends
from syncs.models import JobStatus, SyncJob
from tenants.models import Client

log = logging.getLogger(__name__)


def publish_on_commit(
    job_ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> None:
    """Queue ``run_sync_job`` for each job once the current transaction commits."""
    jobs.publish_on_commit(SyncJob, job_ids, countdown, stamped=stamped)


def publish_now(
    job_ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> int:
    """Send the messages now; returns how many the broker accepted."""
    return jobs.publish_now(SyncJob, job_ids, countdown, stamped=stamped)


def stamp_for_publishing(new_jobs: list[SyncJob]) -> None:
    """New pending jobs are written already queued and published (``jobs.stamp_for_publishing``)."""
    jobs.stamp_for_publishing(new_jobs)


def lease_seconds() -> int:
    """How long a running job is presumed alive: the hard time limit kills it before that."""
    return int(SyncJob.lifecycle.lease().total_seconds())


def lost_jobs(now: datetime | None = None) -> list[int]:
    """Ids of jobs whose message was probably lost (``jobs.lost``)."""
    grace = timedelta(seconds=settings.SYNC_REPUBLISH_AFTER_SECONDS)
    return jobs.lost(SyncJob, grace=grace, now=now)


def release_waiting(connection: Connection | None = None) -> list[int]:
    """Jobs waiting for a connection that is usable now go back to pending and are published.
    With ``connection``, only that connection's client is looked at."""
    waiting_jobs = SyncJob.objects.filter(status=JobStatus.WAITING_CONNECTION)
    if connection is not None:
        waiting_jobs = waiting_jobs.filter(client_id=connection.client_id)
    released: list[int] = []
    with transaction.atomic():
        waiting = waiting_jobs.select_related("connection", "client", "event").order_by("pk")
        for job in waiting[: jobs.SWEEP_BATCH]:
            usable = _usable_connection(job)
            if usable is None:
                continue
            # The wait for a connection is no sync latency (syncs.engine.waits).
            waits = wait_ends(job, CONNECTION, received_at=job.event.received_at)
            updated = SyncJob.objects.filter(pk=job.pk, status=JobStatus.WAITING_CONNECTION).update(
                status=JobStatus.PENDING, connection=usable, provider=usable.provider, **waits
            )
            if updated:
                released.append(job.pk)
        publish_on_commit(released)
    return released


def _usable_connection(job: SyncJob) -> Connection | None:
    if job.connection is not None:  # (no query when connection_id is None)
        job.connection.refresh_from_db(fields=["status"])
        return job.connection if job.connection.is_usable else None
    return (
        connections_of_kind(job.client, job.kind, job.provider)
        .filter(status=ConnectionStatus.ACTIVE)
        .first()
    )


def connections_of_kind(client: Client, kind: str, provider: str = "") -> QuerySet[Connection]:
    """The client's connections of a target kind; only the chosen provider's when one is."""
    found = Connection.objects.filter(client=client, kind=kind).order_by("pk")
    return found.filter(provider=provider) if provider else found


def outbox_sweep() -> dict[str, int]:
    """The beat task's work: re-publish lost messages, release jobs whose connection is back."""
    lost = lost_jobs()
    republished = publish_now(lost) if lost else 0
    released = release_waiting()
    if lost:
        log.warning("outbox sweeper re-published %d of %d lost sync jobs", republished, len(lost))
    return {"republished": republished, "released": len(released)}


def on_connection_reconnected(sender: object = None, **kwargs: object) -> None:
    """Receiver for ``connectors.signals.connection_reconnected``: release that client's jobs."""
    connection = kwargs.get("connection") or kwargs.get("instance")
    if isinstance(connection, Connection):
        release_waiting(connection)
