"""What every emulated Calendar call goes through: the bearer token (the OAuth emulator's),
injected faults, the per-user one-minute quota, then the view; a ``GoogleError`` raised by a
view becomes Google's error body."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from emulators.auth import account_for_token
from emulators.google_calendar import errors
from emulators.google_calendar.errors import GoogleError
from emulators.google_calendar.models import GAccount, GProject
from emulators.models import EmulatorToken, digest

PROVIDER = "google"
# Google's default quotas ("Usage limits", developers.google.com/workspace/calendar/api/guides/
# quota, read 2026-12-05): 600 a minute per user per project, 10,000 a minute per project, over
# a sliding window. ``control.configure`` changes the user's, ``control.configure_project``
# the project's (a Cloud project may have set its own in the console).
DEFAULT_QUOTA_PER_MINUTE = 600
DEFAULT_PROJECT_QUOTA_PER_MINUTE = 10_000
PROJECT = "default"
WINDOW_S = 60.0
View = Callable[..., HttpResponse]
# The scopes each emulated method accepts, any one of them (the discovery document's
# ``scopes`` of each method, revision 20230217).
AUTH = "https://www.googleapis.com/auth/"
READ_LIST = frozenset({AUTH + "calendar", AUTH + "calendar.readonly"})  # calendarList, freeBusy
READ_EVENTS = READ_LIST | {AUTH + "calendar.events", AUTH + "calendar.events.readonly"}
WRITE_EVENTS = frozenset({AUTH + "calendar", AUTH + "calendar.events"})
STOP_CHANNEL = READ_EVENTS | {AUTH + "calendar.settings.readonly"}


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def account_row(account_id: str) -> GAccount:
    row, _ = GAccount.objects.get_or_create(account_id=account_id)
    return row


def project_row() -> GProject:
    row, _ = GProject.objects.get_or_create(name=PROJECT)
    return row


def _admit(account_id: str, path: str, arrived: float) -> GAccount:
    """Count the call in the user's minute and the project's sliding minute (at ``arrived``,
    when the request reached the view, as Google counts it on arrival: not after this
    emulator's own wait for a row lock); raise a queued fault or a quota's refusal (each
    refusal counted)."""
    project_pk = project_row().pk
    with transaction.atomic():
        row = GAccount.objects.select_for_update().get(pk=account_row(account_id).pk)
        fault = _take_fault(row, path)
        now = timezone.now()
        if row.window_start is None or now - row.window_start >= timedelta(minutes=1):
            row.window_start, row.window_calls = now, 0
        row.window_calls += 1
        row.api_calls += 1
        limit = int(row.config.get("quota_per_minute", DEFAULT_QUOTA_PER_MINUTE))
        over_user = fault is None and row.window_calls > limit
        row.refused += over_user
        row.save(update_fields=["window_start", "window_calls", "api_calls", "faults", "refused"])
        project = GProject.objects.select_for_update().get(pk=project_pk)
        over_project = fault is None and not over_user and not _project_admits(project, arrived)
    if fault is not None:
        raise _fault_error(fault)
    if over_user:
        raise errors.rate_limited(int(row.config.get("quota_status", 403)))
    if over_project:
        raise errors.rate_limited(int(project.config.get("quota_status", 403)))
    return row


def _project_admits(project: GProject, arrived: float) -> bool:
    """Whether the minute before ``arrived`` has room for one more call; counts the call
    (admitted, or refused) and saves the row (the caller holds its lock)."""
    limit = int(project.config.get("quota_per_minute", DEFAULT_PROJECT_QUOTA_PER_MINUTE))
    recent = [t for t in project.recent if t > time.time() - 2 * WINDOW_S]
    before = [t for t in recent if arrived - WINDOW_S < t <= arrived]
    admitted = len(before) < limit
    project.recent = [*recent, arrived] if admitted else recent
    project.api_calls += 1
    project.refused += not admitted
    project.save(update_fields=["recent", "api_calls", "refused"])
    return admitted


def _take_fault(row: GAccount, path: str) -> dict[str, Any] | None:
    for index, fault in enumerate(row.faults):
        if fault.get("path", "") in path:
            remaining = int(fault.get("count", 1)) - 1
            if remaining > 0:
                row.faults[index] = {**fault, "count": remaining}
            else:
                row.faults.pop(index)
            return dict(fault)
    return None


def _fault_error(fault: dict[str, Any]) -> GoogleError:
    kind = fault.get("kind")
    if kind == "rate_limit":
        return errors.rate_limited(int(fault.get("status", 403)))
    if kind == "unauthorized":
        return GoogleError(401, "Invalid Credentials", "authError")
    return errors.server_error()


def _granted(token: str) -> frozenset[str] | None:
    """The scopes the token's grant holds; None when none were recorded (tokens made directly
    for tests, which stand for a grant of everything, as in the CRM emulators)."""
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), kind=EmulatorToken.ACCESS, grant__provider=PROVIDER)
        .first()
    )
    scopes = row.grant.scopes if row is not None else ""
    if isinstance(scopes, str):
        scopes = scopes.split()
    return frozenset(scopes) if scopes else None


def needs(request: HttpRequest, accepted: frozenset[str]) -> None:
    """403 insufficientPermissions unless the token's grant holds one of ``accepted``."""
    granted = getattr(request, "google_scopes", None)
    if granted is not None and not granted & accepted:
        raise GoogleError(
            403, "Request had insufficient authentication scopes.", "insufficientPermissions"
        )


def endpoint(view: View) -> View:
    """Authenticate, admit, run the view; Google's error body for whatever it refuses."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        arrived = time.time()
        token = _bearer(request)
        account_id = account_for_token(PROVIDER, token) if token else None
        if account_id is None:
            return errors.unauthorized()
        request.google_scopes = _granted(token)  # type: ignore[attr-defined]
        try:
            account = _admit(account_id, request.path, arrived)
            return view(request, account, *args, **kwargs)
        except GoogleError as exc:
            if exc.code == 401:
                return errors.unauthorized()
            return exc.response()

    return wrapped


def body(request: HttpRequest) -> Any:
    """The JSON body; Google's 400 parseError for one that is not JSON."""
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise GoogleError(400, "Parse Error", "parseError") from None


def flag(request: HttpRequest, name: str, default: bool = False) -> bool:
    value = request.GET.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        message = f"Invalid value '{value}'. Values must be true or false."
        raise errors.invalid(message, location=name)
    return value == "true"


def number(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    """An integer parameter; below ``low`` refused, above ``high`` capped (maxResults)."""
    value = request.GET.get(name)
    if value is None:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise errors.invalid(f"Invalid value '{value}' for {name}.", location=name) from None
    if parsed < low:
        raise errors.invalid(f"Invalid value '{value}' for {name}.", location=name)
    return min(parsed, high)


def method_not_allowed() -> HttpResponse:
    return GoogleError(405, "Method Not Allowed", "httpMethodNotAllowed").response()
