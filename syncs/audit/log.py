"""Writing the append-only audit log: one entry per external write and per staff action."""

from __future__ import annotations

from typing import Any

from syncs.models import AuditEntry
from tenants.models import Client

SYSTEM = "system"  # as syncs.engine.runs.SYSTEM


def staff_actor(user: Any) -> str:
    """How a staff member appears in the log (the e-mail: stable and human-readable)."""
    return f"staff:{getattr(user, 'email', '') or user.pk}"


def audit_log(
    *, client: Client, actor: str, action: str, target: str = "", details: dict | None = None
) -> AuditEntry:
    """Append one entry. Never pass a secret in ``details``: the log is shown to staff."""
    return AuditEntry.record(
        client=client, actor=actor, action=action, target=target, details=details
    )
