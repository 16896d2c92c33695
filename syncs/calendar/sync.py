"""One sync pass of one calendar: pull its changes, write the mirror, stamp freshness and tell
the calendar domain what changed (``signals.calendar_changed``).

A pass claims the calendar's ``CalendarSync`` row (``syncs.engine.jobs.claim``: one
conditional UPDATE), so two passes of one calendar never overlap; a message arriving while a
pass runs is dropped, and the pass runs once more when it ends if notifications came meanwhile
(``requested``). The cursor moves only with the mirror rows it produced and the signal's
receivers, in one transaction: a receiver that fails rolls the pass back and it is retried.
Vendor errors are classified as the engine does: a dead grant waits for the client to
reconnect, a throttle is retried after the vendor's Retry-After without spending an attempt,
a transient error backs off, a permanent one is dead-lettered with the vendor's message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.base import CalendarClient, ChangePage, ConnectorError, CursorExpired
from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar import mirror
from syncs.calendar.models import CalendarRole
from syncs.calendar.signals import calendar_changed
from syncs.calendar.sync_state.models import CalendarSync, SyncStatus
from syncs.engine import jobs

log = logging.getLogger(__name__)
Vendor = Callable[[Connection], Any]


def calendar_sync_run(sync_id: int, *, holder: str = "", vendor: Vendor = client_for) -> str:
    """Run one pass if the calendar can be claimed; returns its status afterwards ('skipped'
    when another pass holds it). ``vendor`` builds the calendar client (tests pass theirs)."""
    if not jobs.claim(CalendarSync, sync_id, holder=holder):
        return "skipped"
    rows = CalendarSync.objects.select_related("client", "role__connection")
    sync = rows.filter(pk=sync_id).first()
    if sync is None:  # the calendar's role was deleted since
        return "gone"
    seen = sync.requested
    connection = sync.role.connection
    if not connection.is_usable:
        _settle(sync, last_error="The connection is not usable.")
        return sync.status
    try:
        _pass(sync, vendor(connection), seen)
    except ConnectorError as exc:
        _failed(sync, exc)
    except Exception as exc:  # a bug must not strand the row in "running": retry, then dead
        log.exception("calendar sync %s crashed", sync.pk)
        _failed(sync, ConnectorError(f"{type(exc).__name__}: {exc}"))
    if sync.status == SyncStatus.IDLE:
        _again_if_asked(sync, seen)
    return sync.status


def _pass(sync: CalendarSync, client: CalendarClient, seen: int) -> None:
    calendar_id = sync.role.calendar_id
    full = sync.resync or not sync.cursor or sync.covered_until is None
    read_at = timezone.now()
    try:
        page = client.changes(calendar_id, "" if full else sync.cursor)
    except CursorExpired:
        log.info("calendar sync %s: the vendor forgot our cursor; reading everything", sync.pk)
        full, read_at = True, timezone.now()
        page = client.changes(calendar_id, "")
    with transaction.atomic():
        _write(sync, page, full=full, read_at=read_at, seen=seen)


def _write(
    sync: CalendarSync, page: ChangePage, *, full: bool, read_at: datetime, seen: int
) -> None:
    """The mirror, the cursor, the freshness stamps and the signal: one transaction."""
    first = sync.synced_at is None
    fields: dict[str, Any] = {}
    if full:
        span = mirror.window(sync, read_at)
        changed = mirror.apply_full(sync, page.events, span)
        fields.update(full_synced_at=read_at, covered_from=span[0], covered_until=span[1])
    else:
        assert sync.covered_from is not None and sync.covered_until is not None
        span = (sync.covered_from, sync.covered_until)
        changed = mirror.apply_changes(sync, page.events, span, series=page.series)
    _settle(
        sync,
        cursor=page.cursor,
        synced_at=read_at,
        synced_requests=seen,
        resync=False,
        attempts=0,
        **fields,
    )
    CalendarRole.objects.filter(pk=sync.role_id).update(last_read_at=read_at)
    sync.role.last_read_at = read_at
    # The first fill tells nothing new: there was no earlier copy for anything to change from.
    if changed and not first:
        calendar_changed.send(
            sender=CalendarSync, client=sync.client, role=sync.role, events=tuple(changed)
        )


def _settle(sync: CalendarSync, **fields: Any) -> None:
    """Back to idle after a pass (done, or nothing it could do)."""
    jobs.save_state(
        sync,
        SyncStatus.IDLE,
        finished_at=timezone.now(),
        next_attempt_at=None,
        last_error=fields.pop("last_error", ""),
        **fields,
    )


def _failed(sync: CalendarSync, exc: ConnectorError) -> None:
    message = str(exc)[:2000]
    if exc.needs_reauth:
        # The connection is marked by the HTTP layer; the poll skips it until it is back.
        _settle(sync, last_error=message, attempts=0)
        return
    throttled = exc.retry_after is not None and (exc.status == 429 or exc.code == "rate_limited")
    if jobs.fail(
        sync, message, permanent=exc.permanent, retry_after=exc.retry_after, throttled=throttled
    ):
        log.error("calendar sync %s failed for good: %s", sync.pk, message)


def _again_if_asked(sync: CalendarSync, seen: int) -> None:
    """Notifications that came during the pass may name changes it read too early: once more."""
    if CalendarSync.objects.filter(pk=sync.pk, requested__gt=seen).exists():
        jobs.publish_now(CalendarSync, [sync.pk])


def request_pass(sync_id: int, *, resync: bool = False) -> None:
    """Count a notification and queue a pass (after the current transaction commits). A pass
    running now runs again when it ends; one waiting to retry keeps its time."""
    fields: dict[str, Any] = {"requested": F("requested") + 1}
    if resync:
        fields["resync"] = True
    CalendarSync.objects.filter(pk=sync_id).update(**fields)
    if CalendarSync.objects.filter(pk=sync_id, status=SyncStatus.IDLE).exists():
        jobs.publish_on_commit(CalendarSync, [sync_id])
