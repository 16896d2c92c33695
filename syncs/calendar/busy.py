"""Where availability gets each blocking calendar's busy time: one seam, so the answer's
freshness rules live in one place whatever the source.

Today every calendar is read from its vendor when asked (one ``busy`` call per connection).
A calendar whose connection is not usable, or whose vendor refused the read, is left out of
the answer: ``selectors.calendar_busy`` then treats it as never read, which is stale, never
free. A read that succeeded stamps the calendar's ``last_read_at``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from connectors.base import BusyInterval, CalendarClient, ConnectorError
from connectors.models import Connection
from connectors.registry import client_for
from syncs.calendar.models import CalendarRole

logger = logging.getLogger(__name__)

BusyByCalendar = dict[tuple[int, str], list[BusyInterval]]


def read_busy(
    roles: Sequence[CalendarRole],
    start: datetime,
    end: datetime,
    *,
    vendor: Callable[[Connection], Any] = client_for,
) -> BusyByCalendar:
    """Busy time in [start, end) per (connection id, calendar id) of ``roles``, read now.
    ``vendor`` builds the calendar client for a connection (tests pass their own)."""
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
            # the event titles of someone's private calendar).
            logger.warning(
                "busy read failed for connection %s (%s): %s",
                connection_id,
                connection.provider,
                type(exc).__name__,
            )
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
