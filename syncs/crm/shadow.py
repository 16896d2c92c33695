"""Shadow mode per CRM connection: switch it (audited) and read back what it would have written.

In shadow mode a CRM job runs its reads and records its writes as ``would_create`` /
``would_update`` ExternalRecords instead of sending them (``syncs.crm.writes``). Staff compare
that with the CRM before going live, so the console shows each record as a field-by-field diff:
what the CRM holds now (the update's snapshot) beside what would have been written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from connectors.models import Connection
from syncs.audit.log import audit_log
from syncs.models import ExternalRecord, RecordAction

# Keys the writer keeps beside the vendor's fields: shown under a plain name, not as a field.
INTERNAL_KEYS = {"_tag": "source tag (Switchboard)", "_tags": "follow-up tags (Switchboard)"}


@dataclass(frozen=True)
class DiffRow:
    field: str
    before: str | None  # None: the record would be new, there is no "before"
    after: str
    changed: bool


def connection_set_shadow_mode(*, connection: Connection, on: bool, actor: str) -> bool:
    """Switch shadow mode on or off; returns False when it already was (nothing audited).

    Locked and re-read so two staff pressing at once write one audit entry, not two."""
    with transaction.atomic():
        row = Connection.objects.select_for_update().get(pk=connection.pk)
        if row.shadow_mode == on:
            return False
        row.shadow_mode = on
        row.save(update_fields=["shadow_mode", "updated_at"])
        audit_log(
            client=row.client,
            actor=actor,
            action="connection.shadow_on" if on else "connection.shadow_off",
            target=f"connection:{row.pk}",
            details={"provider": row.provider},
        )
    connection.shadow_mode = on
    return True


def record_diff(record: ExternalRecord) -> list[DiffRow]:
    """Field by field: for a would-be update the CRM's current value (its snapshot) and the one
    that would replace it; for a would-be create only the values (``before`` is None)."""
    creating = record.action == RecordAction.WOULD_CREATE
    snapshot = record.snapshot if isinstance(record.snapshot, dict) else {}
    rows = []
    for name, value in sorted((record.values or {}).items()):
        after = _text(value)
        before = None if creating else _text(snapshot.get(name, ""))
        rows.append(
            DiffRow(INTERNAL_KEYS.get(name, name), before, after, creating or before != after)
        )
    return rows


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
