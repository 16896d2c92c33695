"""Google Calendar API v3 client: the calendar protocol over ``connectors.http`` (wire format
only; JSON parsing in ``wire``).

Methods and parameters: the discovery document (shared/vendor-specs/google-calendar/
calendar-v3.json, revision 20230217, read 2026-12-05); error reasons: Google's "Handle API
errors" page for Calendar (read 2026-12-05). Busy time is read with ``events.list``
(``singleEvents=true``: Google's own expansion of recurring events with their exceptions),
because ``freeBusy.query`` merges tentative into busy and cannot tell them apart; free/busy
serves only calendars the user may read as free/busy and nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import (
    BusyInterval,
    CalendarEvent,
    CalendarInfo,
    ChangePage,
    ConnectorError,
    CursorExpired,
    EventDraft,
    Watch,
)
from connectors.google import wire
from connectors.http import RATE_LIMITED, VendorHttp
from connectors.models import Connection
from connectors.registry import api_base_for, get_spec

API = "/calendar/v3"
EVENTS_PAGE = 2500  # events.list maxResults: "can never be larger than 2500"
CALENDARS_PAGE = 250  # calendarList.list maxResults: "can never be larger than 250"
# 403 reasons that mean "slow down", not "forbidden" (Handle API errors: usageLimits domain).
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
WRITER_ROLES = frozenset({"owner", "writer"})
FREE_BUSY = "freeBusyReader"
# What a series is read again over (``series_instances``): a mirror keeps a day or two back and
# at most a year ahead (``syncs.calendar.mirror.window``); a day more either side.
SERIES_PAST = timedelta(days=8)
SERIES_AHEAD = timedelta(days=366)
# Our own reminders and e-mails tell the customer; Google is asked not to send invitations.
SEND_UPDATES = "none"


def classify(response: requests.Response) -> str | None:
    """Google answers a spent quota with 403 ``rateLimitExceeded`` as often as with 429:
    both are throttles (retried after backoff), not a refusal."""
    if response.status_code != 403:
        return None
    try:
        errors = response.json()["error"]["errors"]
        reasons = {e.get("reason") for e in errors if isinstance(e, dict)}
    except (ValueError, KeyError, TypeError):
        return None
    return RATE_LIMITED if reasons & RATE_REASONS else None


def _calendar_path(calendar_id: str) -> str:
    return f"{API}/calendars/{quote(calendar_id, safe='')}/events"


class GoogleCalendarClient:
    """``PushCalendarClient`` for Google Calendar; every method raises ``ConnectorError``."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        # Calendars known to be readable only as free/busy (from the calendar list, or from an
        # events.list refused with requiredAccessLevel): asked through freeBusy.query directly.
        self.free_busy_only: set[str] = set()

    def _pages(self, path: str, params: dict[str, str]) -> tuple[list[Any], dict[str, Any]]:
        """Every item of a paged list, and the last page (which holds ``nextSyncToken``)."""
        items: list[Any] = []
        page: dict[str, Any] = {}
        token = ""
        while True:
            query = {**params, "pageToken": token} if token else params
            page = wire.obj(self.http.request("GET", path, params=query).json())
            found = page.get("items")
            items.extend(found if isinstance(found, list) else [])
            token = wire.text(page.get("nextPageToken"))
            if not token:
                return items, page

    # --- reading -----------------------------------------------------------------------

    def list_calendars(self) -> list[CalendarInfo]:
        """The calendars on the user's calendar list."""
        items, _ = self._pages(f"{API}/users/me/calendarList", {"maxResults": str(CALENDARS_PAGE)})
        self.free_busy_only |= {
            wire.text(e.get("id")) for e in map(wire.obj, items) if e.get("accessRole") == FREE_BUSY
        }
        return [
            CalendarInfo(
                id=wire.text(entry.get("id")),
                name=wire.text(entry.get("summaryOverride")) or wire.text(entry.get("summary")),
                time_zone=wire.text(entry.get("timeZone")),
                can_write=entry.get("accessRole") in WRITER_ROLES,
                primary=entry.get("primary") is True,
            )
            for entry in map(wire.obj, items)
        ]

    def busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy and tentative time per calendar in [start, end); a calendar the user may see
        only as free/busy is asked through freeBusy.query (all of it "busy")."""
        found: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            if calendar_id in self.free_busy_only:
                continue
            try:
                found[calendar_id] = self._busy_from_events(calendar_id, start, end)
            except ConnectorError as exc:
                if exc.status != 403 or exc.code != "requiredAccessLevel":
                    raise
                self.free_busy_only.add(calendar_id)
        rest = [c for c in calendar_ids if c in self.free_busy_only]
        if rest:
            found.update(self._free_busy(rest, start, end))
        return {calendar_id: found[calendar_id] for calendar_id in calendar_ids}

    def _busy_from_events(
        self, calendar_id: str, start: datetime, end: datetime
    ) -> list[BusyInterval]:
        params = {
            "singleEvents": "true",
            "timeMin": _rfc3339(start),
            "timeMax": _rfc3339(end),
            "maxResults": str(EVENTS_PAGE),
        }
        items, _ = self._pages(_calendar_path(calendar_id), params)
        intervals = (wire.busy_interval(wire.obj(item)) for item in items)
        return [interval for interval in intervals if interval is not None]

    def _free_busy(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        body = {
            "timeMin": _rfc3339(start),
            "timeMax": _rfc3339(end),
            "items": [{"id": calendar_id} for calendar_id in calendar_ids],
        }
        answer = wire.obj(self.http.request("POST", f"{API}/freeBusy", json=body).json())
        calendars = wire.obj(answer.get("calendars"))
        found: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            entry = wire.obj(calendars.get(calendar_id))
            if entry.get("errors") or "busy" not in entry:
                raise ConnectorError(
                    f"google: free/busy of a calendar could not be read ({entry.get('errors')})",
                    code="freebusy_unreadable",
                )
            found[calendar_id] = [
                BusyInterval(start=s, end=e)
                for s, e in (
                    (wire.when({"dateTime": p.get("start")}), wire.when({"dateTime": p.get("end")}))
                    for p in map(wire.obj, entry["busy"])
                )
                if s is not None and e is not None
            ]
        return found

    def get_event(self, calendar_id: str, event_id: str) -> CalendarEvent:
        path = f"{_calendar_path(calendar_id)}/{quote(event_id, safe='')}"
        return wire.calendar_event(calendar_id, self.http.request("GET", path).json())

    def changes(self, calendar_id: str, cursor: str = "") -> ChangePage:
        """Events changed since ``cursor`` (a sync token; "" = everything, deleted included),
        paged to the last page's ``nextSyncToken``. Raises ``CursorExpired`` on 410 GONE.

        Recurring events come as their instances (``singleEvents``, which a sync token
        allows: events.list), so each item says when it blocks; a deleted series comes as its
        cancelled master, whose instances the caller drops by ``recurring_event_id``. A series
        an incremental page names a live instance of is read again in full
        (``series_instances``) and named in ``ChangePage.series``."""
        params = {"maxResults": str(EVENTS_PAGE), "showDeleted": "true", "singleEvents": "true"}
        if cursor:
            params["syncToken"] = cursor
        try:
            items, last = self._pages(_calendar_path(calendar_id), params)
        except ConnectorError as exc:
            if exc.status == 410:
                raise CursorExpired(
                    "google: sync token expired; a full sync is required",
                    status=410, code=exc.code or "fullSyncRequired", permanent=True,
                ) from exc  # fmt: skip
            raise
        next_cursor = wire.text(last.get("nextSyncToken"))
        if not next_cursor:
            raise ConnectorError("google: list ended without a sync token", code="bad_response")
        events = [wire.calendar_event(calendar_id, wire.obj(item)) for item in items]
        if not cursor:
            return ChangePage(events=tuple(events), cursor=next_cursor)
        series = _live_series(events)
        for series_id in series:
            events = [e for e in events if e.recurring_event_id != series_id]
            events.extend(self.series_instances(calendar_id, series_id))
        return ChangePage(events=tuple(events), cursor=next_cursor, series=series)

    def series_instances(self, calendar_id: str, series_id: str) -> list[CalendarEvent]:
        """Every instance of a recurring series from ``SERIES_PAST`` ago to ``SERIES_AHEAD``
        ahead (``events.instances``: exceptions stand in for their instance; cancelled ones
        left out); none when the series is gone (404, 410 deleted).

        Why: an incremental list names the instances of a series whose master changed, not
        the instances it no longer has (a moved series' instances are new ids), nor its
        unchanged exceptions; only the whole series says what the mirror must hold of it."""
        now = datetime.now(tz=UTC)
        params = {"maxResults": str(EVENTS_PAGE), "timeMin": _rfc3339(now - SERIES_PAST),
                  "timeMax": _rfc3339(now + SERIES_AHEAD)}  # fmt: skip
        path = f"{_calendar_path(calendar_id)}/{quote(series_id, safe='')}/instances"
        try:
            items, _ = self._pages(path, params)
        except ConnectorError as exc:
            if exc.status in (404, 410):
                return []
            raise
        return [wire.calendar_event(calendar_id, wire.obj(item)) for item in items]

    # --- writing -----------------------------------------------------------------------

    def create_event(self, calendar_id: str, draft: EventDraft) -> CalendarEvent:
        """Insert under our own event id; a retry meets 409 duplicate and gets the event the
        first attempt made (unless that id holds someone else's event: refused). A deleted
        event keeps its id (``status: "cancelled"``, still returned by events.get), so a retry
        meeting our own event deleted meanwhile is refused for good, never answered with the
        deleted event as if the booking were in the calendar
        (https://developers.google.com/calendar/api/v3/reference/events, read 2026-12-05)."""
        body = {"id": wire.event_id_for(draft.booking_id), **wire.event_body(draft)}
        params = {"sendUpdates": SEND_UPDATES}
        try:
            path = _calendar_path(calendar_id)
            answer = self.http.request("POST", path, params=params, json=body)
        except ConnectorError as exc:
            if exc.status != 409:
                raise
            existing = self.get_event(calendar_id, body["id"])
            if existing.booking_id != draft.booking_id:
                raise ConnectorError(
                    "google: the event id is taken by another event", status=409,
                    code="duplicate", permanent=True,
                ) from exc  # fmt: skip
            if existing.status == "cancelled":
                raise ConnectorError(
                    "google: the booking's event was deleted from the calendar", status=409,
                    code="deleted", permanent=True,
                ) from exc  # fmt: skip
            return existing
        return wire.calendar_event(calendar_id, answer.json())

    def update_event(
        self, calendar_id: str, event_id: str, draft: EventDraft, *, etag: str = ""
    ) -> CalendarEvent:
        """Patch the event; with ``etag`` sent as If-Match, a change made meanwhile is a 412,
        raised as a permanent ``ConnectorError`` with code "conflict"."""
        path = f"{_calendar_path(calendar_id)}/{quote(event_id, safe='')}"
        headers = {"If-Match": etag} if etag else None
        params = {"sendUpdates": SEND_UPDATES}
        try:
            answer = self.http.request(
                "PATCH", path, params=params, json=wire.event_body(draft), headers=headers
            )
        except ConnectorError as exc:
            if exc.status == 412:
                raise ConnectorError(
                    "google: the event changed since it was read", status=412,
                    code="conflict", permanent=True,
                ) from exc  # fmt: skip
            raise
        return wire.calendar_event(calendar_id, answer.json())

    def cancel_event(self, calendar_id: str, event_id: str) -> None:
        """Delete the event; 404 (never there) and 410 (deleted before) are not errors."""
        path = f"{_calendar_path(calendar_id)}/{quote(event_id, safe='')}"
        self.http.request(
            "DELETE", path, params={"sendUpdates": SEND_UPDATES}, expect={200, 204, 404, 410}
        )

    # --- push ----------------------------------------------------------------------------

    def watch(self, calendar_id: str, *, address: str, secret: str, ttl_seconds: int) -> Watch:
        """Open an ``events.watch`` channel; Google sends ``secret`` back as the channel token."""
        channel_id = str(uuid.uuid4())
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": secret,
            "params": {"ttl": str(int(ttl_seconds))},
        }
        answer = wire.obj(
            self.http.request("POST", f"{_calendar_path(calendar_id)}/watch", json=body).json()
        )
        return Watch(
            id=wire.text(answer.get("id")) or channel_id,
            resource_id=wire.text(answer.get("resourceId")),
            expires_at=wire.channel_expiry(answer.get("expiration")),
            secret=secret,
        )

    def stop_watch(self, watch: Watch) -> None:
        """``channels.stop``; a channel Google no longer knows (404) is already stopped."""
        body = {"id": watch.id, "resourceId": watch.resource_id}
        self.http.request("POST", f"{API}/channels/stop", json=body, expect={200, 204, 404})


def _live_series(events: Sequence[CalendarEvent]) -> tuple[str, ...]:
    """The series an incremental page reports a live instance of (a cancelled instance is
    that one instance's deletion, and a cancelled master takes its instances itself)."""
    return tuple(sorted({e.recurring_event_id for e in events
                         if e.recurring_event_id and e.status != "cancelled"}))  # fmt: skip


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ConnectorError("google: times must be aware", permanent=True)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(connection: Connection) -> GoogleCalendarClient:
    spec = get_spec(connection.provider)
    http = VendorHttp(connection, spec=spec, base_url=api_base_for(connection), classify=classify)
    return GoogleCalendarClient(http)
