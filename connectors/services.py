"""Writes on connections: connect, needs-reauth, disconnect. Views and tasks stay thin."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from connectors import connection_cache, oauth, registry
from connectors.catalog import kind_of
from connectors.models import Connection, ConnectionIssue, ConnectionStatus
from connectors.oauth import TokenSet
from connectors.signals import (
    connection_connected,
    connection_disconnected,
    connection_needs_reauth,
    connection_reconnected,
)
from tenants.models import Client

log = logging.getLogger(__name__)


def connection_connect(
    *,
    client: Client,
    provider: str,
    tokens: TokenSet,
    tenant_settings: dict[str, str],
    user: object = None,
) -> Connection:
    """Store a fully exchanged grant (all or nothing), resolve open issues, announce it.
    ``user``: the signed-in staff member who connected, None for a client's connect link."""
    with transaction.atomic():
        connection, _ = Connection.objects.select_for_update().get_or_create(
            client=client, provider=provider, defaults={"kind": kind_of(provider)}
        )
        connection.kind = kind_of(provider)
        connection.status = ConnectionStatus.ACTIVE
        connection.external_account_id = tokens.account_id or connection.external_account_id
        connection.scopes = list(tokens.scopes)
        connection.settings = {**tenant_settings, **tokens.settings}
        connection.access_token = tokens.access_token
        connection.refresh_token = tokens.refresh_token
        connection.token_expires_at = tokens.expires_at
        connection.refresh_token_expires_at = tokens.refresh_expires_at
        connection.last_refreshed_at = timezone.now()
        connection.refresh_failures = 0
        connection.refresh_cooldown_until = None
        connection.last_error = ""
        connection.connected_at = timezone.now()
        connection.save()
        ConnectionIssue.objects.filter(connection=connection, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        connection_connected.send(sender=Connection, connection=connection, user=user)
        transaction.on_commit(
            lambda: connection_reconnected.send(sender=Connection, connection=connection)
        )
    return connection


def connection_mark_needs_reauth(connection: Connection, reason: str) -> None:
    """The grant is dead: status, a console issue, an email to the client, the signal."""
    from connectors import links  # the URLconf is only needed here

    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            status=ConnectionStatus.NEEDS_REAUTH, last_error=reason[:500], updated_at=timezone.now()
        )
        connection_cache.invalidate(connection.client_id)  # update() sends no signal
        connection.status = ConnectionStatus.NEEDS_REAUTH
        connection.last_error = reason[:500]
        ConnectionIssue.objects.get_or_create(
            connection=connection,
            kind=ConnectionIssue.Kind.NEEDS_REAUTH,
            resolved_at=None,
            defaults={"client_id": connection.client_id, "message": reason[:500]},
        )
        client = Client.objects.get(pk=connection.client_id)
        url = links.connect_url(client)
        transaction.on_commit(lambda: _announce_needs_reauth(connection, client, url))


def _announce_needs_reauth(connection: Connection, client: Client, url: str) -> None:
    name = registry.get_spec(connection.provider).display_name
    if client.contact_email:
        send_mail(
            subject=f"Please reconnect {name}",
            message=(
                f"Hello {client.name},\n\nYour {name} connection stopped working: the "
                f"authorisation was revoked or expired. Until you reconnect it, nothing is "
                f"written to {name} (pending work is kept and resumes afterwards).\n\n"
                f"Reconnect here: {url}\n"
            ),
            from_email=None,
            recipient_list=[client.contact_email],
        )
    connection_needs_reauth.send(sender=Connection, connection=connection)


def connection_note_limited(connection: Connection, message: str) -> None:
    """Show staff that the connection works with less protection than it could (an optional
    permission missing), until it is fixed or the client reconnects. One open note per
    connection: a second, different limit (a refused field, then a refused deal key) is added
    to its message, so staff see every gap at once."""
    message = message[:500]
    issue, created = ConnectionIssue.objects.get_or_create(
        connection=connection,
        kind=ConnectionIssue.Kind.LIMITED,
        resolved_at=None,
        defaults={"client_id": connection.client_id, "message": message},
    )
    if not created and message not in issue.message:
        issue.message = f"{issue.message}\n{message}"[:2000]
        issue.save(update_fields=["message"])


def connection_clear_limited(connection: Connection) -> None:
    ConnectionIssue.objects.filter(
        connection=connection, kind=ConnectionIssue.Kind.LIMITED, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())


def connection_disconnect(connection: Connection, *, user: object = None) -> bool:
    """Revoke at the vendor where it can be done, then forget the tokens. True if revoked.
    ``user`` (the staff member) is passed on to ``connection_disconnected`` for the audit."""
    revoked = False
    spec = registry.get_spec(connection.provider)
    if spec.oauth is not None and spec.oauth.revoke_style and connection.access_token:
        try:
            revoked = oauth.revoke(
                connection.provider,
                access_token=connection.access_token,
                refresh_token=connection.refresh_token,
                tenant=connection.settings,
            )
        except oauth.OAuthError as exc:
            log.warning("revoking %s failed: %s", connection.provider, exc.code or exc.status)
    with transaction.atomic():
        connection.status = ConnectionStatus.DISABLED
        connection.access_token = ""
        connection.refresh_token = ""
        connection.token_expires_at = None
        connection.save()
        ConnectionIssue.objects.filter(connection=connection, resolved_at__isnull=True).update(
            resolved_at=timezone.now()
        )
        connection_disconnected.send(
            sender=Connection, connection=connection, user=user, revoked=revoked
        )
    return revoked
