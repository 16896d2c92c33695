"""The Hours page of a client: weekly business hours (several windows a day make split hours)
and date overrides (holidays, special hours), all wall times in the client's zone, which the
page names. Changing them needs "configure"; a refused form comes back with its errors."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from syncs.audit.log import staff_actor
from syncs.calendar import localtime
from syncs.calendar.configure import opening_add, opening_delete
from syncs.calendar.forms import WEEKDAYS, BusinessHoursForm, DateOverrideForm
from syncs.calendar.models import BusinessHours, DateOverride
from syncs.ui.pages import context
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client

Opening = TypeVar("Opening", BusinessHours, DateOverride)
PAST_OVERRIDES_DAYS = 30  # recent past overrides stay visible; older ones are history


def _hours_page(
    request: HttpRequest,
    client: Client,
    refused: BusinessHoursForm | DateOverrideForm | None = None,
) -> HttpResponse:
    """The page; with ``refused``, that form in its place with its errors, and 400."""
    weekly = scoping.for_client(BusinessHours, client)
    days = [(n, name, [h for h in weekly if h.weekday == n]) for n, name in WEEKDAYS]
    today = localtime.local_date(timezone.now(), localtime.zone_named(client.time_zone))
    overrides = scoping.for_client(DateOverride, client).filter(
        date__gte=today - timedelta(days=PAST_OVERRIDES_DAYS)
    )
    return render(
        request,
        "console/calendar/hours.html",
        context(
            request,
            client,
            days=days,
            overrides=overrides,
            today=today,
            hours_form=(
                refused
                if isinstance(refused, BusinessHoursForm)
                else BusinessHoursForm(client=client)
            ),
            override_form=(
                refused
                if isinstance(refused, DateOverrideForm)
                else DateOverrideForm(client=client)
            ),
        ),
        status=200 if refused is None else 400,
    )


@login_required
@require_safe
def hours(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return _hours_page(request, client)


def _opening_label(row: BusinessHours | DateOverride) -> str:
    """How the page names a window: "Monday 09:00-17:00", or a date override as it reads."""
    if isinstance(row, BusinessHours):
        return f"{WEEKDAYS[row.weekday][1]} {row.start:%H:%M}-{row.end:%H:%M}"
    return str(row)


def _add(
    request: HttpRequest,
    public_id: str,
    form_class: type[BusinessHoursForm] | type[DateOverrideForm],
) -> HttpResponse:
    """Add the posted window or override; a refused form comes back on the page (400)."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    form = form_class(request.POST, client=client)
    if not form.is_valid():
        return _hours_page(request, client, refused=form)
    row = form.save(commit=False)
    opening_add(row, actor=staff_actor(request.user))
    messages.success(request, f"{_opening_label(row)} added.")
    return redirect("calendar_console:hours", public_id=client.public_id)


def _delete(request: HttpRequest, public_id: str, model: type[Opening], pk: int) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    row = get_object_or_404(scoping.for_client(model, client), pk=pk)
    opening_delete(row, actor=staff_actor(request.user))
    messages.success(request, f"{_opening_label(row)} removed.")
    return redirect("calendar_console:hours", public_id=client.public_id)


@login_required
@require_POST
def hours_add(request: HttpRequest, public_id: str) -> HttpResponse:
    return _add(request, public_id, BusinessHoursForm)


@login_required
@require_POST
def hours_delete(request: HttpRequest, public_id: str, hours_id: int) -> HttpResponse:
    return _delete(request, public_id, BusinessHours, hours_id)


@login_required
@require_POST
def override_add(request: HttpRequest, public_id: str) -> HttpResponse:
    return _add(request, public_id, DateOverrideForm)


@login_required
@require_POST
def override_delete(request: HttpRequest, public_id: str, override_id: int) -> HttpResponse:
    return _delete(request, public_id, DateOverride, override_id)
