"""The Services page of a client: what its customers book. Looking needs a membership;
creating, editing and (de)activating need "configure". A service is never deleted here (its
bookings keep pointing at it): it is deactivated, and no longer offered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from syncs.audit.log import staff_actor
from syncs.calendar.configure import service_save, service_set_active
from syncs.calendar.forms import ServiceForm
from syncs.calendar.models import Service
from syncs.ui.pages import context
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


def _form_posted(
    request: HttpRequest, client: Client, service: Service | None
) -> tuple[ServiceForm, HttpResponse | None]:
    """The page's form, and the redirect once a posted one is saved. A GET gets the form of
    ``service`` (a new one for None); a POST needs "configure", and a refused form comes back
    bound, with its errors, for the page to show with 400."""
    if request.method != "POST":
        return ServiceForm(instance=service, client=client), None
    require_role(request.user, client.agency, "configure")
    form = ServiceForm(request.POST, instance=service, client=client)
    if not form.is_valid():
        return form, None
    saved = form.save(commit=False)
    service_save(saved, actor=staff_actor(request.user))
    done = "created" if service is None else "saved"
    messages.success(request, f"Service “{saved.name}” {done}.")
    return form, redirect("calendar_console:services", public_id=client.public_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def services(request: HttpRequest, public_id: str) -> HttpResponse:
    """The list and, below it, the form for a new service (POST creates it)."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    form, saved = _form_posted(request, client, None)
    if saved is not None:
        return saved
    rows = scoping.for_client(Service, client).order_by("-active", "name")
    return render(
        request,
        "console/calendar/services.html",
        context(request, client, services=rows, form=form),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def service_edit(request: HttpRequest, public_id: str, service_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    service = get_object_or_404(scoping.for_client(Service, client), public_id=service_id)
    form, saved = _form_posted(request, client, service)
    if saved is not None:
        return saved
    return render(
        request,
        "console/calendar/service_form.html",
        context(request, client, service=service, form=form),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def service_active(request: HttpRequest, public_id: str, service_id: str) -> HttpResponse:
    """``active=yes`` offers the service again, ``active=no`` stops offering it."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    service = get_object_or_404(scoping.for_client(Service, client), public_id=service_id)
    wanted = request.POST.get("active")
    if wanted not in ("yes", "no"):
        messages.error(request, "Choose to offer the service or to stop offering it.")
    elif service_set_active(service, active=wanted == "yes", actor=staff_actor(request.user)):
        word = "offered again" if wanted == "yes" else "no longer offered"
        messages.success(request, f"Service “{service.name}” is {word}.")
    else:
        messages.info(request, f"Service “{service.name}” already was so.")
    return redirect("calendar_console:services", public_id=client.public_id)
