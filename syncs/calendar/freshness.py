"""When the mirror of a calendar may answer for it, and as of when its data is current.

Our copy is known to match the calendar as of its last successful pass (``synced_at``, taken
when the pass began reading; every notice leads to a pass). Without a live push channel that
is when it is current. A calendar with a live channel (open, not expired, and shown to reach
us: a notice of it arrived, or the vendor checked our endpoint before opening it) is current
as of now, since the vendor tells us of every change and each notice is read within seconds,
but only while no notice waits unread and the last pass is younger than both
``2 * CALENDAR_SAFETY_POLL_SECONDS`` (a quiet channel is still polled every
``CALENDAR_SAFETY_POLL_SECONDS``: missing two polls means the channel cannot be trusted) and the
calendar's ``stale_after_seconds``. A channel can die without a word, and nothing between two
passes proves it alive, so "now" is never claimed for data whose last proof is older than the
calendar accepts. A healthy quiet channel is therefore current as of now between safety polls
when ``stale_after_seconds`` is at least the safety interval; when it is smaller, the mirror
answers for ``stale_after_seconds`` after each pass and the vendor is read live until the next.

Either way the data is used only while younger than the calendar's ``stale_after_seconds``, and
only inside the window the last full read covered.
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


def current_as_of(sync: CalendarSync, now: datetime, stale_after: timedelta) -> datetime | None:
    """As of when our copy of the calendar is current, for a calendar whose data is stale past
    ``stale_after``; None when it was never read."""
    if sync.synced_at is None:
        return None
    safety = timedelta(seconds=2 * settings.CALENDAR_SAFETY_POLL_SECONDS)
    trusted = now - sync.synced_at <= min(safety, stale_after)
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
    stale_after = timedelta(seconds=role.stale_after_seconds)
    as_of = current_as_of(sync, now, stale_after)
    if as_of is None or now - as_of > stale_after:
        return None
    return as_of
