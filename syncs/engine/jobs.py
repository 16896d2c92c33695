"""The job state machine, once, for every table with a ``Lifecycle`` (sync jobs, rollback
steps, webhook deliveries): publish after commit, claim, lease, retry with backoff, dead letter
and the sweeper's view of what was lost.

The row is the truth and the Celery message only carries its id: a rolled-back transaction
publishes nothing (``transaction.on_commit``), a lost message is published again by a sweeper,
and a duplicated one finds the row claimed (one conditional UPDATE decides the winner). Every
state change here is a conditional UPDATE, so two workers racing on one row never both win.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from celery import current_app
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from syncs.engine.models import EngineRow, capped_countdown

log = logging.getLogger(__name__)
# A retry due within this much of now may be claimed (workers' clocks differ a little).
CLOCK_SKEW = timedelta(seconds=1)
# A message refused within a lease re-checks this long after the lease ends.
RECHECK_MARGIN_SECONDS = 1.0
WORKER_LOST = "The worker process running this job died; released for the redelivered message."
SWEEP_BATCH = 500
ERROR_CAP = 2000

Model = type[EngineRow]


def stamp_for_publishing(rows: Iterable[EngineRow]) -> None:
    """Mark new ready rows as published before their INSERT, saving an UPDATE per row.

    Their message is sent right after commit; if that fails, ``publish_now`` puts them back.
    If the process dies in between, the row looks published at its creation and the sweeper
    publishes it again after its grace, exactly as it would an unpublished row created then.
    """
    now = timezone.now()
    for row in rows:
        lifecycle = type(row).lifecycle
        if row.status in lifecycle.ready:
            row.published_at = now
            if lifecycle.queued:
                row.status = lifecycle.queued


def publish_on_commit(
    model: Model, ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> None:
    """Queue the model's task for each id once the current transaction commits.

    ``stamped``: the rows were written already published (``stamp_for_publishing``)."""
    if ids:
        transaction.on_commit(partial(publish_now, model, list(ids), countdown, stamped=stamped))


def publish_now(
    model: Model, ids: list[int], countdown: float | None = None, *, stamped: bool = False
) -> int:
    """Send the messages with ``apply_async``; a broker failure is logged, not raised (a
    sweeper publishes again). Returns how many messages the broker accepted."""
    lifecycle = model.lifecycle
    task = import_string(lifecycle.task)
    delay = None if countdown is None else capped_countdown(countdown)
    sent = 0
    for pk in ids:
        try:
            task.apply_async((pk,), countdown=delay)
        except Exception:  # the broker is unreachable: the row stays for the sweeper
            log.exception("could not publish %s %s; the sweeper will retry", model.__name__, pk)
            if stamped and lifecycle.queued:
                model.objects.filter(pk=pk, status=lifecycle.queued).update(
                    status=lifecycle.ready[0], published_at=None
                )
            continue
        sent += 1
        if not stamped:
            _stamp_published(model, pk)
    return sent


def _stamp_published(model: Model, pk: int) -> None:
    """One statement: the publication is stamped, and a ready row becomes queued."""
    lifecycle = model.lifecycle
    fields: dict[str, Any] = {"published_at": timezone.now()}
    if lifecycle.queued:
        fields["status"] = Case(
            When(status__in=lifecycle.ready, then=Value(lifecycle.queued)), default=F("status")
        )
    model.objects.filter(pk=pk).update(**fields)


def lease_expired(model: Model, now: datetime) -> Q:
    """Running rows whose run is presumed dead: started longer than the lease ago."""
    lifecycle = model.lifecycle
    return Q(status=lifecycle.running, started_at__lt=now - lifecycle.lease())


def claim(
    model: Model, pk: int, *, holder: str = "", now: datetime | None = None, **also: Any
) -> bool:
    """Take the row for this run (one winner however many messages); True if taken.

    Claimable: ready, or a retry whose time has come, or running past its lease below the last
    attempt (its run died; at the last attempt ``dead_letter_lost`` ends it instead).
    ``holder``: the Celery task id of the delivery running it (see ``release``). ``also``:
    more columns the table sets when a run starts.
    """
    lifecycle = model.lifecycle
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now + CLOCK_SKEW)
    # Not started or a retry, once due (one branch: the ORM compiles this on every claim).
    waiting = tuple(dict.fromkeys((*lifecycle.startable, lifecycle.retry)))
    claimable = (Q(status__in=waiting) & due) | (
        lease_expired(model, now) & Q(attempts__lt=lifecycle.max_attempts())
    )
    taken = model.objects.filter(claimable, pk=pk).update(
        status=lifecycle.running,
        started_at=now,
        attempts=F("attempts") + 1,
        claims=F("claims") + 1,
        lease_holder=holder,
        **also,
    )
    return bool(taken)


def release(model: Model, pk: int, *, holder: str) -> bool:
    """Release the lease the delivery ``holder`` holds, because its process is gone; True if
    released. Only while the row still runs under that delivery's claim, and below the last
    attempt (a row that kills its process every time is left to its lease, then dead-lettered,
    so it never loops). The row becomes a retry due now."""
    if not holder:
        return False
    lifecycle = model.lifecycle
    now = timezone.now()
    released = model.objects.filter(
        pk=pk,
        status=lifecycle.running,
        lease_holder=holder,
        attempts__lt=lifecycle.max_attempts(),
    ).update(status=lifecycle.retry, next_attempt_at=now, published_at=now, last_error=WORKER_LOST)
    return bool(released)


def recheck_later(model: Model, pk: int) -> float | None:
    """For a message refused because the row runs within its lease: publish one re-check for
    when the lease ends; returns its countdown, or None if none was needed or sent.

    At most one per lease: ``published_at`` is stamped only if nothing was published since
    the run started, so however many duplicates are refused, one of them schedules it."""
    lifecycle = model.lifecycle
    now = timezone.now()
    lease = lifecycle.lease()
    stamped = (
        model.objects.filter(pk=pk, status=lifecycle.running, started_at__gte=now - lease)
        .filter(Q(published_at__isnull=True) | Q(published_at__lt=F("started_at")))
        .update(published_at=now)
    )
    if not stamped:
        return None
    started_at = model.objects.filter(pk=pk).values_list("started_at", flat=True).first()
    if started_at is None:
        return None
    countdown = max((started_at + lease - now).total_seconds(), 0.0) + RECHECK_MARGIN_SECONDS
    # Stamped already: if the broker is down, the sweeper publishes it after the lease.
    sent = publish_now(model, [pk], countdown=countdown, stamped=True)
    return countdown if sent else None


def dead_letter_lost(model: Model, pk: int, *, error: str, now: datetime | None = None) -> bool:
    """Dead-letter a row whose last allowed run died (running past its lease at the last
    attempt); True if it was one. It is not run again: perhaps it kills its worker."""
    lifecycle = model.lifecycle
    now = now or timezone.now()
    died = (
        model.objects.filter(lease_expired(model, now), pk=pk)
        .filter(attempts__gte=lifecycle.max_attempts())
        .update(status=lifecycle.dead, finished_at=now, last_error=error[:ERROR_CAP])
    )
    return bool(died)


def save_state(row: EngineRow, status: str, **fields: Any) -> None:
    """Set the row's status and fields, on the instance and in one UPDATE."""
    row.status = status
    for name, value in fields.items():
        setattr(row, name, value)
    type(row).objects.filter(pk=row.pk).update(status=status, **fields)


