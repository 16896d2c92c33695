"""Rollback by source tag: preview exactly what will be undone, then undo it step by step.

What we *created* is deleted; what we *updated* gets the replaced values (the record's
``snapshot``) written back. Steps run newest write first, one Celery task per record, each task
queuing the next once it is done, so a note goes before its contact and two updates of one field
unwind to the original value. Every record undone gets exactly one audit entry.

A write made later outside this rollback is never undone by it: a contact another tag (or this
tag, outside the rollback's time window or session) updated since is kept rather than deleted,
and a field written since keeps that later value (the preview says so, and the step is audited
as kept). Rolling the later writes back first, then this one again, undoes both.

Safe to re-run: a record is marked ``rolled_back_at`` in the transaction that audits it, so a
second run finds nothing to do, and a step whose record was undone meanwhile is skipped. A record
the vendor says is already gone counts as deleted. Shadow-mode records (``would_*``) are never
touched: nothing was written. Every query is scoped to the one client asked for. A synced job
none of whose writes is live any more becomes ``rolled_back`` (``syncs.rollback.events``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from connectors.base import ConnectorError
from connectors.registry import get_spec
from syncs.audit.log import audit_log
from syncs.engine import jobs
from syncs.engine.targets import target_for
from syncs.models import ExternalRecord, RecordAction
from syncs.rollback.events import job_rolled_back
from syncs.rollback.models import Rollback, RollbackStatus, RollbackStep, StepStatus
from tenants.models import Client
from tenants.scoping import for_client

log = logging.getLogger(__name__)
DELETE, RESTORE, KEEP = "delete", "restore", "keep"
LATER_FIELDS = (
    *("client_id", "provider", "object_type", "external_id", "source_tag"),
    *("values", "snapshot", "created_at"),
)
# Keys in a record's values that are ours, not vendor fields.
INTERNAL_KEYS = frozenset({"_tag", "_tags", "contact_id"})


@dataclass(frozen=True)
class PlannedStep:
    """One line of the preview: the record, and what the rollback will do to it."""

    record: ExternalRecord
    operation: str  # DELETE | RESTORE | KEEP
    values: dict[str, Any]  # for RESTORE: the fields and the values they get back
    reason: str = ""  # why a record is kept, or why some fields are not put back


@dataclass(frozen=True)
class Scope:
    """What one rollback undoes: a tag's writes, optionally within a time window or a chatbot
    session. A later write outside the scope (another tag, or this tag outside the window or
    session) is someone else's, and a rollback never undoes it."""

    tag: str
    since: datetime | None = None
    until: datetime | None = None
    session_id: str = ""

    def q(self) -> Q:
        q = Q(source_tag=self.tag)
        if self.since is not None:
            q &= Q(created_at__gte=self.since)
        if self.until is not None:
            q &= Q(created_at__lt=self.until)
        if self.session_id:
            q &= Q(session_id=self.session_id)
        return q

    @classmethod
    def of(cls, rollback: Rollback) -> Scope:
        return cls(rollback.source_tag, rollback.since, rollback.until, rollback.session_id)


def rollback_records(client: Client, scope: Scope) -> QuerySet[ExternalRecord]:
    """The client's real writes in ``scope`` not yet undone, newest first."""
    return (
        for_client(ExternalRecord, client)
        .filter(
            scope.q(),
            action__in=[RecordAction.CREATED, RecordAction.UPDATED],
            rolled_back_at__isnull=True,
        )
        .order_by("-created_at", "-pk")
    )


def _object_key(record: ExternalRecord) -> tuple[str, str, str]:
    """The vendor object a record wrote, in its target's words (CRM follow-up tags live on
    the contact)."""
    return target_of(record).object_key(record)


def _fields(record: ExternalRecord) -> set[str]:
    """The CRM fields a write set (its values; its snapshot names the fields it replaced)."""
    return (set(record.values or {}) | set(record.snapshot or {})) - INTERNAL_KEYS


def later_writes(records: list[ExternalRecord], scope: Scope) -> dict[tuple[str, str, str], list]:
    """For the CRM objects ``records`` wrote: the live writes outside ``scope`` (another
    tag's, or this tag's outside the window or session), by object (one query, scoped to the
    records' client)."""
    if not records:
        return {}
    client_id = records[0].client_id
    ids = {r.external_id for r in records if r.external_id}
    found: dict[tuple[str, str, str], list] = {}
    others = (
        ExternalRecord.objects.filter(
            client_id=client_id,
            external_id__in=ids,
            action__in=[RecordAction.CREATED, RecordAction.UPDATED],
            rolled_back_at__isnull=True,
        )
        .exclude(scope.q())
        .only(*LATER_FIELDS)
    )
    for other in others:
        found.setdefault(_object_key(other), []).append(other)
    return found


