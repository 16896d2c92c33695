"""The staff console: clients and their API keys. Other apps' pages live beside what they show
(the client list led by sync health: ``syncs.metrics.console``), included by the URLs here.

Every lookup goes through ``tenants.scoping``; every change checks the member's role.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tenants import scoping
from tenants.forms import ApiKeyForm, ClientForm
from tenants.models import Agency, ApiKey, Client
from tenants.signals import api_key_changed


def require_role(user: object, agency: Agency, action: str) -> None:
    """Raise PermissionDenied unless the user's role in ``agency`` allows ``action``."""
    member = scoping.membership(user, agency)  # type: ignore[arg-type]
    if member is None or not member.allows(action):
        raise PermissionDenied(f"Your role does not allow '{action}' in {agency}.")


@login_required
def client_create(request: HttpRequest, agency_slug: str) -> HttpResponse:
    agency = get_object_or_404(scoping.agencies_for(request.user), slug=agency_slug)
    require_role(request.user, agency, "configure")
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = form.save(commit=False)
        client.agency = agency
        try:
            client.save()
        except IntegrityError:
            form.add_error("slug", "This agency already has a client with that slug.")
        else:
            messages.success(request, f"Client {client.name} created.")
            return redirect("console:client", public_id=client.public_id)
    return render(request, "console/client_form.html", {"form": form, "agency": agency})


def _client_page(
    request: HttpRequest,
    client: Client,
    *,
    key_form: ApiKeyForm | None = None,
    new_key: str | None = None,
    status: int = 200,
) -> HttpResponse:
    member = scoping.membership(request.user, client.agency)
    context = {
        "client": client,
        "api_keys": scoping.for_client(ApiKey, client),
        "key_form": key_form or ApiKeyForm(),
        "can_operate": bool(member and member.allows("operate")),
        "new_key": new_key,
    }
    return render(request, "console/client.html", context, status=status)


@login_required
@require_safe
def client_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return _client_page(request, client)


@login_required
@require_POST
def api_key_create(request: HttpRequest, public_id: str) -> HttpResponse:
    """Issue a key and show it in this response only.

    The raw key is rendered here rather than kept for a redirect: a session entry would sit in
    ``django_session``, readable by anyone with database access. Only its hash is stored, and
    the page is marked ``no-store`` so no cache keeps it either.
    """
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _client_page(request, client, key_form=form, status=400)
    with transaction.atomic():
        key, raw = ApiKey.issue(
            client=client, name=form.cleaned_data["name"], created_by=request.user
        )
        _audit_key(request, key, "api_key.created")
    response = _client_page(request, client, new_key=raw)
    add_never_cache_headers(response)
    return response


def _audit_key(request: HttpRequest, key: ApiKey, action: str) -> None:
    """Key changes in the client's audit log (``syncs.audit.api_keys`` subscribes)."""
    api_key_changed.send(sender=ApiKey, key=key, user=request.user, action=action)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_key_revoke(request: HttpRequest, public_id: str, key_id: int) -> HttpResponse:
    """GET: the confirmation, saying what will happen. POST with ``confirm=yes``: revoke."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    key = get_object_or_404(scoping.for_client(ApiKey, client).filter(revoked_at=None), pk=key_id)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        effects = [
            f"Every request made with the key “{key.name}” ({key.prefix}…) is refused with "
            "401 from now on: the chatbot using it stops delivering leads until it is given "
            "a new key.",
            "Leads already received are not affected; the revocation is audited.",
        ]
        return render(
            request,
            "console/confirm.html",
            {
                "client": client,
                "heading": f"Revoke the API key “{key.name}”?",
                "effects": effects,
                "irreversible": "A revoked key cannot be restored; create a new one instead.",
                "button": "Revoke this key",
                "action_url": request.path,
                "cancel_url": reverse("console:client", args=[client.public_id]),
            },
        )
    with transaction.atomic():
        key.revoke()
        _audit_key(request, key, "api_key.revoked")
    messages.success(request, f"Key {key.prefix}… revoked.")
    return redirect("console:client", public_id=client.public_id)


def client_of(request: HttpRequest, public_id: str) -> Client:
    """For console pages of other apps: the client, if this staff member may see it."""
    return scoping.client_for_user_or_404(request.user, public_id)
