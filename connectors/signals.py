"""Connection lifecycle events other apps subscribe to (outbound webhooks, parked sync jobs).

``connection_needs_reauth``: the grant is dead; jobs must wait (``connection.is_usable`` is
False) and the client has been emailed a connect link. ``connection_reconnected``: the client
connected again; parked jobs may be released. Both: ``sender=Connection, connection=<row>``,
sent after the transaction that changed the status has committed.
"""

from __future__ import annotations

from django.dispatch import Signal

connection_needs_reauth = Signal()
connection_reconnected = Signal()