def _plan(record: ExternalRecord, later: dict[tuple[str, str, str], list]) -> PlannedStep:
    newer = [
        o
        for o in later.get(_object_key(record), [])
        if (o.created_at, o.pk) > (record.created_at, record.pk)
    ]
    by = ", ".join(sorted({o.source_tag for o in newer}))
    if any(o.source_tag == record.source_tag for o in newer):
        by += " (outside this rollback's window or session)"
    if record.action == RecordAction.CREATED:
        if newer:
            return PlannedStep(record, KEEP, {}, f"kept: written since under tag {by}")
        return PlannedStep(record, DELETE, {})
    if kept := target_of(record).kept_reason(record):
        return PlannedStep(record, KEEP, {}, kept)
    snapshot = dict(record.snapshot or {})
    taken = set().union(*(_fields(o) for o in newer)) & set(snapshot)
    if not taken:
        return PlannedStep(record, RESTORE, snapshot)
    values = {k: v for k, v in snapshot.items() if k not in taken}
    reason = f"{', '.join(sorted(taken))} written since under tag {by}"
    if not values:
        return PlannedStep(record, KEEP, {}, f"kept: {reason}")
    return PlannedStep(record, RESTORE, values, f"not put back: {reason}")


def plan_record(record: ExternalRecord, scope: Scope) -> PlannedStep:
    """What undoing this one record does now (a step re-plans when it runs)."""
    return _plan(record, later_writes([record], scope))


def preview_rollback(
    client: Client,
    tag: str,
    since: datetime | None = None,
    until: datetime | None = None,
    session_id: str = "",
) -> list[PlannedStep]:
    """Exactly what ``start_rollback`` with the same filters would undo, in that order."""
    scope = Scope(tag, since, until, session_id or "")
    return preview_of(rollback_records(client, scope), scope)


def preview_of(records: Iterable[ExternalRecord], scope: Scope) -> list[PlannedStep]:
    """The planned step for each record (a page of ``rollback_records`` in the console)."""
    records = list(records)
    later = later_writes(records, scope)
    return [_plan(r, later) for r in records]


def start_rollback(
    client: Client,
    tag: str,
    *,
    requested_by: str,
    since: datetime | None = None,
    until: datetime | None = None,
    session_id: str = "",
) -> Rollback:
    """Record the rollback and its steps, audit the request, and queue the first step after
    commit. With nothing to undo the rollback is done at once (a second run is a no-op)."""
    with transaction.atomic():
        plan = preview_rollback(client, tag, since, until, session_id)
        rollback = Rollback.objects.create(
            client=client,
            source_tag=tag,
            since=since,
            until=until,
            session_id=session_id or "",
            requested_by=requested_by,
            total=len(plan),
        )
        RollbackStep.objects.bulk_create(
            RollbackStep(
                client=client, rollback=rollback, record=p.record, position=i, operation=p.operation
            )
            for i, p in enumerate(plan)
        )
        audit_log(
            client=client,
            actor=requested_by,
            action="rollback.started",
            target=f"rollback:{rollback.pk}",
            details=_filters(rollback),
        )
        if not plan:
            rollback_finish(rollback)
        else:
            publish_next_step(rollback)
    return rollback


def _filters(rollback: Rollback) -> dict[str, Any]:
    return {
        "tag": rollback.source_tag,
        "since": rollback.since.isoformat() if rollback.since else None,
        "until": rollback.until.isoformat() if rollback.until else None,
        "session_id": rollback.session_id,
        "records": rollback.total,
    }


def publish_next_step(rollback: Rollback) -> int | None:
    """Queue the first unfinished step after commit (when a retry waits, when it is due);
    returns its id (None when all are done). On a broker failure the sweeper sends it later."""
    step = (
        RollbackStep.objects.filter(rollback=rollback, status=StepStatus.PENDING)
        .order_by("position")
        .first()
    )
    if step is None:
        return None
    countdown = None
    if step.next_attempt_at is not None:
        countdown = max((step.next_attempt_at - timezone.now()).total_seconds(), 0.0)
    jobs.publish_on_commit(RollbackStep, [step.pk], countdown)
    return step.pk


def rollback_resume(rollback: Rollback) -> int | None:
    """Re-queue a stalled rollback (a message lost, a worker killed mid-step): a step left
    running goes back to pending (undoing twice is harmless: a restore writes the same values,
    a delete of a gone record is fine), then the next pending step is queued."""
    with transaction.atomic():
        RollbackStep.objects.filter(rollback=rollback, status=StepStatus.RUNNING).update(
            status=StepStatus.PENDING
        )
        return publish_next_step(rollback)


