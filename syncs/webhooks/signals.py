"""Signals other apps send that become outbound webhooks.

``connectors.signals`` comes with the OAuth work; until it is merged there is nothing to hear,
so the import is guarded rather than required.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from syncs.webhooks.services import emit


def on_connection_needs_reauth(sender: object, connection: Any, **kwargs: Any) -> None:
    """Tell the client's chatbot vendor that a connection must be reconnected."""
    payload = {
        "connection": {
            "provider": connection.provider,
            "kind": connection.kind,
            "status": connection.status,
        }
    }
    with transaction.atomic():
        emit(connection.client, "connection.needs_reauth", payload)


def connect_receivers() -> None:
    try:
        from connectors.signals import connection_needs_reauth
    except ImportError:
        return
    connection_needs_reauth.connect(
        on_connection_needs_reauth, dispatch_uid="syncs.webhooks.connection_needs_reauth"
    )
