"""calendarView delta (learn.microsoft.com/graph/api/event-delta and delta-query-events,
checked 2026-12-05): the first round returns every instance in the window, page by page
(``@odata.nextLink`` with a ``$skiptoken``), ending with an ``@odata.deltaLink``
(``$deltatoken``); a later round returns what changed since, deletions as ``@removed``. The
window is fixed by the first call. A token the service no longer knows answers 410
``syncStateNotFound`` ("Synchronization reset" in the delta-query overview)."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from emulators.graph import query, render, store
from emulators.graph.errors import error, not_found
from emulators.graph.gate import graph_view
from emulators.graph.models import Calendar, DeltaToken, Event, Mailbox
from emulators.graph.validate import Refusal
from emulators.graph.views_events import BASE, refused

NOT_YET = -1  # a delta token's round ends where the mailbox's counter is when it is used
INITIAL = -1  # seq_from of a first round: everything in the window, no removals


def removed(event_id: str) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }


def changed_items(token: DeltaToken, zone: str) -> list[dict[str, Any]]:
    """What changed in the window between the token's two counters, one entry per id."""
    window = (token.start, token.end)
    out: dict[str, dict[str, Any]] = {}
    rows = Event.objects.filter(
        calendar=token.calendar, seq__gt=token.seq_from, seq__lte=token.seq_to
    ).select_related("calendar__mailbox", "series_master")
    for row in rows.order_by("seq"):
        for item in _row_changes(row, window, zone):
            out[item["id"]] = item
    return list(out.values())


def _row_changes(row: Event, window: render.Window, zone: str) -> list[dict[str, Any]]:
    recurring = bool(row.data.get("recurrence")) and row.series_master_id is None
    if row.deleted and recurring:
        ids = [store.occurrence_id(row, s) for s, _ in store.series_occurrences(row, window)]
        return [removed(i) for i in ids]
    if row.deleted or row.cancelled:
        return [removed(row.ext_id)]
    if recurring:
        return render.series_instances(row, window, zone)
    start, end = render.instants(row)
    if start < window[1] and end > window[0]:
        return [render.event_json(row, zone)]
    return [removed(row.ext_id)]


def _token_row(mailbox: Mailbox, calendar: Calendar, request: HttpRequest) -> DeltaToken | None:
    """The round this call continues, or a new first round (None: an unknown token)."""
    given = request.GET.get("$deltatoken") or request.GET.get("$skiptoken")
    if given:
        token = DeltaToken.objects.filter(mailbox=mailbox, calendar=calendar, token=given).first()
        if token is not None and token.seq_to == NOT_YET:  # a new round starts now
            token.seq_to = store.Mailbox.objects.values_list("seq", flat=True).get(pk=mailbox.pk)
        return token
    start, end = query.window(request)
    seq = store.Mailbox.objects.values_list("seq", flat=True).get(pk=mailbox.pk)
    return DeltaToken(
        mailbox=mailbox, calendar=calendar, start=start, end=end, seq_from=INITIAL, seq_to=seq
    )


def _issue(base: DeltaToken, **fields: int) -> str:
    token = secrets.token_urlsafe(24)
    DeltaToken.objects.create(
        mailbox=base.mailbox,
        calendar=base.calendar,
        token=token,
        start=base.start,
        end=base.end,
        seq_from=fields.get("seq_from", base.seq_from),
        seq_to=fields.get("seq_to", base.seq_to),
        offset=fields.get("offset", 0),
    )
    return token


@graph_view
def calendar_view_delta(
    request: HttpRequest, mailbox: Mailbox, calendar_id: str | None = None
) -> HttpResponse:
    if request.method != "GET":
        return error(request, 405, "Request_BadRequest", "Method not allowed.")
    calendar = store.calendar_of(mailbox, calendar_id)
    if calendar is None:
        return not_found(request)
    try:
        token = _token_row(mailbox, calendar, request)
        zone, size = query.reader_zone(request), query.page_size(request)
    except Refusal as exc:
        return refused(request, exc)
    if token is None:
        return error(
            request,
            410,
            "syncStateNotFound",
            "The sync state generation is not "
            "found. The delta token is expired or not valid; start a new sync.",
        )
    if token.seq_from == INITIAL:
        items = render.view(calendar, (token.start, token.end), zone)
    else:
        items = changed_items(token, zone)
    chunk = items[token.offset : token.offset + size]
    body: dict[str, Any] = {"@odata.context": f"{BASE}#Collection(event)", "value": chunk}
    here = request.build_absolute_uri(request.path)
    if token.offset + size < len(items):
        body["@odata.nextLink"] = f"{here}?$skiptoken={_issue(token, offset=token.offset + size)}"
    else:
        following = _issue(token, seq_from=token.seq_to, seq_to=NOT_YET)
        body["@odata.deltaLink"] = f"{here}?$deltatoken={following}"
    response = JsonResponse(body)
    response["Preference-Applied"] = f'outlook.timezone="{zone}"'
    return response


ME = "outlook/v1.0/me"
# Graph takes the function with or without its parentheses; Microsoft's SDK sends "delta()".
urlpatterns = [
    *(path(f"{ME}/calendarView/{name}", calendar_view_delta) for name in ("delta", "delta()")),
    *(
        path(f"{ME}/calendars/<str:calendar_id>/calendarView/{name}", calendar_view_delta)
        for name in ("delta", "delta()")
    ),
]
