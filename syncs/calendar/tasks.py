"""Calendar tasks: thin, they load by id and call a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from connectors.base import ConnectorError
from connectors.models import Connection
from syncs.audit.log import SYSTEM
from syncs.calendar.discovery import calendar_discovery_failed, calendar_roles_discover

DISCOVERY_RETRIES = 3


@shared_task(bind=True, name="syncs.calendar.discover", max_retries=DISCOVERY_RETRIES)
def discover_calendars(self: Any, connection_id: int) -> str:
    """List a newly connected account's calendars and give each its role. A refusal is
    audited (the Calendars page shows it); a transient one is tried again later, and staff
    can always press "Refresh calendars"."""
    connection = Connection.objects.filter(pk=connection_id, kind="calendar").first()
    if connection is None or not connection.is_usable:
        return "skipped"
    try:
        return calendar_roles_discover(connection, actor=SYSTEM).summary()
    except ConnectorError as exc:
        calendar_discovery_failed(connection, exc, actor=SYSTEM)
        if exc.permanent or exc.needs_reauth or self.request.retries >= DISCOVERY_RETRIES:
            return "refused"
        raise self.retry(countdown=exc.retry_after or 60 * 2**self.request.retries) from exc
