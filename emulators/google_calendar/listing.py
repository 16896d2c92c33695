"""``events.list``: a full list (optionally bounded, optionally expanded into instances) or
the changes since a sync token, paged, the last page carrying ``nextSyncToken``.

Rules from the discovery document's ``calendar.events.list`` (revision 20230217): timeMin
bounds an event's end and timeMax its start, both exclusive; ``syncToken`` cannot be combined
with iCalUID, orderBy, the extended-property filters, q, timeMin, timeMax or updatedMin, nor
with ``showDeleted=false``; ``orderBy=startTime`` needs ``singleEvents``; at most 2500 a page
(250 by default). Deleted events in an incremental list show only their id and status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpRequest

from emulators.google_calendar import expand, tokens
from emulators.google_calendar.endpoint import flag, number
from emulators.google_calendar.errors import GoogleError, invalid
from emulators.google_calendar.models import GCalendar, GEvent
from emulators.google_calendar.times import format_instant, rfc3339, when, zone

NOT_WITH_SYNC = (
    "iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
    "timeMin", "timeMax", "updatedMin",
)  # fmt: skip
Window = tuple[datetime, datetime]
# An open side of a window: far enough for any calendar, near enough to shift by a zone or an
# event's length without leaving datetime's range.
OPEN_START = datetime(1900, 1, 1, tzinfo=UTC)
OPEN_END = datetime(9000, 1, 1, tzinfo=UTC)


# Filters Google has and the emulator does not: refused rather than ignored, so a test that
# leans on one fails loudly instead of reading unfiltered events.
NOT_EMULATED = ("iCalUID", "privateExtendedProperty", "q", "sharedExtendedProperty", "updatedMin")


def list_events(request: HttpRequest, calendar: GCalendar) -> dict[str, Any]:
    for name in NOT_EMULATED:
        if name in request.GET and "syncToken" not in request.GET:
            raise invalid(f"The emulator does not filter by {name}.", location=name)
    if "timeZone" in request.GET:
        zone(request.GET["timeZone"], what="the request")
    single = flag(request, "singleEvents")
    show_deleted = flag(request, "showDeleted")
    size = number(request, "maxResults", 250, low=1, high=2500)
    order = _order(request, single, ZoneInfo(calendar.time_zone))
    since = _since(request, calendar)
    window = _window(request)
    query = urlencode(sorted((k, v) for k, v in request.GET.items() if k != "pageToken"))
    if request.GET.get("pageToken"):
        offset, snapshot = tokens.page(request.GET["pageToken"], query)
    else:
        offset, snapshot = 0, calendar.change_seq
    rows = GEvent.objects.filter(calendar=calendar, seq__lte=snapshot)
    if since is not None:
        rows = rows.filter(seq__gt=since)
    view = _View(calendar, single, show_deleted, since is not None, window)
    items = view.items(list(rows))
    if order:
        items.sort(key=order)
    answer = _envelope(calendar, items[offset : offset + size])
    if offset + size < len(items):
        answer["nextPageToken"] = tokens.page_token(offset + size, snapshot, query)
    else:
        answer["nextSyncToken"] = tokens.sync_token(calendar, snapshot)
    return answer


def _order(request: HttpRequest, single: bool, zone: ZoneInfo):
    order = request.GET.get("orderBy")
    if order is None:
        return None
    if order not in ("startTime", "updated"):
        raise invalid(f"Invalid value '{order}' for orderBy.", location="orderBy")
    if order == "updated":
        return lambda item: item.get("updated", "")
    if not single:
        raise GoogleError(
            400, "The requested ordering is not available for the particular query.", "badRequest"
        )
    return lambda item: start_of(item, zone)


def _since(request: HttpRequest, calendar: GCalendar) -> int | None:
    token = request.GET.get("syncToken")
    if token is None:
        return None
    for name in NOT_WITH_SYNC:
        if name in request.GET:
            raise invalid(f"Sync token cannot be used with {name}.", location=name)
    if request.GET.get("showDeleted") == "false":
        raise invalid("Sync token cannot be used with showDeleted=false.", location="showDeleted")
    return tokens.since(calendar, token)


def _window(request: HttpRequest) -> Window | None:
    low, high = request.GET.get("timeMin"), request.GET.get("timeMax")
    if low is None and high is None:
        return None
    start = rfc3339(low, location="timeMin") if low else OPEN_START
    end = rfc3339(high, location="timeMax") if high else OPEN_END
    if end <= start:
        raise GoogleError(
            400, "The specified time range is empty.", "timeRangeEmpty", domain="calendar",
            location="timeMax",
        )  # fmt: skip
    return start, end


def _envelope(calendar: GCalendar, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "calendar#events",
        "etag": f'"{calendar.change_seq}"',
        "summary": calendar.summary,
        "updated": format_instant(datetime.now(ZoneInfo("UTC"))),
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
        "items": items,
    }


def minimal(data: dict[str, Any]) -> dict[str, Any]:
    """A deleted event as an incremental list shows it (only the id is guaranteed)."""
    kept = ("kind", "etag", "id", "status", "updated", "recurringEventId", "originalStartTime")
    return {k: data[k] for k in kept if k in data}


class _View:
    """Which rows (and generated instances) one list shows, and how."""

    def __init__(
        self, calendar: GCalendar, single: bool, deleted: bool, incremental: bool, window
    ) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.time_zone)
        self.single, self.deleted, self.incremental = single, deleted, incremental
        self.window: Window | None = window

    def items(self, rows: list[GEvent]) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        for row in rows:
            data = row.data
            if data.get("status") == "cancelled":
                if self._shows_cancelled(data):
                    shown.append(data if self.deleted else minimal(data))
            elif self.single and data.get("recurrence"):
                shown.extend(self._instances(data))
            elif self._in_window(data):
                shown.append(data)
        return shown

    def _shows_cancelled(self, data: dict[str, Any]) -> bool:
        if not (self.deleted or self.incremental):
            return False
        # singleEvents shows deleted instances, not the deleted series behind them.
        return not (self.single and data.get("recurrence") and not self.incremental)

    def _in_window(self, data: dict[str, Any]) -> bool:
        if self.window is None:
            return True
        if data.get("recurrence"):
            return bool(expand.originals(data, self.zone, self.window))
        return expand.overlaps(data, self.zone, self.window)

    def _instances(self, master: dict[str, Any]) -> list[dict[str, Any]]:
        """The series' instances in the window; exceptions stand in for their instance."""
        exceptions = {
            expand.instance_key(row.data["originalStartTime"])
            for row in GEvent.objects.filter(
                calendar=self.calendar, recurring_event_id=master["id"]
            )
            if row.data.get("originalStartTime")
        }
        found = []
        for original in expand.originals(master, self.zone, self.window):
            item = expand.instance(master, original, self.zone)
            if expand.instance_key(item["originalStartTime"]) not in exceptions:
                found.append(item)
        return found


