"""The Calendars page of a client: each calendar of each calendar connection with its role,
tentative policy, owner zone and freshness; staff edit the role ("configure") and refresh the
list from the vendor ("operate": it reads, and only adds rows with the defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from connectors import registry
from connectors.base import ConnectorError
from connectors.models import Connection
from syncs.audit.log import staff_actor
from syncs.calendar import discovery, freshness
from syncs.calendar.configure import calendar_role_save, calendar_role_values
from syncs.calendar.forms import CalendarRoleForm
from syncs.calendar.models import CalendarRole
from syncs.calendar.sync_state.models import CalendarSync
from syncs.models import AuditEntry
from syncs.ui.pages import context
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


@dataclass
class CalendarRow:
    role: CalendarRole
    form: CalendarRoleForm
    current_as_of: datetime | None  # when our data of it is current (None: never read)
    stale: bool  # a calendar that is read (blocks or writes) whose data is older than its bound
    pushed: bool  # a live push channel: the vendor tells us of every change


@dataclass
class ConnectionCalendars:
    connection: Connection
    name: str
    calendars: list[CalendarRow]
    failure: AuditEntry | None  # the last discovery, if the vendor refused it


def current_as_of(role: CalendarRole, sync: CalendarSync | None, now: datetime) -> datetime | None:
    """When our data of the calendar is current: its last read, or what its sync says (a live
    push channel keeps it current as of now: ``freshness.current_as_of``)."""
    as_of = role.last_read_at
    stale_after = timedelta(seconds=role.stale_after_seconds)
    synced = None if sync is None else freshness.current_as_of(sync, now, stale_after)
    if synced is not None and (as_of is None or synced > as_of):
        return synced
    return as_of


def is_stale(role: CalendarRole, as_of: datetime | None, now: datetime) -> bool:
    """Stale as availability decides it: a read calendar never read, or read too long ago."""
    if role.role == CalendarRole.Role.IGNORED:
        return False
    return as_of is None or (now - as_of).total_seconds() > role.stale_after_seconds


def _last_failure(client: Client, connection: Connection) -> AuditEntry | None:
    last = (
        scoping.for_client(AuditEntry, client)
        .filter(
            target=f"connection:{connection.pk}",
            action__in=[discovery.DISCOVERED, discovery.DISCOVERY_FAILED],
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return last if last is not None and last.action == discovery.DISCOVERY_FAILED else None


def _calendars_page(
    request: HttpRequest,
    client: Client,
    refused: tuple[int, CalendarRoleForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    connections = scoping.for_client(Connection, client).filter(kind="calendar")
    roles = scoping.for_client(CalendarRole, client).order_by("name", "calendar_id")
    syncs = {s.role_id: s for s in scoping.for_client(CalendarSync, client)}
    groups = []
    for connection in connections.exclude(status="disabled").order_by("provider"):
        rows = []
        for role in roles.filter(connection=connection):
            form = CalendarRoleForm(instance=role, prefix=f"role{role.pk}", client=client)
            if refused is not None and refused[0] == role.pk:
                form = refused[1]
            sync = syncs.get(role.pk)
            as_of = current_as_of(role, sync, now)
            pushed = sync is not None and freshness.has_live_channel(sync, now)
            rows.append(CalendarRow(role, form, as_of, is_stale(role, as_of, now), pushed))
        name = registry.display_name(connection.provider)
        groups.append(
            ConnectionCalendars(connection, name, rows, _last_failure(client, connection))
        )
    return render(
        request,
        "console/calendar/calendars.html",
        context(
            request,
            client,
            groups=groups,
            now=now,
            has_writer=roles.filter(role=CalendarRole.Role.WRITES).exists(),
        ),
        status=status,
    )


@login_required
@require_safe
def calendars(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return _calendars_page(request, client)


@login_required
@require_POST
def calendars_refresh(request: HttpRequest, public_id: str, connection_id: int) -> HttpResponse:
    """List the account's calendars now; the vendor's refusal is shown as it said it."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    connection = get_object_or_404(
        scoping.for_client(Connection, client).filter(kind="calendar").exclude(status="disabled"),
        pk=connection_id,
    )
    name = registry.display_name(connection.provider)
    actor = staff_actor(request.user)
    try:
        result = discovery.calendar_roles_discover(connection, actor=actor)
    except ConnectorError as exc:
        discovery.calendar_discovery_failed(connection, exc, actor=actor)
        messages.error(request, f"{name} refused the calendar list: {exc}")
    else:
        messages.success(request, f"{name} calendars refreshed: {result.summary()}.")
    return redirect("calendar_console:calendars", public_id=client.public_id)


@login_required
@require_POST
def calendar_role_edit(request: HttpRequest, public_id: str, role_id: int) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    role = get_object_or_404(scoping.for_client(CalendarRole, client), pk=role_id)
    before = calendar_role_values(role)
    form = CalendarRoleForm(request.POST, instance=role, prefix=f"role{role.pk}", client=client)
    if not form.is_valid():
        messages.error(request, f"“{role.name or role.calendar_id}” not saved: see below.")
        return _calendars_page(request, client, refused=(role.pk, form), status=400)
    calendar_role_save(form.save(commit=False), before=before, actor=staff_actor(request.user))
    messages.success(request, f"“{role.name or role.calendar_id}” saved.")
    return redirect("calendar_console:calendars", public_id=client.public_id)
