"""Connecting and disconnecting a system are audited like any staff action.

The connectors app announces both (``connectors.signals``) inside the transaction that
changes the connection, so the entry here commits with it or not at all. Never a token in the
details: only the provider, the account id and the scopes granted.
"""

from __future__ import annotations

from typing import Any

from syncs.audit.log import audit_log, staff_actor
from tenants import scoping

CONNECT_LINK = "client:connect-link"


def _actor(user: Any, connection: Any) -> str:
    """Staff of the client's agency by e-mail; anyone else came through the connect link."""
    if user is not None and scoping.membership(user, connection.client.agency) is not None:
        return staff_actor(user)
    return CONNECT_LINK


def on_connection_connected(sender: object, connection: Any, user: Any = None, **kw: Any) -> None:
    audit_log(
        client=connection.client,
        actor=_actor(user, connection),
        action="connection.connected",
        target=f"connection:{connection.pk}",
        details={
            "provider": connection.provider,
            "account": connection.external_account_id,
            "scopes": list(connection.scopes),
        },
    )


def on_connection_disconnected(
    sender: object, connection: Any, user: Any = None, revoked: bool = False, **kw: Any
) -> None:
    audit_log(
        client=connection.client,
        actor=_actor(user, connection),
        action="connection.disconnected",
        target=f"connection:{connection.pk}",
        details={"provider": connection.provider, "revoked_at_vendor": revoked},
    )


def connect_receivers() -> None:
    from connectors.signals import connection_connected, connection_disconnected

    connection_connected.connect(on_connection_connected, dispatch_uid="syncs.audit.log.connected")
    connection_disconnected.connect(
        on_connection_disconnected, dispatch_uid="syncs.audit.log.disconnected"
    )
