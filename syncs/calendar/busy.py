"""Where availability gets each blocking calendar's busy time: one seam, so the answer's
freshness rules live in one place whatever the source.

A calendar whose sync is fresh (``freshness.mirror_answers``: a live push channel, or a pass
within its stale bound, over a window the mirror covers) is answered from its mirror
(``mirror.busy``), stamped with when its data is current, if its vendor's changes carry every
instance of a recurring series (a CalDAV resource is the whole series, so a CalDAV calendar is
never answered from its mirror). Every other calendar is read from its vendor when asked (one
``busy`` call per connection). A calendar whose connection is not usable, or whose vendor
refused the read, is left out of the answer: ``selectors.calendar_busy`` then treats it as
never read, which is stale, never free. A live read that succeeded stamps the calendar's
``last_read_at``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from connectors.base import BusyInterval, CalendarClient, ConnectorError
from connectors.http import is_throttle
from connectors.models import Connection
from connectors.registry import all_specs, client_for
from syncs.calendar import freshness, mirror
from syncs.calendar.models import CalendarRole
from syncs.calendar.sync_state.models import CalendarSync

logger = logging.getLogger(__name__)

BusyByCalendar = dict[tuple[int, str], list[BusyInterval]]


def mirrored_providers() -> list[str]:
    """Calendar vendors whose mirror holds every instance of a series, so may answer for them
    (``ProviderSpec.changes_expand_series``); the others are always read live."""
    return [spec.slug for spec in all_specs() if spec.changes_expand_series]


def read_busy(
    roles: Sequence[CalendarRole],
    start: datetime,
    end: datetime,
    *,
    vendor: Callable[[Connection], Any] = client_for,
    live: bool = False,
    failures: dict[int, ConnectorError] | None = None,
) -> BusyByCalendar:
    """Busy time in [start, end) per (connection id, calendar id) of ``roles``, from the
    mirror where it is fresh, else read now. ``vendor`` builds the calendar client for a
    connection (tests pass their own). ``live`` skips the mirror: a booking's re-read after
    its write must see an event made seconds before, which even a mirror "current as of now"
    (a live push channel) may not hold yet, the push being still on its way. A calendar whose
    read failed is left out of the answer; ``failures``, when given, gets the error per
    connection id (a caller that must have the answer tells a quota's wait from a failure)."""
    if live:
        return _read_live(roles, start, end, vendor, failures)
    answer, unanswered = _from_mirrors(roles, start, end)
    answer.update(_read_live(unanswered, start, end, vendor, failures))
    return answer


def _from_mirrors(
    roles: Sequence[CalendarRole], start: datetime, end: datetime
) -> tuple[BusyByCalendar, list[CalendarRole]]:
    """The calendars the mirror answers (``role.last_read_at`` set to when their data is
    current), and the roles left for a live read."""
    now = timezone.now()
    syncs = {
        sync.role_id: sync
        for sync in CalendarSync.objects.filter(
            role_id__in=[role.pk for role in roles],
            client_id__in={role.client_id for role in roles},
            role__connection__provider__in=mirrored_providers(),
        )
    }
    answer: BusyByCalendar = {}
    unanswered = []
    for role in roles:
        sync = syncs.get(role.pk)
        as_of = None if sync is None else freshness.mirror_answers(sync, role, start, end, now)
        if sync is None or as_of is None:
            unanswered.append(role)
            continue
        answer[(role.connection_id, role.calendar_id)] = mirror.busy(sync, start, end)
        role.last_read_at = as_of
    return answer, unanswered


def _read_live(
    roles: Sequence[CalendarRole],
    start: datetime,
    end: datetime,
    vendor: Callable[[Connection], Any],
    failures: dict[int, ConnectorError] | None = None,
) -> BusyByCalendar:
    """Busy time read from each calendar's vendor now, one call per connection."""
    by_connection: dict[int, list[CalendarRole]] = defaultdict(list)
    for role in roles:
        by_connection[role.connection_id].append(role)
    connections = Connection.objects.in_bulk(list(by_connection))
    answer: BusyByCalendar = {}
    for connection_id, group in by_connection.items():
        connection = connections.get(connection_id)
        if connection is None or not connection.is_usable:
            continue
        ids = [role.calendar_id for role in group]
        try:
            client: CalendarClient = vendor(connection)
            busy = client.busy(ids, start, end)
        except ConnectorError as exc:
            # Left out, so reported stale; never logged with the vendor's body (it may echo
            # the event titles of someone's private calendar). A quota's wait is routine under
            # a burst of bookings: not a warning.
            logger.log(
                logging.INFO if is_throttle(exc) else logging.WARNING,
                "busy read failed for connection %s (%s): %s",
                connection_id,
                connection.provider,
                type(exc).__name__,
            )
            if failures is not None:
                failures[connection_id] = exc
            continue
        read_at = timezone.now()
        for role in group:
            if role.calendar_id in busy:
                answer[(connection_id, role.calendar_id)] = list(busy[role.calendar_id])
                role.last_read_at = read_at
        CalendarRole.objects.filter(
            client_id=group[0].client_id,
            connection_id=connection_id,
            calendar_id__in=[cid for cid in ids if cid in busy],
        ).update(last_read_at=read_at)
    return answer
