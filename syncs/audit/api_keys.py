"""Issuing and revoking a client's API key are audited like any staff action.

The tenants console announces both (``tenants.signals.api_key_changed``) inside the
transaction that changes the key, so the entry here commits with it or not at all. The details
hold the key's name and public prefix, never the key.
"""

from __future__ import annotations

from typing import Any

from syncs.audit.log import audit_log, staff_actor


def on_api_key_changed(sender: object, key: Any, user: Any, action: str, **kw: Any) -> None:
    audit_log(
        client=key.client,
        actor=staff_actor(user),
        action=action,
        target=f"api_key:{key.pk}",
        details={"name": key.name, "prefix": key.prefix},
    )


def connect_receivers() -> None:
    from tenants.signals import api_key_changed

    api_key_changed.connect(on_api_key_changed, dispatch_uid="syncs.audit.api_keys")