def fail(
    row: EngineRow,
    error: str,
    *,
    permanent: bool = False,
    retry_after: float | None = None,
    throttled: bool = False,
    now: datetime | None = None,
) -> bool:
    """After a failed attempt: schedule a retry, or dead-letter; True if the row is dead.

    ``retry_after`` (the vendor said when) is honoured as the countdown, up to what a message
    may carry; ``throttled`` (a rate limit, not a failure) gives the attempt back. Otherwise
    the table's backoff decides, until its attempts are spent. A countdown longer than a
    message may carry is only stored: the sweeper publishes the row when it is due."""
    lifecycle = type(row).lifecycle
    error = error[:ERROR_CAP]
    if permanent:
        return _dead(row, error, now)
    if retry_after is not None:
        countdown: float | None = capped_countdown(max(float(retry_after), 1.0))
    elif row.attempts >= lifecycle.max_attempts():
        return _dead(row, error, now)
    else:
        countdown = lifecycle.backoff(row.attempts)
    if countdown is None:
        return _dead(row, error, now)
    if throttled:
        type(row).objects.filter(pk=row.pk).update(attempts=F("attempts") - 1)
        row.attempts -= 1
    next_at = (now or timezone.now()) + timedelta(seconds=countdown)
    save_state(row, lifecycle.retry, last_error=error, next_attempt_at=next_at)
    if countdown <= settings.CELERY_MAX_COUNTDOWN:
        publish_on_commit(type(row), [row.pk], countdown=countdown)
    return False


