"""The test-facing side of the Google Calendar emulator: seed calendars and events as their
owner would in Google's own UI, read what is stored, inject faults, set the quota, make Google
forget sync tokens.

Python helpers for tests in the same process, and a small HTTP API under
``/emulators/google/_emulator/calendar/accounts/<account>/`` for other processes (benchmarks).
Neither is Google's API: connectors never call them.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from emulators.google_calendar import store, validate
from emulators.google_calendar.endpoint import PROJECT, account_row, project_row
from emulators.google_calendar.errors import GoogleError
from emulators.google_calendar.models import GAccount, GCalendar, GEvent, GProject

FAULT_KINDS = ("rate_limit", "server_error", "unauthorized")
CONFIG_KEYS = ("quota_per_minute", "quota_status", "allow_http_address", "time_zone")


def add_calendar(
    account_id: str,
    cal_id: str,
    *,
    summary: str = "",
    time_zone: str = "UTC",
    access_role: str = "owner",
) -> GCalendar:
    """Another calendar on the user's list (shared with them at ``access_role``)."""
    account = account_row(account_id)
    store.ensure_primary(account)
    calendar, _ = GCalendar.objects.update_or_create(
        account=account,
        cal_id=cal_id,
        defaults={"summary": summary or cal_id, "time_zone": time_zone, "access_role": access_role},
    )
    return calendar


def primary(account_id: str, *, time_zone: str = "") -> GCalendar:
    """The user's primary calendar (created on first use), optionally in another zone."""
    calendar = store.ensure_primary(account_row(account_id))
    if time_zone:
        calendar.time_zone = time_zone
        calendar.save(update_fields=["time_zone"])
    return calendar


def put_event(account_id: str, cal_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """Store an event as its owner would make it in Google's UI (checked like an insert; an
    ``id`` of ``<series>_<original start>`` with ``recurringEventId`` and
    ``originalStartTime`` is an exception of that series). Returns the stored resource."""
    calendar = store.calendar_for(account_row(account_id), cal_id)
    fields = validate.body_fields(event)
    event_id = str(fields.get("id") or store.new_event_id())
    data = {**store.created_fields(calendar, event_id), **fields}
    validate.check_event(data)
    return store.write(calendar, event_id, data).data


def events(account_id: str, cal_id: str = "primary") -> list[dict[str, Any]]:
    """Every stored event resource of the calendar (deleted ones too)."""
    calendar = store.calendar_for(account_row(account_id), cal_id)
    return [row.data for row in GEvent.objects.filter(calendar=calendar)]


def inject_fault(
    account_id: str, kind: str, *, count: int = 1, path: str = "", status: int | None = None
) -> None:
    """Make the next ``count`` calls whose path contains ``path`` fail as ``kind``
    (``rate_limit`` takes ``status`` 403 or 429)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    fault: dict[str, Any] = {"kind": kind, "count": count, "path": path}
    if status is not None:
        fault["status"] = status
    with transaction.atomic():
        row = GAccount.objects.select_for_update().get(pk=account_row(account_id).pk)
        row.faults = [*row.faults, fault]
        row.save(update_fields=["faults"])


def configure(account_id: str, **values: Any) -> dict[str, Any]:
    """Set ``quota_per_minute``, ``quota_status`` (403 or 429), ``allow_http_address``,
    ``time_zone`` (of a primary calendar made after this)."""
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        row = GAccount.objects.select_for_update().get(pk=account_row(account_id).pk)
        row.config = {**row.config, **values}
        row.save(update_fields=["config"])
    return row.config


def forget_sync_tokens(account_id: str, cal_id: str = "primary") -> None:
    """Google forgets every sync token of the calendar: the next incremental list is a 410."""
    calendar = store.calendar_for(account_row(account_id), cal_id)
    with transaction.atomic():
        locked = GCalendar.objects.select_for_update().get(pk=calendar.pk)
        locked.change_seq += 1
        locked.min_sync_seq = locked.change_seq
        locked.save(update_fields=["change_seq", "min_sync_seq"])


def api_calls(account_id: str) -> int:
    return account_row(account_id).api_calls


PROJECT_KEYS = ("quota_per_minute", "quota_status")


def configure_project(**values: Any) -> dict[str, Any]:
    """Set the project's ``quota_per_minute`` (a sliding minute) and ``quota_status``."""
    unknown = set(values) - set(PROJECT_KEYS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        row = GProject.objects.select_for_update().get(pk=project_row().pk)
        row.config = {**row.config, **values}
        row.save(update_fields=["config"])
    return row.config


def project_stats() -> dict[str, int]:
    """Calls the project sent, and those refused for its quota or for a user's."""
    row = project_row()
    users = GAccount.objects.aggregate(refused=Sum("refused"))["refused"] or 0
    return {"api_calls": row.api_calls, "refused": row.refused, "user_refused": users}


def reset_project() -> None:
    """Forget the project's window, counts and settings."""
    GProject.objects.filter(name=PROJECT).delete()


def reset(account_id: str) -> None:
    GAccount.objects.filter(account_id=account_id).delete()


# --- HTTP control API --------------------------------------------------------------------


def _json(request: HttpRequest) -> dict[str, Any]:
    try:
        value = json.loads(request.body or b"{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError("POST a JSON object")
    return value


@csrf_exempt
def account_view(request: HttpRequest, account_id: str) -> HttpResponse:
    if request.method == "DELETE":
        reset(account_id)
        return HttpResponse(status=204)
    return JsonResponse({"api_calls": api_calls(account_id)})


@csrf_exempt
def action_view(request: HttpRequest, account_id: str, action: str) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": "POST"}, status=405)
    try:
        values = _json(request)
        if action == "faults":
            kind = str(values.pop("kind", ""))
            inject_fault(account_id, kind, **values)
        elif action == "config":
            configure(account_id, **values)
        elif action == "forget-sync-tokens":
            forget_sync_tokens(account_id, str(values.get("calendar", "primary")))
        else:
            return JsonResponse({"error": "unknown action"}, status=404)
    except (TypeError, ValueError, GoogleError) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"api_calls": api_calls(account_id)}, status=201)


@csrf_exempt
def project_view(request: HttpRequest) -> HttpResponse:
    """GET the project's counts, POST its quota settings, DELETE to start afresh."""
    if request.method == "DELETE":
        reset_project()
        return HttpResponse(status=204)
    if request.method == "POST":
        try:
            configure_project(**_json(request))
        except (TypeError, ValueError) as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(project_stats())


PREFIX = "google/_emulator/calendar/accounts/<str:account_id>"
urlpatterns = [
    path("google/_emulator/calendar/project", project_view),
    path(PREFIX, account_view),
    path(f"{PREFIX}/<str:action>", action_view),
]
