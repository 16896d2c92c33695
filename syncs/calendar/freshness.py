"""When the mirror of a calendar may answer for it, and as of when its data is current.

A calendar with a live push channel (open, not expired, and shown to reach us: a notice of it
arrived, or the vendor checked our endpoint before opening it) is current as of now: the vendor
tells us of every change
and each notice is read within seconds, so long as no notice waits unread and the safety poll
keeps succeeding (a silent channel still gets polled every ``CALENDAR_SAFETY_POLL_SECONDS``;
missing two of those means the channel cannot be trusted). Without one, the data is current as
of its last successful pass. Either way it is used only while younger than the calendar's
``stale_after_seconds``, and only inside the window the last full read covered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from syncs.calendar.models import CalendarRole
from syncs.calendar.sync_state.models import CalendarSync


def has_live_channel(sync: CalendarSync, now: datetime) -> bool:
    """A channel the vendor still honours (not expired) and that was shown to reach us."""
    return (
        bool(sync.channel_id)
        and sync.channel_confirmed_at is not None
        and sync.channel_expires_at is not None
        and sync.channel_expires_at > now
    )


def current_as_of(sync: CalendarSync, now: datetime) -> datetime | None:
    """As of when our copy of the calendar is current; None when it was never read."""
    if sync.synced_at is None:
        return None
    trusted = now - sync.synced_at <= timedelta(seconds=2 * settings.CALENDAR_SAFETY_POLL_SECONDS)
    caught_up = sync.requested <= sync.synced_requests
    if has_live_channel(sync, now) and trusted and caught_up:
        return now
    return sync.synced_at


def mirror_answers(
    sync: CalendarSync, role: CalendarRole, start: datetime, end: datetime, now: datetime
) -> datetime | None:
    """``current_as_of`` when the mirror may answer busy time in [start, end) for ``role``;
    None when the vendor must be read instead."""
    if sync.covered_from is None or sync.covered_until is None:
        return None
    if start < sync.covered_from or end > sync.covered_until:
        return None
    as_of = current_as_of(sync, now)
    if as_of is None or now - as_of > timedelta(seconds=role.stale_after_seconds):
        return None
    return as_of