def _dead(row: EngineRow, error: str, now: datetime | None) -> bool:
    finished = now or timezone.now()
    save_state(
        row, type(row).lifecycle.dead, last_error=error, finished_at=finished, next_attempt_at=None
    )
    return True


def lost(model: Model, *, grace: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of rows whose message was probably lost, oldest first: ready but not published (or
    published more than ``grace`` ago and not started), a retry due that long ago whose message
    never came, or a run past its lease (its worker died). A row published within ``grace`` is
    left to its message.

    A ready row whose message may still wait behind a backlog in the broker's queue is left
    out while that queue holds at least as many messages as there are such rows (see
    ``queue_depth``): otherwise every sweep during a backlog would publish it again.
    """
    lifecycle = model.lifecycle
    now = now or timezone.now()
    stale = now - grace
    not_recent = Q(published_at__isnull=True) | Q(published_at__lt=stale)
    due_long_ago = Q(next_attempt_at__lt=stale)
    if _has_field(model, "created_at"):
        due_long_ago |= Q(next_attempt_at__isnull=True, created_at__lt=stale)
    waiting = Q(status__in=lifecycle.startable) & (
        (
            Q(published_at__lt=stale)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=stale))
        )
        | (Q(published_at__isnull=True) & due_long_ago)
    )
    retry_due = Q(status=lifecycle.retry, next_attempt_at__lt=stale) & (
        not_recent | Q(published_at__lt=F("next_attempt_at"))
    )
    dead_worker = lease_expired(model, now) & not_recent
    candidates = list(
        model.objects.filter(waiting | retry_due | dead_worker)
        .order_by("pk")
        .values_list("pk", "status")[:SWEEP_BATCH]
    )
    not_started = set(lifecycle.startable) - {lifecycle.retry}
    waiting_ids = [pk for pk, status in candidates if status in not_started]
    if waiting_ids and (queue_depth(lifecycle.task) or 0) >= len(waiting_ids):
        return [pk for pk, status in candidates if status not in not_started]
    return [pk for pk, _ in candidates]


def _has_field(model: Model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def queue_depth(task_path: str) -> int | None:
    """How many messages wait in the broker queue the task at ``task_path`` is routed to
    (kombu's public ``Queue.queue_declare``, which every transport answers with its message
    count); None when the broker cannot be read (then every candidate is published again)."""
    app = current_app
    # A task's ``queue`` option, when it has one (Celery sets task options as attributes).
    name = getattr(import_string(task_path), "queue", None) or app.conf.task_default_queue
    queue = app.amqp.queues[name]
    try:
        with app.connection_for_write() as connection:
            declared = queue.bind(connection.default_channel).queue_declare()
    except Exception:  # the broker is unreachable: publishing will fail and say so
        log.warning("could not read the depth of queue %s", queue.name, exc_info=True)
        return None
    # queue_declare answers a (queue, message_count, consumer_count) tuple; typed as str here.
    return int(cast(Any, declared).message_count)
