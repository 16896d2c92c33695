"""What the beat asks of calendar sync: a ``CalendarSync`` for every read calendar, passes for
the calendars that are due, and channel upkeep.

Due: a calendar never read; one without a live channel whose last pass is older than
``CALENDAR_POLL_SECONDS`` (the fallback, and always for vendors that cannot push); one with a
live channel whose last pass is older than ``CALENDAR_SAFETY_POLL_SECONDS`` (a channel can go
quiet without a word); one with notices not yet read; one whose daily full read is due
(``CALENDAR_FULL_RESYNC_SECONDS``), which also revives a calendar whose passes failed for good.
A calendar whose message is in flight is left to it; a retry whose message never came, or a
pass past its lease (its worker died), is published again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from connectors.models import ConnectionStatus
from connectors.registry import slugs
from syncs.calendar.models import CalendarRole
from syncs.calendar.sync_state.models import CalendarSync, SyncStatus
from syncs.calendar.watches import can_push
from syncs.engine import jobs

BATCH = 500
READ = (CalendarRole.Role.BLOCKS, CalendarRole.Role.WRITES)


def ensure_syncs() -> int:
    """A sync row for each calendar that blocks or takes bookings and has none; how many."""
    missing = CalendarRole.objects.filter(role__in=READ, sync_state__isnull=True)
    rows = [CalendarSync(client_id=role.client_id, role=role) for role in missing[:BATCH]]
    return len(CalendarSync.objects.bulk_create(rows, ignore_conflicts=True))


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def _read_and_usable() -> Q:
    return Q(role__role__in=READ, role__connection__status=ConnectionStatus.ACTIVE)


def _live(now: datetime) -> Q:
    """The database side of ``freshness.has_live_channel``."""
    return ~Q(channel_id="") & Q(channel_expires_at__gt=now, channel_confirmed_at__isnull=False)


def due_syncs(now: datetime | None = None) -> list[int]:
    """Ids of the calendars to publish a pass for now."""
    now = now or timezone.now()
    full = now - _seconds("CALENDAR_FULL_RESYNC_SECONDS")
    CalendarSync.objects.filter(status=SyncStatus.IDLE, full_synced_at__lt=full).update(resync=True)
    # A calendar whose passes failed for good is tried again, from a full read, once a day.
    CalendarSync.objects.filter(status=SyncStatus.DEAD, finished_at__lt=full).update(
        status=SyncStatus.IDLE, attempts=0, resync=True, published_at=None
    )
    republish = now - _seconds("CALENDAR_REPUBLISH_SECONDS")
    live = _live(now)
    idle_due = Q(status=SyncStatus.IDLE) & (
        Q(synced_at__isnull=True)
        | (~live & Q(synced_at__lt=now - _seconds("CALENDAR_POLL_SECONDS")))
        | (live & Q(synced_at__lt=now - _seconds("CALENDAR_SAFETY_POLL_SECONDS")))
        | Q(requested__gt=F("synced_requests"))
        | Q(resync=True)
    )
    in_flight = Q(published_at__gt=republish) & (
        Q(started_at__isnull=True) | Q(started_at__lt=F("published_at"))
    )
    retry_lost = Q(status=SyncStatus.RETRY, next_attempt_at__lt=republish)
    died = jobs.lease_expired(CalendarSync, now)
    found = CalendarSync.objects.filter(_read_and_usable()).filter(
        (idle_due & ~in_flight) | retry_lost | died
    )
    return list(found.order_by("synced_at").values_list("pk", flat=True)[:BATCH])


def publish_due(now: datetime | None = None) -> int:
    """The beat's poll: rows for new calendars, then a message for each due one."""
    ensure_syncs()
    due = due_syncs(now)
    return jobs.publish_now(CalendarSync, due) if due else 0


def channels_to_keep(now: datetime | None = None) -> list[int]:
    """Calendars whose channel must be opened, renewed or stopped (not tried too recently)."""
    now = now or timezone.now()
    pushing = [slug for slug in slugs("calendar") if can_push(slug)]
    renew_by = now + _seconds("CALENDAR_WATCH_RENEW_BEFORE_SECONDS")
    lacking = Q(role__connection__provider__in=pushing) & _read_and_usable()
    lacking &= Q(channel_id="") | Q(channel_expires_at__lt=renew_by)
    unwanted = ~_read_and_usable() & ~Q(channel_id="")
    rested = Q(channel_tried_at__isnull=True) | Q(
        channel_tried_at__lt=now - _seconds("CALENDAR_WATCH_RETRY_SECONDS")
    )
    found = CalendarSync.objects.filter(lacking | unwanted).filter(rested)
    return list(found.order_by("pk").values_list("pk", flat=True)[:BATCH])
