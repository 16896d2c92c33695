"""``calendars/{calendarId}/events``: list, insert, get, patch, delete, instances (Calendar API
v3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from emulators.google_calendar import instances, listing, store, validate
from emulators.google_calendar.endpoint import (
    READ_EVENTS,
    WRITE_EVENTS,
    body,
    endpoint,
    method_not_allowed,
    needs,
    number,
)
from emulators.google_calendar.errors import GoogleError, invalid, not_found
from emulators.google_calendar.models import GAccount, GCalendar, GEvent

SEND_UPDATES = ("all", "externalOnly", "none")
# Fields a patch may not change (the discovery document: immutable or set by the server).
IMMUTABLE = ("id", "recurringEventId", "originalStartTime", "iCalUID")


@endpoint
def events(request: HttpRequest, account: GAccount, calendar_id: str) -> HttpResponse:
    if request.method == "GET":
        needs(request, READ_EVENTS)
        calendar = store.calendar_for(account, calendar_id, role=store.READER_ROLES)
        return JsonResponse(listing.list_events(request, calendar))
    if request.method == "POST":
        needs(request, WRITE_EVENTS)
        return _insert(request, account, calendar_id)
    return method_not_allowed()


@endpoint
def event(request: HttpRequest, account: GAccount, calendar_id: str, event_id: str) -> HttpResponse:
    if request.method == "GET":
        needs(request, READ_EVENTS)
        calendar = store.calendar_for(account, calendar_id, role=store.READER_ROLES)
        return JsonResponse(_current(calendar, event_id))
    if request.method not in ("PATCH", "DELETE"):
        return method_not_allowed()
    needs(request, WRITE_EVENTS)
    _check_send_updates(request)
    calendar = store.calendar_for(account, calendar_id, role=store.WRITER_ROLES)
    current = _current(calendar, event_id)
    _check_if_match(request, current)
    if request.method == "DELETE":
        return _delete(calendar, event_id, current)
    return _patch(request, calendar, event_id, current)


@endpoint
def series_instances(
    request: HttpRequest, account: GAccount, calendar_id: str, event_id: str
) -> HttpResponse:
    """``events.instances`` (GET only)."""
    if request.method != "GET":
        return method_not_allowed()
    needs(request, READ_EVENTS)
    calendar = store.calendar_for(account, calendar_id, role=store.READER_ROLES)
    return JsonResponse(listing.list_instances(request, calendar, event_id))


def _insert(request: HttpRequest, account: GAccount, calendar_id: str) -> HttpResponse:
    _check_send_updates(request)
    number(request, "conferenceDataVersion", 0, low=0, high=1)
    calendar = store.calendar_for(account, calendar_id, role=store.WRITER_ROLES)
    fields = validate.body_fields(body(request))
    event_id = validate.check_id(fields["id"]) if "id" in fields else store.new_event_id()
    fields.pop("recurringEventId", None)
    data = {**store.created_fields(calendar, event_id), **fields}
    validate.check_event(data)
    return JsonResponse(store.write(calendar, event_id, data, create=True).data)


def _patch(
    request: HttpRequest, calendar: GCalendar, event_id: str, current: dict[str, Any]
) -> HttpResponse:
    changes = validate.body_fields(body(request))
    for name in IMMUTABLE:
        if name in changes and changes[name] != current.get(name):
            raise invalid(f"Invalid value for: {name}", location=name)
    merged = validate.patched(current, changes)
    validate.check_event(merged)
    if any(name in changes for name in ("start", "end", "recurrence", "location")):
        merged["sequence"] = int(current.get("sequence", 0)) + 1
    return JsonResponse(store.write(calendar, event_id, merged).data)


def _delete(calendar: GCalendar, event_id: str, current: dict[str, Any]) -> HttpResponse:
    """Deleting a series deletes its exceptions too (moved instances go with it)."""
    if current.get("status") == "cancelled":
        raise GoogleError(410, "Resource has been deleted", "deleted")
    store.write(calendar, event_id, {**current, "status": "cancelled"})
    if current.get("recurrence"):
        for row in GEvent.objects.filter(calendar=calendar, recurring_event_id=event_id):
            if row.data.get("status") != "cancelled":
                store.write(calendar, row.event_id, {**row.data, "status": "cancelled"})
    return HttpResponse(status=204)


def _current(calendar: GCalendar, event_id: str) -> dict[str, Any]:
    found = instances.find(calendar, event_id)
    if found is None:
        raise not_found()
    return found


def _check_if_match(request: HttpRequest, current: dict[str, Any]) -> None:
    """Google honours ``If-Match`` on writes: another etag means someone changed it first."""
    wanted = request.headers.get("If-Match")
    if wanted and wanted != "*" and wanted != current.get("etag"):
        raise GoogleError(
            412, "Precondition Failed", "conditionNotMet",
            location="If-Match", location_type="header",
        )  # fmt: skip


def _check_send_updates(request: HttpRequest) -> None:
    value = request.GET.get("sendUpdates")
    if value is not None and value not in SEND_UPDATES:
        raise invalid(f"Invalid value '{value}' for sendUpdates.", location="sendUpdates")
