"""Push channels: opened for each read calendar whose vendor can push, renewed before they
lapse, replaced when the vendor drops them, stopped when the calendar is no longer read.

A vendor can push when its package has a ``push`` module (``connectors.push``) and its client
a ``watch`` method. Where the client can extend a channel (``renew_watch``: Graph's PATCH of
``expirationDateTime``) it is extended; otherwise (Google has no renewal) a new channel is
opened and the old one stopped. Every new channel is followed by a pass, because changes made
before we stored its id were announced to nobody.

One change per calendar at a time: a channel operation first takes the row with a conditional
UPDATE of ``channel_tried_at`` (``_take``), which also spaces out retries after a failure.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from connectors.base import ConnectorError, Watch
from connectors.registry import client_for, module_for
from syncs.calendar.sync import Vendor, request_pass
from syncs.calendar.sync_state.models import CalendarSync

log = logging.getLogger(__name__)
SECRET_BYTES = 48  # 64 URL-safe characters: under Graph's 128 and Google's 256


def can_push(provider: str) -> bool:
    """Whether the vendor's package reads push notifications."""
    return module_for(provider, "push") is not None


def address(provider: str) -> str:
    """Our public URL for the vendor's notifications (``PUBLIC_BASE_URL``)."""
    path = reverse("calendar-push", args=[provider])
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def may_open(url: str) -> bool:
    """Vendors deliver to https only; plain http is for tests and the demo's emulators."""
    return url.startswith("https://") or settings.CALENDAR_PUSH_ALLOW_HTTP


def _take(sync_id: int, now: datetime) -> bool:
    """This run may change the calendar's channel (nobody did within the retry spacing)."""
    spacing = timedelta(seconds=settings.CALENDAR_WATCH_RETRY_SECONDS)
    free = Q(channel_tried_at__isnull=True) | Q(channel_tried_at__lt=now - spacing)
    return bool(CalendarSync.objects.filter(free, pk=sync_id).update(channel_tried_at=now))


def keep_channel(sync_id: int, *, vendor: Vendor = client_for, force: bool = False) -> str:
    """Open, renew, replace or stop the calendar's channel as it needs; returns what was
    done ("opened", "renewed", "stopped", "kept", "busy" or "failed"). ``force`` skips
    the retry spacing (a lifecycle notice asked for it)."""
    now = timezone.now()
    if force:
        CalendarSync.objects.filter(pk=sync_id).update(channel_tried_at=None)
    if not _take(sync_id, now):
        return "busy"
    sync = CalendarSync.objects.select_related("role__connection").get(pk=sync_id)
    connection = sync.role.connection
    wanted = sync.role.role != sync.role.Role.IGNORED and connection.is_usable
    try:
        client = vendor(connection)
        if not wanted or not hasattr(client, "watch"):
            return _stop(sync, client) if sync.channel_id else "kept"
        renew_by = now + timedelta(seconds=settings.CALENDAR_WATCH_RENEW_BEFORE_SECONDS)
        expires = sync.channel_expires_at
        if sync.channel_id and expires is not None and expires > renew_by and not force:
            return "kept"
        if sync.channel_id and expires is not None and expires > now:
            renewed = _renew(sync, client)
            if renewed:
                return "renewed"
        return _open(sync, client)
    except ConnectorError as exc:
        # The vendor's message names no secret; kept for the console, never the token.
        message = str(exc)[:2000]
        CalendarSync.objects.filter(pk=sync.pk).update(channel_error=message)
        log.warning("calendar sync %s: channel not kept: %s", sync.pk, type(exc).__name__)
        return "failed"


def _renew(sync: CalendarSync, client: Any) -> bool:
    renew = getattr(client, "renew_watch", None)
    if renew is None:
        return False
    try:
        made = renew(_current(sync), ttl_seconds=settings.CALENDAR_WATCH_TTL_SECONDS)
    except ConnectorError as exc:
        if exc.permanent:  # the vendor no longer has it (404): open a new one
            return False
        raise
    CalendarSync.objects.filter(pk=sync.pk).update(
        channel_expires_at=made.expires_at, channel_error=""
    )
    return True


def _open(sync: CalendarSync, client: Any) -> str:
    url = address(sync.role.connection.provider)
    if not may_open(url):
        CalendarSync.objects.filter(pk=sync.pk).update(
            channel_error="Push needs an https PUBLIC_BASE_URL; polled instead."
        )
        return "failed"
    old = _current(sync) if sync.channel_id else None
    made = client.watch(
        sync.role.calendar_id,
        address=url,
        secret=secrets.token_urlsafe(SECRET_BYTES),
        ttl_seconds=settings.CALENDAR_WATCH_TTL_SECONDS,
    )
    # A vendor that checks our endpoint before it opens a channel (Graph's validation
    # request) has shown it reaches us; another's channel is trusted once a notice arrives.
    reader = module_for(sync.role.connection.provider, "push")
    _store(sync, made, confirmed=bool(getattr(reader, "VALIDATES_ON_OPEN", False)))
    if old is not None:
        _stop_quietly(client, old)
    request_pass(sync.pk)
    return "opened"


def _stop(sync: CalendarSync, client: Any) -> str:
    if hasattr(client, "stop_watch"):
        _stop_quietly(client, _current(sync))
    _store(sync, None)
    return "stopped"


def _stop_quietly(client: Any, watch: Watch) -> None:
    """An old channel that will not stop lapses at its expiry; its notices then meet an
    unknown channel id and are refused."""
    try:
        client.stop_watch(watch)
    except ConnectorError as exc:
        log.info("an old channel could not be stopped (%s)", type(exc).__name__)


def _current(sync: CalendarSync) -> Watch:
    return Watch(
        id=sync.channel_id,
        resource_id=sync.channel_resource,
        expires_at=sync.channel_expires_at or timezone.now(),
        secret=sync.channel_secret,
    )


def _store(sync: CalendarSync, made: Watch | None, *, confirmed: bool = False) -> None:
    fields: dict[str, Any] = {
        "channel_confirmed_at": timezone.now() if made and confirmed else None,
        "channel_id": made.id if made else "",
        "channel_resource": made.resource_id if made else "",
        "channel_expires_at": made.expires_at if made else None,
        "channel_secret": made.secret if made else "",
        "channel_message": None,
        "channel_error": "",
    }
    for name, value in fields.items():
        setattr(sync, name, value)
    # A plain save of the fields: the secret column encrypts on the way in.
    sync.save(update_fields=list(fields))


def forget_channel(sync_id: int) -> None:
    """The vendor removed the channel (Graph ``subscriptionRemoved``): drop it so a new one
    is opened."""
    CalendarSync.objects.filter(pk=sync_id).update(
        channel_id="",
        channel_resource="",
        channel_expires_at=None,
        channel_secret="",
        channel_confirmed_at=None,
    )
