"""Which calendars a calendar connection has, and the role each plays for its client.

Run when a calendar connection is made (``receivers``, after the connect commits, on a worker)
and when staff press "Refresh calendars" (``console``). The defaults, decided here once:

- The account's primary calendar (Google's ``primary``, Graph's ``isDefaultCalendar``)
  **writes** bookings, if the client has no calendar taking bookings yet: bookings need exactly
  one calendar to go to, and the primary one is where the owner looks. An account that names
  no primary (CalDAV) writes to its only writable calendar; with several, none is guessed and
  the Calendars page asks staff to choose.
- Every other calendar **blocks**. Blocking too much shows as fewer slots on the preview, which
  staff see and fix; ignoring a calendar that mattered double-books, which nobody sees until
  the customer arrives. Tentative events block (the model's default) for the same reason.
- A calendar already known keeps its role, tentative policy and stale bound (staff may have
  set them); only its name and owner zone follow the vendor.
- A calendar gone from the account (deleted, unshared) is set to **ignored**: it can be neither
  read nor written, and a blocking calendar whose read fails leaves every calendar of its
  connection out of the busy read (``busy.read_busy``), i.e. stale. The result names it, so
  staff are told; if it comes back it stays ignored until staff choose.

Vendor errors are raised (``ConnectorError``), never swallowed: the console shows the message,
and the worker records it in the audit log where the Calendars page shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from connectors.base import CalendarClient, CalendarInfo, ConnectorError
from connectors.models import Connection
from connectors.registry import client_for
from syncs.audit.log import audit_log
from syncs.calendar.models import CalendarRole
from tenants.models import Client
from tenants.scoping import for_client

DISCOVERED = "calendar.discovered"
DISCOVERY_FAILED = "calendar.discovery_failed"


@dataclass
class Discovery:
    """What one discovery changed, by calendar name (for the message and the audit)."""

    added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    kept: int = 0

    def summary(self) -> str:
        parts = [f"{len(self.added)} new", f"{self.kept} unchanged"]
        if self.renamed:
            parts.append(f"{len(self.renamed)} renamed or moved zone")
        if self.gone:
            parts.append(f"gone from the account, now ignored: {', '.join(self.gone)}")
        return "; ".join(parts)


def booking_calendar(listed: list[CalendarInfo]) -> str | None:
    """The id of the calendar that should take bookings: the primary one; an account that
    names none (CalDAV) but has exactly one calendar it may write, that one; else None (staff
    choose: the Calendars page says none is chosen)."""
    primary = [c for c in listed if c.primary and c.can_write]
    if primary:
        return primary[0].id
    writable = [c for c in listed if c.can_write]
    return writable[0].id if len(writable) == 1 and not any(c.primary for c in listed) else None


def default_role(info: CalendarInfo, *, booking_calendar_id: str | None) -> str:
    """The role a newly seen calendar starts with (see the module docstring for why)."""
    if info.id == booking_calendar_id:
        return CalendarRole.Role.WRITES
    return CalendarRole.Role.BLOCKS


def calendar_roles_discover(
    connection: Connection,
    *,
    actor: str,
    vendor: Callable[[Connection], Any] = client_for,
) -> Discovery:
    """List the connection's calendars at the vendor and bring its ``CalendarRole`` rows in
    line (defaults for new ones, names for known ones, gone ones ignored), audited as
    ``calendar.discovered``. Raises ``ConnectorError`` when the vendor refused the list (the
    rows are then untouched) and ``ValueError`` for a connection that is not a calendar's."""
    if connection.kind != "calendar":
        raise ValueError(f"connection {connection.pk} is not a calendar connection")
    calendar_client: CalendarClient = vendor(connection)
    listed = calendar_client.list_calendars()  # the vendor call, outside any transaction
    client = Client.objects.get(pk=connection.client_id)
    with transaction.atomic():
        result = _apply(client, connection, listed)
        audit_log(
            client=client,
            actor=actor,
            action=DISCOVERED,
            target=f"connection:{connection.pk}",
            details={
                "provider": connection.provider,
                "added": result.added,
                "renamed": result.renamed,
                "gone": result.gone,
            },
        )
    return result


def _apply(client: Client, connection: Connection, listed: list[CalendarInfo]) -> Discovery:
    roles = for_client(CalendarRole, client).select_for_update()
    known = {r.calendar_id: r for r in roles.filter(connection=connection)}
    has_writer = roles.filter(role=CalendarRole.Role.WRITES).exists()
    writer = None if has_writer else booking_calendar(listed)
    result = Discovery()
    for info in listed:
        row = known.pop(info.id, None)
        if row is None:
            role = default_role(info, booking_calendar_id=writer)
            CalendarRole.objects.create(
                client=client,
                connection=connection,
                calendar_id=info.id,
                name=info.name[:255],
                time_zone=info.time_zone[:64],
                role=role,
            )
            result.added.append(info.name or info.id)
        elif (row.name, row.time_zone) != (info.name[:255], info.time_zone[:64]):
            row.name, row.time_zone = info.name[:255], info.time_zone[:64]
            row.save(update_fields=["name", "time_zone"])
            result.renamed.append(info.name or info.id)
        else:
            result.kept += 1
    for row in known.values():
        result.gone.append(row.name or row.calendar_id)
        if row.role != CalendarRole.Role.IGNORED:
            row.role = CalendarRole.Role.IGNORED
            row.save(update_fields=["role"])
    return result


def calendar_discovery_failed(connection: Connection, error: ConnectorError, *, actor: str) -> None:
    """Record a refused discovery where staff see it (the Calendars page shows the last one):
    the vendor's message as the HTTP layer cleaned it, never a token."""
    audit_log(
        client=Client.objects.get(pk=connection.client_id),
        actor=actor,
        action=DISCOVERY_FAILED,
        target=f"connection:{connection.pk}",
        details={
            "provider": connection.provider,
            "status": error.status,
            "code": error.code,
            "message": str(error)[:300],
        },
    )
