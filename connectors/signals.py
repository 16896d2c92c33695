"""Connection lifecycle events other apps subscribe to (outbound webhooks, parked sync jobs).

``connection_needs_reauth``: the grant is dead; jobs must wait (``connection.is_usable`` is
False) and the client has been emailed a connect link. ``connection_reconnected``: the client
connected again; parked jobs may be released. Both: ``sender=Connection, connection=<row>``,
sent after the transaction that changed the status has committed.

``connection_connected`` and ``connection_disconnected`` are sent *inside* that transaction
(``sender=Connection, connection=<row>, user=<the signed-in user or None>``; disconnected also
``revoked=<bool>``), so what subscribes (the audit log) commits or rolls back with the change.
``user`` is None when a client connected through a connect link without signing in.
"""

from __future__ import annotations

from django.dispatch import Signal

connection_needs_reauth = Signal()
connection_reconnected = Signal()
connection_connected = Signal()
connection_disconnected = Signal()
