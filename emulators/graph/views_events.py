"""Calendars, events and calendarView of the emulated Graph (v1.0, ``/me/...``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from emulators.graph import query, render, store
from emulators.graph.errors import error, not_found
from emulators.graph.gate import graph_view
from emulators.graph.models import Calendar, Event, Mailbox
from emulators.graph.validate import Refusal

BASE = "https://graph.microsoft.com/v1.0/$metadata"


def refused(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message)


def body_of(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def not_allowed(request: HttpRequest) -> HttpResponse:
    return error(
        request,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )


def calendar_json(calendar: Calendar) -> dict[str, Any]:
    return {
        "id": calendar.ext_id,
        "name": calendar.name,
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": calendar.is_default,
        "changeKey": str(calendar.pk),
        "canShare": calendar.can_edit,
        "canViewPrivateItems": True,
        "canEdit": calendar.can_edit,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": True,
        "isRemovable": not calendar.is_default,
        "owner": {"name": calendar.mailbox.account_id, "address": calendar.owner_email},
    }


@graph_view
def calendars(request: HttpRequest, mailbox: Mailbox) -> HttpResponse:
    if request.method != "GET":
        return not_allowed(request)
    rows = [calendar_json(c) for c in Calendar.objects.filter(mailbox=mailbox)]
    try:
        return JsonResponse(query.page(request, rows, f"{BASE}#users('me')/calendars"))
    except Refusal as exc:
        return refused(request, exc)


def _calendar(mailbox: Mailbox, calendar_id: str | None) -> Calendar | None:
    return store.calendar_of(mailbox, calendar_id)


@graph_view
def events(request: HttpRequest, mailbox: Mailbox, calendar_id: str | None = None) -> HttpResponse:
    """POST creates an event; GET lists events (series masters, not occurrences)."""
    calendar = _calendar(mailbox, calendar_id)
    if calendar is None:
        return not_found(request)
    try:
        if request.method == "POST":
            return _create(request, mailbox, calendar)
        if request.method == "GET":
            return _list(request, calendar)
    except Refusal as exc:
        return refused(request, exc)
    return not_allowed(request)


def _create(request: HttpRequest, mailbox: Mailbox, calendar: Calendar) -> HttpResponse:
    if not calendar.can_edit:
        return error(
            request, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )
    row, _ = store.create(mailbox, calendar, body_of(request))
    body = render.event_json(row, query.reader_zone(request))
    body["@odata.context"] = f"{BASE}#users('me')/events/$entity"
    response = JsonResponse(body, status=201)
    response["ETag"] = body["@odata.etag"]
    return response


def _list(request: HttpRequest, calendar: Calendar) -> HttpResponse:
    wanted, zone = query.extended_filter(request), query.reader_zone(request)
    expand = query.expand(request)
    rows = Event.objects.filter(calendar=calendar, deleted=False, series_master=None)
    items = []
    for row in rows.select_related("calendar__mailbox"):
        props = row.data.get("singleValueExtendedProperties") or []
        if wanted and not any(
            str(p.get("id")).lower() == wanted[0].lower() and p.get("value") == wanted[1]
            for p in props
        ):
            continue
        items.append(render.event_json(row, zone, expand=expand))
    items = query.select(request, items)
    return JsonResponse(query.page(request, items, f"{BASE}#users('me')/events"))


@graph_view
def event(
    request: HttpRequest, mailbox: Mailbox, event_id: str, calendar_id: str | None = None
) -> HttpResponse:
    """GET, PATCH (If-Match: 412 on a stale change key) and DELETE one event or occurrence."""
    calendar = _calendar(mailbox, calendar_id) if calendar_id else None
    if calendar_id and calendar is None:
        return not_found(request)
    found = store.find(mailbox, event_id, calendar)
    if found is None:
        return not_found(request)
    if request.method not in ("GET", "PATCH", "DELETE"):
        return not_allowed(request)
    if request.method != "GET":
        if not found.etag_row.calendar.can_edit:
            return error(
                request,
                403,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            )
        match = request.headers.get("If-Match", "")
        if match and match != "*" and match != render.etag(found.etag_row):
            return error(
                request,
                412,
                "ErrorIrresolvableConflict",
                "The send or update "
                "operation could not be performed because the change key passed in the "
                "request does not match the current change key for the item.",
            )
    try:
        return _one(request, found)
    except Refusal as exc:
        return refused(request, exc)


def _one(request: HttpRequest, found: store.Found) -> HttpResponse:
    zone, expand = query.reader_zone(request), query.expand(request)
    if request.method == "DELETE":
        store.delete(found)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        row = store.update(found, body_of(request))
        body = render.event_json(row, zone, expand=expand)
    elif found.row is not None:
        body = render.event_json(found.row, zone, expand=expand)
    else:
        span = (found.start, found.end)
        body = render.event_json(
            found.master, zone, span=span, occurrence_of=found.master, expand=expand
        )  # type: ignore[arg-type]
    body["@odata.context"] = f"{BASE}#users('me')/events/$entity"
    response = JsonResponse(body)
    response["ETag"] = body["@odata.etag"]
    return response


@graph_view
def calendar_view(
    request: HttpRequest, mailbox: Mailbox, calendar_id: str | None = None
) -> HttpResponse:
    """Singles, occurrences and exceptions overlapping [startDateTime, endDateTime)."""
    if request.method != "GET":
        return not_allowed(request)
    calendar = _calendar(mailbox, calendar_id)
    if calendar is None:
        return not_found(request)
    try:
        window, zone = query.window(request), query.reader_zone(request)
        items = query.select(request, render.view(calendar, window, zone, query.expand(request)))
        response = JsonResponse(query.page(request, items, f"{BASE}#users('me')/calendarView"))
    except Refusal as exc:
        return refused(request, exc)
    response["Preference-Applied"] = f'outlook.timezone="{zone}"'
    return response


@graph_view
def instances(
    request: HttpRequest, mailbox: Mailbox, event_id: str, calendar_id: str | None = None
) -> HttpResponse:
    """``GET /me/events/{id}/instances`` (learn.microsoft.com/graph/api/event-list-instances,
    checked 2026-12-05): the occurrences and exceptions of a series master in the required
    [startDateTime, endDateTime), cancelled ones left out, ordered by start; 404 for an id
    that is not a live series master."""
    if request.method != "GET":
        return not_allowed(request)
    calendar = _calendar(mailbox, calendar_id) if calendar_id else None
    if calendar_id and calendar is None:
        return not_found(request)
    found = store.find(mailbox, event_id, calendar)
    master = found.row if found is not None else None
    if master is None or master.series_master_id is not None or not master.data.get("recurrence"):
        return not_found(request)
    try:
        window, zone = query.window(request), query.reader_zone(request)
        items = render.series_instances(master, window, zone, query.expand(request))
        items.sort(key=lambda e: (e["start"]["dateTime"], e["id"]))
        context = f"{BASE}#Collection(event)"
        response = JsonResponse(query.page(request, query.select(request, items), context))
    except Refusal as exc:
        return refused(request, exc)
    response["Preference-Applied"] = f'outlook.timezone="{zone}"'
    return response


@csrf_exempt
def unknown_segment(request: HttpRequest, rest: str) -> HttpResponse:
    """A path Graph has no resource for: its OData 400, not an HTML 404."""
    segment = rest.rstrip("/").rsplit("/", 1)[-1]
    return error(request, 400, "BadRequest", f"Resource not found for the segment '{segment}'.")


ME = "outlook/v1.0/me"
urlpatterns = [
    path(f"{ME}/calendars", calendars),
    path(f"{ME}/events", events),
    path(f"{ME}/events/<str:event_id>", event),
    path(f"{ME}/events/<str:event_id>/instances", instances),
    path(f"{ME}/calendar/events", events),
    path(f"{ME}/calendarView", calendar_view),
    path(f"{ME}/calendars/<str:calendar_id>/events", events),
    path(f"{ME}/calendars/<str:calendar_id>/events/<str:event_id>", event),
    path(f"{ME}/calendars/<str:calendar_id>/events/<str:event_id>/instances", instances),
    path(f"{ME}/calendars/<str:calendar_id>/calendarView", calendar_view),
]
