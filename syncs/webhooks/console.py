"""Staff console page: a client's webhook endpoints and their recent delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from syncs.webhooks import services
from syncs.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants import scoping
from tenants.console import client_of, require_role

RECENT_DELIVERIES = 100


@login_required
@require_safe
def webhooks(request: HttpRequest, public_id: str) -> HttpResponse:
    client = client_of(request, public_id)
    member = scoping.membership(request.user, client.agency)
    deliveries = scoping.for_client(WebhookDelivery, client).select_related("endpoint", "message")
    return render(
        request,
        "console/webhooks.html",
        {
            "client": client,
            "endpoints": scoping.for_client(WebhookEndpoint, client),
            "deliveries": deliveries[:RECENT_DELIVERIES],
            "can_operate": bool(member and member.allows("operate")),
        },
    )


@login_required
@require_POST
def endpoint_toggle(request: HttpRequest, public_id: str, endpoint_id: str) -> HttpResponse:
    client = client_of(request, public_id)
    require_role(request.user, client.agency, "operate")
    endpoint = get_object_or_404(scoping.for_client(WebhookEndpoint, client), public_id=endpoint_id)
    enable = request.POST.get("enabled") == "1"
    services.endpoint_set_enabled(
        endpoint=endpoint, enabled=enable, reason=f"Disabled in the console by {request.user}."
    )
    messages.success(request, f"Endpoint {'enabled' if enable else 'disabled'}: {endpoint.url}")
    return redirect("webhooks_console:list", public_id=client.public_id)
