"""Staff's writes to a client's scheduling set-up: calendar roles, services, business hours and
date overrides. Each is saved with its audit entry in one transaction, so the audit log says
who changed availability and from what (a slot that vanished can be explained).

The forms (``syncs.calendar.forms``) validate; these only write what a valid form holds.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from syncs.audit.log import audit_log
from syncs.calendar.models import BusinessHours, CalendarRole, DateOverride, Service

ROLE_FIELDS = ("role", "tentative", "stale_after_seconds")


def _plain(row: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The fields' values as JSON-friendly text (times and dates as ISO)."""
    values = model_to_dict(row, fields=list(fields))
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def calendar_role_save(role: CalendarRole, *, before: dict[str, Any], actor: str) -> None:
    """Save a role staff edited; ``before`` is ``calendar_role_values(role)`` read before the
    form changed it. Audited with what changed."""
    after = _plain(role, ROLE_FIELDS)
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    with transaction.atomic():
        role.save(update_fields=list(ROLE_FIELDS))
        audit_log(
            client=role.client,
            actor=actor,
            action="calendar.role_changed",
            target=f"calendar_role:{role.pk}",
            details={"calendar": role.name or role.calendar_id, "changed": changed},
        )


def calendar_role_values(role: CalendarRole) -> dict[str, Any]:
    return _plain(role, ROLE_FIELDS)


def service_save(service: Service, *, actor: str) -> None:
    """Create or update a service (its rules as saved go in the audit entry)."""
    action = "calendar.service_created" if service.pk is None else "calendar.service_changed"
    with transaction.atomic():
        service.save()
        audit_log(
            client=service.client,
            actor=actor,
            action=action,
            target=f"service:{service.public_id}",
            details=_plain(service, [f.name for f in Service._meta.fields if f.editable]),
        )


def service_set_active(service: Service, *, active: bool, actor: str) -> bool:
    """Offer a service again or stop offering it (kept, with its bookings). False if it was
    already so: a state, not a toggle, so a double submit is harmless."""
    if service.active == active:
        return False
    with transaction.atomic():
        service.active = active
        service.save(update_fields=["active"])
        audit_log(
            client=service.client,
            actor=actor,
            action="calendar.service_activated" if active else "calendar.service_deactivated",
            target=f"service:{service.public_id}",
            details={"name": service.name},
        )
    return True


def opening_add(row: BusinessHours | DateOverride, *, actor: str) -> None:
    """A weekly window or a date override, added."""
    kind = "hours" if isinstance(row, BusinessHours) else "override"
    with transaction.atomic():
        row.save()
        audit_log(
            client=row.client,
            actor=actor,
            action=f"calendar.{kind}_added",
            target=f"{kind}:{row.pk}",
            details={"what": str(row)},
        )


def opening_delete(row: BusinessHours | DateOverride, *, actor: str) -> None:
    kind = "hours" if isinstance(row, BusinessHours) else "override"
    target = f"{kind}:{row.pk}"
    with transaction.atomic():
        row.delete()
        audit_log(
            client=row.client,
            actor=actor,
            action=f"calendar.{kind}_deleted",
            target=target,
            details={"what": str(row)},
        )
