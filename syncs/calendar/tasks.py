"""Celery tasks of calendar sync and calendar discovery: thin wrappers that load by id and call
a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task


# The worker's parent releases the row's lease when the pool process running it dies
# (``syncs.engine.leases``). Request= and engine_model= are task options celery-types do not
# declare.
@shared_task(  # type: ignore[call-overload]
    name="syncs.calendar.tasks.sync_calendar",
    Request="syncs.engine.leases:EngineRequest",
    engine_model="syncs.CalendarSync",
)
def sync_calendar(sync_id: int) -> str:
    """One sync pass of one calendar (claimed first: a duplicate message is a no-op)."""
    from syncs.calendar.sync import calendar_sync_run

    return calendar_sync_run(sync_id, holder=sync_calendar.request.id or "")


@shared_task(name="syncs.calendar.tasks.keep_calendar_channel")
def keep_calendar_channel(sync_id: int, force: bool = False) -> str:
    """Open, renew, replace or stop one calendar's push channel."""
    from syncs.calendar.watches import keep_channel

    return keep_channel(sync_id, force=force)


@shared_task(name="syncs.calendar.tasks.poll_calendars")
def poll_calendars() -> int:
    """Beat: publish a pass for every calendar that is due (``poll.due_syncs``)."""
    from syncs.calendar.poll import publish_due

    return publish_due()


@shared_task(name="syncs.calendar.tasks.keep_calendar_channels")
def keep_calendar_channels() -> int:
    """Beat: queue channel upkeep for every calendar that needs it."""
    from syncs.calendar.poll import channels_to_keep

    ids = channels_to_keep()
    for sync_id in ids:
        keep_calendar_channel.delay(sync_id)
    return len(ids)


DISCOVERY_RETRIES = 3


@shared_task(bind=True, name="syncs.calendar.discover", max_retries=DISCOVERY_RETRIES)
def discover_calendars(self: Any, connection_id: int) -> str:
    """List a newly connected account's calendars and give each its role. A refusal is
    audited (the Calendars page shows it); a transient one is tried again later, and staff
    can always press "Refresh calendars"."""
    from connectors.base import ConnectorError
    from connectors.models import Connection
    from syncs.audit.log import SYSTEM
    from syncs.calendar.discovery import calendar_discovery_failed, calendar_roles_discover

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
