"""Console page: one connection's log of vendor calls (method, path, status, latency, attempt,
rate-limit state, error). The rows never held a secret or a body (``connectors.http``)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from connectors import registry
from connectors.models import ApiCall, Connection
from tenants import scoping

PAGE_SIZE = 50
RECENT = timedelta(hours=24)
THROTTLED = Q(status=429) | Q(error__startswith="rate_limited")
# The HTTP layer records an error code on every attempt that did not get an answer the caller
# expected (a 404 a lookup expects is no failure).
FAILED = Q(status__isnull=True) | ~Q(error="")


class CallFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            ("", "every call"),
            ("failed", "failed (no answer, or not what the caller expected)"),
            ("throttled", "rate limited"),
            ("waited", "held before sending"),
        ],
        required=False,
    )
    method = forms.ChoiceField(
        choices=[("", "any method"), *[(m, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]],
        required=False,
    )


def _filtered(calls: QuerySet[ApiCall], form: CallFilterForm) -> QuerySet[ApiCall]:
    if not form.is_valid():
        return calls
    outcome, method = form.cleaned_data["outcome"], form.cleaned_data["method"]
    if outcome == "failed":
        calls = calls.filter(FAILED)
    elif outcome == "throttled":
        calls = calls.filter(THROTTLED)
    elif outcome == "waited":
        calls = calls.filter(waited_ms__gt=0)
    if method:
        calls = calls.filter(method=method)
    return calls


@login_required
@require_safe
def connection_calls(request: HttpRequest, public_id: str, pk: int) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    connection = get_object_or_404(
        scoping.for_client(Connection, client).defer("access_token", "refresh_token"), pk=pk
    )
    calls = scoping.for_client(ApiCall, client).filter(connection=connection)
    form = CallFilterForm(request.GET or None)
    page = Paginator(_filtered(calls, form).order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    summary = calls.filter(created_at__gte=timezone.now() - RECENT).aggregate(
        total=Count("pk"),
        failed=Count("pk", filter=FAILED),
        throttled=Count("pk", filter=THROTTLED),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "console/connection_calls.html",
        {
            "client": client,
            "connection": connection,
            "display_name": registry.get_spec(connection.provider).display_name,
            "form": form,
            "page": page,
            "summary": summary,
            "filters_qs": params.urlencode(),
        },
    )