def rollback_step_run(step_id: int, *, vendor: Any = None, holder: str = "") -> str:
    """Undo one record (claimed first: a duplicated message is a no-op) and queue the next.

    ``vendor`` replaces the connection's vendor client (tests). Returns the step's status.
    """
    if not jobs.claim(RollbackStep, step_id, holder=holder):
        return "not_claimed"
    step = RollbackStep.objects.select_related("rollback", "record", "client").get(pk=step_id)
    # No transaction (and no row lock) is held across the vendor call: it may be slow, and on
    # SQLite the emulator in the same database could not write. The call is idempotent, so two
    # rollbacks racing on one record both make it; the conditional update lets one audit it.
    try:
        record = ExternalRecord.objects.get(pk=step.record_id)
        scope = Scope.of(step.rollback)
        planned = plan_record(record, scope) if record.rolled_back_at is None else None
        if planned is None:
            _done(step, StepStatus.SKIPPED)
        elif planned.operation == KEEP:
            _keep(step, record, planned.reason)
        else:
            already_gone = _undo(planned, step, vendor)
            _mark_undone(step, planned, already_gone)
    except ConnectorError as exc:
        # A dead grant is not retried either: staff reconnect, then roll back again.
        permanent = exc.permanent or exc.needs_reauth
        if not jobs.fail(step, str(exc), permanent=permanent, retry_after=exc.retry_after):
            return StepStatus.PENDING  # the retry is queued; the steps after it wait
    except Exception as exc:  # a bug must not stall the rollback: record it and go on
        log.exception("rollback step %s crashed", step.pk)
        jobs.fail(step, f"{type(exc).__name__}: {exc}", permanent=True)
    _advance(step.rollback)
    return step.status


def target_of(record: ExternalRecord) -> ModuleType:
    """The target package that wrote ``record`` (by its provider's kind) and undoes it."""
    return target_for(get_spec(record.provider).kind)


def _undo(planned: PlannedStep, step: RollbackStep, vendor: Any) -> bool:
    """The vendor call, as planned now; True when the vendor said the record was gone."""
    return target_of(planned.record).undo(
        planned.record,
        operation=planned.operation,
        values=dict(planned.values),
        client=step.client,
        vendor=vendor,
    )


def _target(record: ExternalRecord) -> str:
    """How an undone record is named in the audit log."""
    return f"{record.provider}:{record.object_type}:{record.external_id}"


@transaction.atomic
def _keep(step: RollbackStep, record: ExternalRecord, reason: str) -> None:
    """Leave a record another tag wrote over since: the step says why, and it is audited. The
    record stays live, so a later rollback of this tag (after the other) undoes it."""
    _done(step, StepStatus.KEPT, error=reason[:2000])
    audit_log(
        client=step.client,
        actor=step.rollback.requested_by,
        action="rollback.kept",
        target=_target(record),
        details={"rollback": step.rollback_id, "record": record.pk, "reason": reason[:500]},
    )


@transaction.atomic
def _mark_undone(step: RollbackStep, planned: PlannedStep, already_gone: bool) -> None:
    """In one transaction: the record is undone, the step finished, one audit entry (only
    for the run that marked the record; a racing run is recorded as skipped)."""
    record = planned.record
    now = timezone.now()
    marked = ExternalRecord.objects.filter(pk=record.pk, rolled_back_at__isnull=True).update(
        rolled_back_at=now
    )
    if not marked:
        _done(step, StepStatus.SKIPPED)
        return
    status = StepStatus.DELETED if planned.operation == DELETE else StepStatus.RESTORED
    _done(step, status, error=planned.reason[:2000])
    job_rolled_back(record, step.rollback, now)
    audit_log(
        client=step.client,
        actor=step.rollback.requested_by,
        action=f"rollback.{status}",
        target=_target(record),
        details={
            "rollback": step.rollback_id,
            "record": record.pk,
            "tag": record.source_tag,
            "restored_fields": sorted(planned.values) if status == StepStatus.RESTORED else [],
            "already_gone": already_gone,
        },
    )


def _done(step: RollbackStep, status: str, error: str = "") -> None:
    jobs.save_state(step, status, last_error=error, finished_at=timezone.now())


def _advance(rollback: Rollback) -> None:
    """Refresh the counts; queue the next step, or finish when none is left."""
    with transaction.atomic():
        if publish_next_step(rollback) is None and not _running(rollback):
            rollback_finish(rollback)
        else:
            _count(rollback)


def _running(rollback: Rollback) -> bool:
    return RollbackStep.objects.filter(rollback=rollback, status=StepStatus.RUNNING).exists()


def _count(rollback: Rollback) -> dict[str, int]:
    counts = RollbackStep.objects.filter(rollback=rollback).aggregate(
        **{
            name: Count("pk", filter=Q(status=status))
            for name, status in (
                ("deleted", StepStatus.DELETED),
                ("restored", StepStatus.RESTORED),
                ("skipped", StepStatus.SKIPPED),
                ("kept", StepStatus.KEPT),
                ("failed", StepStatus.FAILED),
            )
        }
    )
    Rollback.objects.filter(pk=rollback.pk).update(**counts)
    for name, value in counts.items():
        setattr(rollback, name, value)
    return counts


def rollback_finish(rollback: Rollback) -> None:
    """Count the steps, store the rollback's end and audit it (once, however many callers)."""
    counts = _count(rollback)
    status = RollbackStatus.DONE_WITH_ERRORS if counts["failed"] else RollbackStatus.DONE
    now = timezone.now()
    updated = Rollback.objects.filter(pk=rollback.pk, finished_at__isnull=True).update(
        status=status, finished_at=now
    )
    rollback.status, rollback.finished_at = status, now
    if updated:
        audit_log(
            client=rollback.client,
            actor=rollback.requested_by,
            action="rollback.finished",
            target=f"rollback:{rollback.pk}",
            details={**_filters(rollback), **counts},
        )
