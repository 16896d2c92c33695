"""Tokens that do not die: early refresh, single-flight refresh, cooldown, needs-reauth.

``connectors.http`` calls ``access_token(connection)`` before each vendor call and
``refresh(connection, rejected_token=...)`` after a 401. Whatever the number of threads,
processes or machines racing, one refresh reaches the vendor: a lock per connection (Redis when
configured, with a TTL so a killed holder frees it; else an advisory lock on PostgreSQL or a
file lock on SQLite), and the connection re-read once the lock is won so a waiter uses the
winner's token.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from connectors import locks, oauth, registry, services
from connectors.base import ConnectorError
from connectors.models import Connection, ConnectionIssue, ConnectionStatus

log = logging.getLogger(__name__)

REFRESH_EARLY = timedelta(minutes=5)
LOCK_TTL_S = 30  # longer than a token call with its timeout; a dead holder frees it after this
LOCK_WAIT_S = 40
COOLDOWN_BASE_S = 30
COOLDOWN_MAX_S = 3600


def access_token(connection: Connection) -> str:
    """A usable access token, refreshed first when it expires within 5 minutes."""
    _require_usable(connection)
    if _auth(connection) == "basic":  # the user's own (app-specific) password: never refreshed
        return connection.access_token
    if connection.expires_within(REFRESH_EARLY) or not connection.access_token:
        return refresh(connection, rejected_token=connection.access_token)
    return connection.access_token


def refresh(connection: Connection, *, rejected_token: str) -> str:
    """Single-flight refresh; returns the current token (the winner's, if a sibling won).

    Waiters poll the row while the lock is held, so they pick up the winner's token as soon as
    it is stored. Raises ``ConnectorError``: ``needs_reauth`` for a dead grant, ``retry_after``
    while cooling down after a failure or when the lock stays busy.
    """
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        fresh = Connection.objects.get(pk=connection.pk)
        if _replaced(fresh, rejected_token):
            _sync(connection, fresh)
            return fresh.access_token
        with _try_lock(connection.pk) as acquired:
            if acquired:
                fresh = Connection.objects.get(pk=connection.pk)  # re-read after winning
                _sync(connection, fresh)
                _require_usable(fresh)
                if _replaced(fresh, rejected_token):
                    return fresh.access_token
                _require_not_cooling(fresh)
                return _refresh_locked(connection, fresh)
        if time.monotonic() > deadline:
            raise ConnectorError("token refresh lock busy", code="lock_busy", retry_after=5)
        locks.pause()


def _replaced(fresh: Connection, rejected_token: str) -> bool:
    """Someone stored a different, unexpired token than the one the caller saw fail."""
    _require_usable(fresh)
    return bool(
        fresh.access_token
        and fresh.access_token != rejected_token
        and not fresh.expires_within(timedelta(0))
    )


def _refresh_locked(connection: Connection, fresh: Connection) -> str:
    sent_refresh = fresh.refresh_token
    try:
        tokens = _call_vendor(fresh)
    except oauth.OAuthError as exc:
        if not exc.needs_reauth:
            _record_failure(fresh, exc)
            _sync(connection, fresh)
            raise
        again = Connection.objects.get(pk=fresh.pk)  # a sibling may have won (lock expired)
        if again.refresh_token != sent_refresh and again.status == ConnectionStatus.ACTIVE:
            _sync(connection, again)
            return again.access_token
        services.connection_mark_needs_reauth(fresh, f"{exc.code or 'invalid_grant'}: {exc}")
        _sync(connection, fresh)
        raise ConnectorError(
            "the grant was revoked or expired; the client must reconnect",
            status=exc.status,
            code=exc.code,
            permanent=True,
            needs_reauth=True,
        ) from exc
    _store(fresh, tokens)
    _sync(connection, fresh)
    return fresh.access_token


def _auth(connection: Connection) -> str:
    """How the connection's provider authenticates (``ProviderSpec.auth``)."""
    return registry.get_spec(connection.provider).auth


def _call_vendor(connection: Connection) -> oauth.TokenSet:
    if _auth(connection) == "client_credentials":  # a new machine login, no refresh token
        return oauth.client_credentials_login(connection.provider)
    if not connection.refresh_token:  # an offline token (Shopify): nothing to refresh with
        raise oauth.OAuthError("no refresh token", code="invalid_grant", needs_reauth=True)
    return oauth.refresh_grant(
        connection.provider, refresh_token=connection.refresh_token, tenant=connection.settings
    )


def _store(connection: Connection, tokens: oauth.TokenSet) -> None:
    """One UPDATE: the new access token with its (possibly rotated) refresh token."""
    now = timezone.now()
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token or connection.refresh_token
    connection.token_expires_at = tokens.expires_at
    if tokens.refresh_expires_at:
        connection.refresh_token_expires_at = tokens.refresh_expires_at
    connection.settings = {**connection.settings, **tokens.settings}
    connection.last_refreshed_at = now
    connection.refresh_failures = 0
    connection.refresh_cooldown_until = None
    connection.last_error = ""
    connection.save(
        update_fields=[
            "access_token",
            "refresh_token",
            "token_expires_at",
            "refresh_token_expires_at",
            "settings",
            "last_refreshed_at",
            "refresh_failures",
            "refresh_cooldown_until",
            "last_error",
            "updated_at",
        ]
    )
    ConnectionIssue.objects.filter(
        connection=connection, kind=ConnectionIssue.Kind.REFRESH_FAILING, resolved_at__isnull=True
    ).update(resolved_at=now)


def _record_failure(connection: Connection, exc: oauth.OAuthError) -> None:
    """Back off: 30 s, 60 s, 120 s ... up to an hour (or the vendor's Retry-After)."""
    failures = connection.refresh_failures + 1
    delay = min(COOLDOWN_BASE_S * 2 ** (failures - 1), COOLDOWN_MAX_S)
    delay = max(delay, exc.retry_after or 0)
    connection.refresh_failures = failures
    connection.refresh_cooldown_until = timezone.now() + timedelta(seconds=delay)
    connection.last_error = f"refresh failed: {exc.code or exc.status}"[:500]
    connection.save(update_fields=["refresh_failures", "refresh_cooldown_until", "last_error"])
    if failures >= 3:
        ConnectionIssue.objects.get_or_create(
            connection=connection,
            kind=ConnectionIssue.Kind.REFRESH_FAILING,
            resolved_at=None,
            defaults={"client_id": connection.client_id, "message": connection.last_error},
        )


def _require_usable(connection: Connection) -> None:
    if not connection.is_usable:
        raise ConnectorError(
            f"connection is {connection.status}", code=connection.status, needs_reauth=True
        )


def _require_not_cooling(connection: Connection) -> None:
    until = connection.refresh_cooldown_until
    if until and until > timezone.now():
        wait = (until - timezone.now()).total_seconds()
        raise ConnectorError("token refresh is cooling down", code="cooldown", retry_after=wait)


def _sync(target: Connection, source: Connection) -> None:
    """Make the caller's object show what is stored (it may be used for the next call)."""
    if target is not source:
        for name in (
            "status", "access_token", "refresh_token", "token_expires_at", "settings",
            "refresh_failures", "refresh_cooldown_until", "last_error", "last_refreshed_at",
        ):  # fmt: skip
            setattr(target, name, getattr(source, name))


def _try_lock(pk: int) -> AbstractContextManager[bool]:
    """Try once to take the connection's refresh lock (``connectors.locks``)."""
    return locks.try_lock(pk, "refresh", ttl=LOCK_TTL_S)


def due_for_refresh(*, within: timedelta = timedelta(minutes=15)) -> list[int]:
    """Active connections whose token expires within ``within``, not cooling down."""
    now = timezone.now()
    return list(
        _refreshable(now).filter(token_expires_at__lte=now + within).values_list("pk", flat=True)
    )


def stale(*, older_than: timedelta = timedelta(hours=24)) -> list[int]:
    """Active connections not refreshed for a day (keeps idle grants alive)."""
    now = timezone.now()
    cutoff = now - older_than
    qs = _refreshable(now).exclude(refresh_token="").exclude(last_refreshed_at__gt=cutoff)
    return list(qs.values_list("pk", flat=True))


def _refreshable(now: datetime) -> QuerySet[Connection]:
    from django.db.models import Q

    basic = [s for s in registry.slugs() if registry.get_spec(s).auth == "basic"]
    return (
        Connection.objects.filter(status=ConnectionStatus.ACTIVE)
        .exclude(provider__in=basic)
        .filter(Q(refresh_cooldown_until__isnull=True) | Q(refresh_cooldown_until__lte=now))
    )


def refresh_by_id(pk: int) -> None:
    """Beat helper: refresh one connection now (errors are recorded on the row)."""
    connection = Connection.objects.filter(pk=pk).first()
    if connection is None or not connection.is_usable:
        return
    try:
        refresh(connection, rejected_token=connection.access_token)
    except ConnectorError as exc:
        log.info("scheduled refresh of connection %s failed: %s", pk, exc.code or exc.status)
