"""Staff console pages for a client's connections: list with health, connect link, disconnect."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from connectors import links, registry, services
from connectors.catalog import KINDS
from connectors.models import Connection, ConnectionIssue
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


def _connections_page(
    request: HttpRequest, client: Client, *, new_link: str | None = None
) -> HttpResponse:
    """The list; ``new_link`` (just made) is shown with when it stops working."""
    member = scoping.membership(request.user, client.agency)
    rows = scoping.for_client(Connection, client).exclude(status="disabled")
    issues = scoping.for_client(ConnectionIssue, client).filter(resolved_at__isnull=True)
    chosen = [(kind, registry.get_spec(p)) for kind in KINDS if (p := client.provider_for(kind))]
    context = {
        "client": client,
        "connections": rows,
        "issues": issues.select_related("connection"),
        "chosen": chosen,
        "can_configure": bool(member and member.allows("configure")),
        "new_link": new_link,
        "link_expires": timezone.now() + timedelta(seconds=settings.CONNECT_LINK_MAX_AGE),
    }
    return render(request, "console/connections.html", context)


@login_required
@require_safe
def connections(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return _connections_page(request, client)


@login_required
@require_POST
def create_link(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    # Shown in this response only (a 7-day credential): never kept in the session for a
    # redirect, and marked no-store so no cache keeps it.
    response = _connections_page(request, client, new_link=links.connect_url(client))
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def connect(request: HttpRequest, public_id: str) -> HttpResponse:
    """Staff connect on the client's behalf: the same connect page, opened by staff."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    return redirect("connect:page", token=links.make_token(client))


def disconnect_effects(connection: Connection, client: Client) -> list[str]:
    """What disconnecting does, in the words staff read before they confirm."""
    spec = registry.get_spec(connection.provider)
    name = spec.display_name
    revocable = spec.oauth is not None and bool(spec.oauth.revoke_style)
    return [
        f"Switchboard's access to {name} is revoked at {name}."
        if revocable
        else f"{name} offers no way to revoke access from here: remove Switchboard in "
        f"{name}'s own settings as well if it must lose access.",
        f"The stored {name} tokens are deleted: nothing more is read from or written to "
        f"{name} for {client.name}.",
        f"Work for {name} is still accepted and waits, nothing lost, until someone "
        "connects it again with a connect link.",
        f"Records already written stay in {name}; the disconnection is audited.",
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def disconnect(request: HttpRequest, public_id: str, pk: int) -> HttpResponse:
    """GET: the confirmation, saying what will happen. POST with ``confirm=yes``: disconnect
    (a POST without it, from an old page or a script, only shows the confirmation)."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "configure")
    connection = get_object_or_404(
        scoping.for_client(Connection, client).exclude(status="disabled"), pk=pk
    )
    name = registry.get_spec(connection.provider).display_name
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(
            request,
            "console/confirm.html",
            {
                "client": client,
                "heading": f"Disconnect {name} from {client.name}?",
                "effects": disconnect_effects(connection, client),
                "button": f"Disconnect {name}",
                "action_url": request.path,
                "cancel_url": reverse("connections:list", args=[client.public_id]),
            },
        )
    revoked = services.connection_disconnect(connection, user=request.user)
    note = " and revoked at the vendor" if revoked else ""
    messages.success(request, f"{name} disconnected{note}.")
    return redirect("connections:list", public_id=client.public_id)
