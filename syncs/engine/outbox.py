"""The transactional outbox: publishing sync jobs after commit, and the sweeper.

A job row is written in the same transaction as its event; the Celery message (just the id) is
sent only after that transaction commits (``transaction.on_commit``), so a rolled-back request
publishes nothing and a committed one is published once. If the broker is down or the message
is lost (a Redis restarted empty), the sweeper finds the committed row and publishes it again;
a duplicate message is harmless because a worker must claim the row before doing anything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, F, Field, Q, QuerySet, Value, When
from django.utils import timezone

from connectors.models import Connection, ConnectionStatus
from syncs.engine.waits import CONNECTION, wait_ends
from syncs.models import JobStatus, SyncJob
from tenants.models import Client

log = logging.getLogger(__name__)
SWEEP_BATCH = 500


def publish_on_commit(
    job_ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> None:
    """Queue ``run_sync_job`` for each job once the current transaction commits.

    ``stamped``: the jobs were written already ``queued`` with ``published_at`` set (see
    ``stamp_for_publishing``), so a successful send needs no UPDATE.
    """
    if job_ids:
        transaction.on_commit(lambda: publish_now(job_ids, countdown, stamped=stamped))


def stamp_for_publishing(jobs: list[SyncJob]) -> None:
    """Mark new pending jobs as published, before their INSERT, to save an UPDATE per job.

    Their message is sent right after commit; if that fails, ``publish_now`` puts them back to
    pending and unpublished. If the process dies in between, the row looks published at its
    creation time and the sweeper re-publishes it after ``SYNC_REPUBLISH_AFTER_SECONDS``,
    exactly as it would a pending row created then.
    """
    now = timezone.now()
    for job in jobs:
        if job.status == JobStatus.PENDING:
            job.status, job.published_at = JobStatus.QUEUED, now


def publish_now(
    job_ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> int:
    """Send the messages; a failure is logged, not raised (the sweeper will publish again).

    Returns how many messages the broker accepted.
    """
    from syncs.engine.tasks import run_sync_job_publisher

    sent = 0
    delay = None if countdown is None else min(max(countdown, 0), settings.CELERY_MAX_COUNTDOWN)
    for job_id in job_ids:
        try:
            run_sync_job_publisher.send((job_id,), countdown=delay)
        except Exception:  # the broker is unreachable: the row stays for the sweeper
            log.exception("could not publish sync job %s; the sweeper will retry", job_id)
            if stamped:
                SyncJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
                    status=JobStatus.PENDING, published_at=None
                )
            continue
        sent += 1
        if not stamped:
            # One statement: stamp the publication, and a pending job becomes queued.
            SyncJob.objects.filter(pk=job_id).update(
                published_at=timezone.now(),
                status=Case(
                    When(status=JobStatus.PENDING, then=Value(JobStatus.QUEUED)),
                    default=F("status"),
                ),
            )
    return sent


def lease_seconds() -> int:
    """How long a running job is presumed alive: the hard time limit kills it before that."""
    return settings.CELERY_TASK_TIME_LIMIT + 30


def lost_jobs(now: datetime | None = None) -> list[int]:
    """Ids of jobs whose message was probably lost: committed but not published (or published
    long ago and still not started), a retry whose message never came, or a running job whose
    worker died past its lease.

    A pending or queued job whose message is still waiting in the broker's queue is not lost,
    only behind a backlog: it is left out (where the broker can be read, see
    ``jobs_waiting_in_broker``), or every sweep in a backlog would publish it again.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SYNC_REPUBLISH_AFTER_SECONDS)
    waiting = Q(status__in=[JobStatus.PENDING, JobStatus.QUEUED]) & (
        Q(published_at__lt=stale) | Q(published_at__isnull=True, created_at__lt=stale)
    )
    retry_lost = Q(status=JobStatus.FAILED, next_attempt_at__lt=stale) & (
        Q(published_at__isnull=True) | Q(published_at__lt=stale)
    )
    dead_worker = Q(
        status=JobStatus.RUNNING, started_at__lt=now - timedelta(seconds=lease_seconds())
    ) & (Q(published_at__isnull=True) | Q(published_at__lt=stale))
    candidates = list(
        SyncJob.objects.filter(waiting | retry_lost | dead_worker)
        .order_by("pk")
        .values_list("pk", "status")[:SWEEP_BATCH]
    )
    not_started = (JobStatus.PENDING, JobStatus.QUEUED)
    in_queue = (
        jobs_waiting_in_broker() if any(s in not_started for _, s in candidates) else None
    ) or set()
    return [pk for pk, status in candidates if not (status in not_started and pk in in_queue)]


def jobs_waiting_in_broker() -> set[int] | None:
    """Ids of the sync jobs whose message waits in the broker's queue; None where the broker
    cannot be read that way (then every candidate is re-published, as before)."""
    from syncs.engine.tasks import run_sync_job_publisher

    try:
        waiting = run_sync_job_publisher.waiting_args()
    except Exception:  # the broker is unreachable: re-publishing will fail and say so
        log.warning("could not list the sync-job messages waiting in the broker", exc_info=True)
        return None
    if waiting is None:
        return None
    return {args[0] for args in waiting if args and isinstance(args[0], int)}


def release_waiting(connection: Connection | None = None) -> list[int]:
    """Jobs waiting for a CRM connection that is usable now go back to pending and are
    published. With ``connection``, only that connection's client is looked at."""
    jobs = SyncJob.objects.filter(status=JobStatus.WAITING_CONNECTION)
    if connection is not None:
        jobs = jobs.filter(client_id=connection.client_id)
    released: list[int] = []
    with transaction.atomic():
        waiting = jobs.select_related("connection", "client", "event").order_by("pk")
        for job in waiting[:SWEEP_BATCH]:
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
    return crm_connections(job.client, job.provider).filter(status=ConnectionStatus.ACTIVE).first()


def crm_connections(client: Client, provider: str = "") -> QuerySet[Connection]:
    """The client's CRM connections; only the chosen provider's when one is chosen."""
    connections = Connection.objects.filter(client=client, kind="crm").order_by("pk")
    return connections.filter(provider=provider) if provider else connections


def crm_connections_for_intake(client: Client, provider: str = "") -> list[Connection]:
    """``crm_connections`` as a list holding only ``id``, ``provider`` and ``status`` (what a job
    needs), in one raw SELECT: intake runs this per request, and compiling the ORM query cost
    several times what the query itself did. The tokens (decrypted on load) are not read."""
    meta = Connection._meta
    quote = connections[Connection.objects.db].ops.quote_name

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field)  # a forward field, not a reverse relation
        # Field.column is Optional in django-stubs: None only on a field not attached to a model.
        return quote(cast(str, field.column))

    where = f"{column('client')} = %s AND {column('kind')} = %s"
    params: list[object] = [client.pk, "crm"]
    if provider:
        where += f" AND {column('provider')} = %s"
        params.append(provider)
    # Only the model's own identifiers are formatted in; every value is a bound parameter.
    sql = (
        f"SELECT {column('id')}, {column('provider')}, {column('status')} "  # noqa: S608
        f"FROM {quote(meta.db_table)} WHERE {where} ORDER BY {column('id')}"
    )
    return list(Connection.objects.raw(sql, params))


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
