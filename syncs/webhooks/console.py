"""Staff console page: a client's webhook endpoints and their delivery log, with retry (a
failed or dead delivery, now) and redeliver (a delivered one, again)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from syncs.audit.log import staff_actor
from syncs.webhooks import services
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from syncs.webhooks.resend import CannotResend, delivery_resend, endpoint_recover
from tenants import scoping
from tenants.console import client_of, require_role

PAGE_SIZE = 50
RECOVER_SINCE = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "any status"), *DeliveryStatus.choices], required=False
    )
    endpoint = forms.UUIDField(required=False, widget=forms.HiddenInput)


@login_required
@require_safe
def webhooks(request: HttpRequest, public_id: str) -> HttpResponse:
    client = client_of(request, public_id)
    member = scoping.membership(request.user, client.agency)
    endpoints = list(scoping.for_client(WebhookEndpoint, client))
    deliveries = scoping.for_client(WebhookDelivery, client).select_related("endpoint", "message")
    form = DeliveryFilterForm(request.GET or None)
    endpoint = None
    if form.is_valid():
        if form.cleaned_data["status"]:
            deliveries = deliveries.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["endpoint"]:
            endpoint = next(
                (e for e in endpoints if e.public_id == form.cleaned_data["endpoint"]), None
            )
            deliveries = deliveries.filter(endpoint=endpoint) if endpoint else deliveries.none()
    page = Paginator(deliveries.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "console/webhooks.html",
        {
            "client": client,
            "endpoints": endpoints,
            "endpoint": endpoint,
            "form": form,
            "page": page,
            "filters_qs": params.urlencode(),
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


@login_required
@require_POST
def delivery_resend_view(request: HttpRequest, public_id: str, delivery_id: int) -> HttpResponse:
    """Retry a failed or dead delivery now, or redeliver a delivered one."""
    client = client_of(request, public_id)
    require_role(request.user, client.agency, "operate")
    delivery = get_object_or_404(
        scoping.for_client(WebhookDelivery, client).select_related("endpoint", "message"),
        pk=delivery_id,
    )
    try:
        action = delivery_resend(delivery=delivery, actor=staff_actor(request.user))
    except CannotResend as exc:
        messages.error(request, f"Not sent: {exc}")
    else:
        verb = "Redelivery" if action == "webhook.redelivered" else "Retry"
        messages.success(
            request, f"{verb} of {delivery.message.public_id} to {delivery.endpoint.url} queued."
        )
    return redirect("webhooks_console:list", public_id=client.public_id)


@login_required
@require_POST
def endpoint_recover_view(request: HttpRequest, public_id: str, endpoint_id: str) -> HttpResponse:
    """Retry every failed or dead delivery of one endpoint from the last 24 h or 7 days."""
    client = client_of(request, public_id)
    require_role(request.user, client.agency, "operate")
    endpoint = get_object_or_404(scoping.for_client(WebhookEndpoint, client), public_id=endpoint_id)
    period = request.POST.get("since", "")
    if period not in RECOVER_SINCE:
        return HttpResponseBadRequest("Choose 24h or 7d.", content_type="text/plain")
    since = timezone.now() - RECOVER_SINCE[period]
    try:
        count = endpoint_recover(endpoint=endpoint, since=since, actor=staff_actor(request.user))
    except CannotResend as exc:
        messages.error(request, f"Not sent: {exc}")
    else:
        messages.success(
            request, f"{count} failed or dead deliver{'y' if count == 1 else 'ies'} queued again."
        )
    return redirect("webhooks_console:list", public_id=client.public_id)
