"""Celery tasks of calendar sync: thin wrappers that load by id and call a service."""

from __future__ import annotations

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
