"""The test-facing side of the Graph emulator: seed calendars and events as their owner would,
read what is stored, inject faults, set the throttling knobs, expire delta tokens, fire
lifecycle notifications. Python helpers for tests in the same process, and faults / knobs over
HTTP under ``/emulators/outlook/_emulator/mailboxes/<account>/`` for other processes.
Connectors never call any of it."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from emulators.graph import notify, store
from emulators.graph.models import Calendar, DeltaToken, Event, Mailbox, Subscription

FAULT_KINDS = ("rate_limit", "server_error", "unauthorized", "slow")
KNOBS = (
    "limit",
    "window_s",
    "concurrency",
    "validation_timeout_s",
    "max_subscription_minutes",
    "allow_http_notification_url",
)
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


def mailbox(account_id: str) -> Mailbox:
    return store.mailbox_for(account_id)


def default_calendar(account_id: str) -> str:
    return Calendar.objects.get(mailbox=mailbox(account_id), is_default=True).ext_id


def add_calendar(account_id: str, name: str, *, can_edit: bool = True) -> str:
    """Another calendar of the mailbox (a shared one with ``can_edit=False``); its id."""
    row = Calendar.objects.create(
        mailbox=mailbox(account_id),
        ext_id=store.new_id("AAMkADc"),
        name=name,
        can_edit=can_edit,
        owner_email=f"{account_id}@emulated.example",
    )
    return row.ext_id


def insert_event(account_id: str, calendar_id: str, body: dict[str, Any]) -> str:
    """An event its owner made in Outlook (validated as a POST would be; no call counted).
    Raises ``validate.Refusal`` for a body Graph would refuse."""
    box = mailbox(account_id)
    calendar = store.calendar_of(box, calendar_id)
    if calendar is None:
        raise LookupError(calendar_id)
    row, _ = store.create(box, calendar, body)
    return row.ext_id


def edit_event(account_id: str, event_id: str, body: dict[str, Any]) -> None:
    """The owner changes an event or one occurrence (``store.update``)."""
    found = store.find(mailbox(account_id), event_id)
    if found is None:
        raise LookupError(event_id)
    store.update(found, body)


def respond(account_id: str, event_id: str, response: str) -> None:
    """The mailbox owner answers an invitation in Outlook (``accepted``, ``declined``, …):
    the event's read-only ``responseStatus`` changes, and delta reports the event."""
    found = store.find(mailbox(account_id), event_id)
    if found is None or found.row is None:
        raise LookupError(event_id)
    row = found.row
    row.data = {
        **row.data,
        "isOrganizer": False,
        "responseStatus": {"response": response, "time": "2026-12-05T09:00:00Z"},
    }
    store.touch(row)
    row.save()
    notify.changed(row, "updated")


def remove_event(account_id: str, event_id: str) -> None:
    """The owner deletes an event or cancels one occurrence."""
    found = store.find(mailbox(account_id), event_id)
    if found is None:
        raise LookupError(event_id)
    store.delete(found)


def stored_events(account_id: str) -> list[dict[str, Any]]:
    """Every live event row (singles, masters, exceptions) with its data: the tests' oracle."""
    rows = Event.objects.filter(mailbox__account_id=account_id, deleted=False, cancelled=False)
    return [{"id": r.ext_id, "transaction_id": r.transaction_id, "data": r.data} for r in rows]


def subscriptions(account_id: str) -> list[Subscription]:
    return list(Subscription.objects.filter(mailbox__account_id=account_id))


def configure(account_id: str, **knobs: Any) -> dict[str, Any]:
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise ValueError(f"unknown knobs: {sorted(unknown)}")
    row = mailbox(account_id)
    row.config = {k: v for k, v in {**row.config, **knobs}.items() if v is not None}
    row.save(update_fields=["config"])
    return row.config


def inject_fault(
    account_id: str,
    kind: str,
    *,
    count: int = 1,
    path: str = "",
    retry_after: float | None = None,
    seconds: float | None = None,
) -> None:
    """The next ``count`` calls whose path contains ``path`` fail as ``kind`` (or, "slow",
    wait ``seconds`` first)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    row = mailbox(account_id)
    fault: dict[str, Any] = {"kind": kind, "count": count, "path": path}
    if retry_after is not None:
        fault["retry_after"] = retry_after
    if seconds is not None:
        fault["seconds"] = seconds
    row.faults = [*row.faults, fault]
    row.save(update_fields=["faults"])


def expire_delta_tokens(account_id: str) -> int:
    """Forget every delta and skip token of the mailbox (Graph's sync state reset)."""
    deleted, _ = DeltaToken.objects.filter(mailbox__account_id=account_id).delete()
    return deleted


def lifecycle(account_id: str, subscription_id: str, event: str) -> None:
    """Send a lifecycle notification; ``subscriptionRemoved`` also removes the subscription."""
    if event not in LIFECYCLE_EVENTS:
        raise ValueError(event)
    sub = Subscription.objects.get(mailbox__account_id=account_id, ext_id=subscription_id)
    notify.lifecycle(sub, event)
    if event == "subscriptionRemoved":
        sub.delete()


def reset(account_id: str) -> None:
    Mailbox.objects.filter(account_id=account_id).delete()


def throttle_stats(account_id: str) -> dict[str, int]:
    """Calls the mailbox admitted and those it throttled (429), for tests and benchmarks."""
    row = mailbox(account_id)
    return {"api_calls": row.api_calls, "refused": row.refused}


# --- over HTTP (benchmarks, other processes) ----------------------------------------------


def _posted(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    return body if request.method == "POST" and isinstance(body, dict) else None


@csrf_exempt
def faults_view(request: HttpRequest, account_id: str) -> HttpResponse:
    body = _posted(request)
    if body is None:
        return JsonResponse({"error": "POST a JSON object"}, status=400)
    try:
        inject_fault(
            account_id,
            str(body.get("kind", "")),
            count=int(body.get("count", 1)),
            path=str(body.get("path", "")),
            retry_after=body.get("retry_after"),
            seconds=body.get("seconds"),
        )
    except (TypeError, ValueError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"faults": mailbox(account_id).faults}, status=201)


@csrf_exempt
def config_view(request: HttpRequest, account_id: str) -> HttpResponse:
    body = _posted(request)
    if body is None:
        return JsonResponse({"error": "POST a JSON object"}, status=400)
    try:
        return JsonResponse(configure(account_id, **body))
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)


def stats_view(request: HttpRequest, account_id: str) -> HttpResponse:
    return JsonResponse(throttle_stats(account_id))


PREFIX = "outlook/_emulator/mailboxes/<str:account_id>"
urlpatterns = [
    path(f"{PREFIX}/faults", faults_view),
    path(f"{PREFIX}/config", config_view),
    path(f"{PREFIX}/stats", stats_view),
]
