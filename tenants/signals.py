"""Staff changes to a client's API keys, for the apps that record them (the audit log).

``api_key_changed``: ``sender=ApiKey, key=<row>, user=<the staff member>, action=<"api_key.
created" or "api_key.revoked">``, sent *inside* the transaction that changed the key, so what
subscribes commits or rolls back with the change. A signal rather than a call: the audit log
lives in ``syncs``, which depends on ``tenants``, not the other way round.
"""

from __future__ import annotations

from django.dispatch import Signal

api_key_changed = Signal()
