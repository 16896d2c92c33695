"""What the calendar domain does when a connection is made: discover its calendars once the
connect has committed, on a worker (a vendor call never runs inside the connect's
transaction, nor in the client's browser request)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from syncs.calendar.tasks import discover_calendars

log = logging.getLogger(__name__)


def on_connection_connected(sender: object, connection: Any, **kwargs: Any) -> None:
    if connection.kind != "calendar":
        return
    connection_id = connection.pk
    transaction.on_commit(lambda: _publish(connection_id))


def _publish(connection_id: int) -> None:
    # The connect has committed and must not fail for this: without the message, the
    # Calendars page shows no calendar yet and staff press "Refresh calendars".
    try:
        discover_calendars.delay(connection_id)
    except Exception:
        log.exception("could not queue calendar discovery for connection %s", connection_id)


def connect_receivers() -> None:
    from connectors.signals import connection_connected

    connection_connected.connect(
        on_connection_connected, dispatch_uid="syncs.calendar.discover_on_connect"
    )