def start_of(item: dict[str, Any], zone: ZoneInfo) -> datetime:
    if "start" not in item:  # a deleted event shown by id alone
        return datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    return when(item["start"], field="start").instant(zone)


# events.instances parameters the emulator does not honour: refused rather than ignored.
INSTANCES_NOT_EMULATED = ("originalStart", "maxAttendees")


def list_instances(request: HttpRequest, calendar: GCalendar, event_id: str) -> dict[str, Any]:
    """``events.instances``: the instances of one recurring event, its exceptions standing in
    for the instances they replace (a cancelled one only with ``showDeleted``), ordered by
    start, paged. timeMin bounds an instance's end and timeMax its start, as in a list. A
    deleted series answers 410 ``deleted`` (as every call on a deleted event does)."""
    for name in INSTANCES_NOT_EMULATED:
        if name in request.GET:
            raise invalid(f"The emulator does not filter by {name}.", location=name)
    if "timeZone" in request.GET:
        zone(request.GET["timeZone"], what="the request")
    master = GEvent.objects.filter(calendar=calendar, event_id=event_id).first()
    if master is None:
        raise GoogleError(404, "Not Found", "notFound")
    if master.data.get("status") == "cancelled":
        raise GoogleError(410, "Resource has been deleted", "deleted")
    if not master.data.get("recurrence"):
        raise invalid("The emulator lists instances of recurring events only.", location="eventId")
    show_deleted = flag(request, "showDeleted")
    size = number(request, "maxResults", 250, low=1, high=2500)
    window = _window(request)
    query = urlencode(sorted((k, v) for k, v in request.GET.items() if k != "pageToken"))
    offset = tokens.page(request.GET["pageToken"], query)[0] if request.GET.get("pageToken") else 0
    view = _View(calendar, True, show_deleted, False, window)
    items = view._instances(master.data)
    for row in GEvent.objects.filter(calendar=calendar, recurring_event_id=event_id):
        data = row.data
        if data.get("status") == "cancelled":
            if show_deleted:
                items.append(data)
        elif view._in_window(data):
            items.append(data)
    calendar_zone = ZoneInfo(calendar.time_zone)
    items.sort(key=lambda item: (start_of(item, calendar_zone), item.get("id", "")))
    answer = _envelope(calendar, items[offset : offset + size])
    if offset + size < len(items):
        answer["nextPageToken"] = tokens.page_token(offset + size, calendar.change_seq, query)
    return answer
