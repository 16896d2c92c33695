"""Every emulated Graph call passes here: the bearer token (the OAuth emulator's), a queued
fault, then Outlook's per-mailbox throttling (learn.microsoft.com/graph/throttling-limits,
"Outlook service limits", checked 2026-12-05: 10,000 requests per 10 minutes and 4 concurrent
requests per app per mailbox; 429 with ``Retry-After``). The limits are knobs
(``control.configure``) so tests can reach them."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from emulators.auth import account_for_token
from emulators.graph import store
from emulators.graph.errors import error
from emulators.graph.models import Mailbox

PROVIDER = "outlook"
DEFAULTS = {"limit": 10_000, "window_s": 600, "concurrency": 4}
View = Callable[..., HttpResponse]


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def _unauthorized(request: HttpRequest, token: str) -> HttpResponse:
    message = "Access token is empty." if not token else "Access token validation failure."
    response = error(request, 401, "InvalidAuthenticationToken", message)
    response["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
    return response


def _take_fault(mailbox: Mailbox, path: str) -> dict[str, Any] | None:
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        for index, fault in enumerate(row.faults):
            if fault.get("path", "") in path:
                left = int(fault.get("count", 1)) - 1
                if left > 0:
                    row.faults[index] = {**fault, "count": left}
                else:
                    row.faults.pop(index)
                row.save(update_fields=["faults"])
                return fault
    return None


def _fault_response(request: HttpRequest, fault: dict[str, Any]) -> HttpResponse | None:
    kind = fault.get("kind")
    if kind == "slow":
        time.sleep(float(fault.get("seconds", 1.0)))
        return None
    if kind == "rate_limit":
        return error(
            request,
            429,
            "ApplicationThrottled",
            "Application is over its resource limit.",
            Retry_After=str(fault.get("retry_after", 1)),
        )
    if kind == "unauthorized":
        return _unauthorized(request, "expired")
    return error(request, 503, "ServiceUnavailable", "The service is temporarily unavailable.")


def _admit(request: HttpRequest, mailbox: Mailbox) -> HttpResponse | None:
    """Count the call in the mailbox's window and take a concurrency slot, or refuse."""
    knobs = {**DEFAULTS, **mailbox.config}
    now = timezone.now()
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        elapsed = (now - row.window_start).total_seconds() if row.window_start else math.inf
        if elapsed >= knobs["window_s"]:
            row.window_start, row.window_calls, elapsed = now, 0, 0.0
        if row.window_calls >= knobs["limit"]:
            wait = max(1, math.ceil(knobs["window_s"] - elapsed))
            row.refused += 1
            row.save(update_fields=["window_start", "window_calls", "refused"])
            return error(
                request,
                429,
                "ApplicationThrottled",
                "Application is over its MailboxResourceLimit.",
                Retry_After=str(wait),
            )
        if row.in_flight >= knobs["concurrency"]:
            row.refused += 1
            row.save(update_fields=["refused"])
            return error(
                request,
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                Retry_After="1",
            )
        row.window_calls += 1
        row.api_calls += 1
        row.in_flight += 1
        row.save(update_fields=["window_start", "window_calls", "api_calls", "in_flight"])
    return None


def graph_view(view: View) -> View:
    """Authenticate, apply a fault and the throttle, then call ``view(request, mailbox, ...)``."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = _token(request)
        account_id = account_for_token(PROVIDER, token)
        if account_id is None:
            return _unauthorized(request, token)
        mailbox = store.mailbox_for(account_id)
        refused = _admit(request, mailbox)
        if refused is not None:
            return refused
        try:  # a fault is met inside the slot, so a slow call holds it as a real one does
            if mailbox.faults and (fault := _take_fault(mailbox, request.path)) is not None:
                refused = _fault_response(request, fault)
                if refused is not None:
                    return refused
            return view(request, mailbox, *args, **kwargs)
        finally:
            Mailbox.objects.filter(pk=mailbox.pk).update(in_flight=F("in_flight") - 1)

    return wrapped
