"""Microsoft Graph calendar client (``PushCalendarClient``): calendars, busy time through
calendarView, events idempotent on ``transactionId``, calendarView delta, subscriptions.

Sources (learn.microsoft.com/graph, checked 2026-12-05): user-list-calendars, user-list-
calendarview (paging by ``@odata.nextLink``; ``Prefer: outlook.timezone``), user-post-events
(``transactionId``: "for the server to avoid redundant POST operations in case of client
retries"), event-update (``If-Match``: 412 on a stale change key), event-delete, event-delta
(410 when the sync state is gone), subscription-post-subscriptions / -update / -delete and
resources/subscription (an Outlook event subscription lasts at most 10,080 minutes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors import crm_support as s
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
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.outlook import wire

PREFER_UTC = 'outlook.timezone="UTC"'
VIEW_PAGE = 100  # calendarView rows per page ($top)
DELTA_PAGE = 100  # delta rows per page (odata.maxpagesize)
# The delta window is fixed by the first call; bookings live in the near future.
DELTA_PAST = timedelta(days=7)
DELTA_FUTURE = timedelta(days=365)
MAX_WATCH_MINUTES = 10_080  # Outlook event subscriptions (resources/subscription)
WATCH_MARGIN = timedelta(minutes=5)  # stay clear of the maximum as Graph's clock sees it
CHANGE_TYPES = "created,updated,deleted"
VIEW_FIELDS = (
    "subject,start,end,showAs,isAllDay,isCancelled,responseStatus,type,seriesMasterId,transactionId"
)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ConnectorError(
            "outlook: window times must be aware", code="naive_time", permanent=True
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_stamp(text: str) -> datetime:
    try:
        head, _, fraction = text.rstrip("Z").partition(".")
        moment = datetime.fromisoformat(head).replace(microsecond=int((fraction + "0" * 6)[:6]))
    except ValueError:
        raise ConnectorError(
            "outlook: unreadable expirationDateTime", code="bad_response", permanent=True
        ) from None
    return moment.replace(tzinfo=UTC)


class OutlookCalendarClient:
    """Every method raises ``ConnectorError``; ``changes`` raises ``CursorExpired``."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http

    def _pages(self, path: str, params: dict[str, str] | None, prefer: str) -> Iterator[dict]:
        """Each page of a collection, following ``@odata.nextLink`` (it keeps the query)."""
        url: str | None = path
        while url:
            response = self.http.request("GET", url, params=params, headers={"Prefer": prefer})
            page = s.obj(s.json_of(response))
            yield page
            url, params = s.text(page.get("@odata.nextLink")) or None, None

    def list_calendars(self) -> list[CalendarInfo]:
        """The mailbox's calendars; ``can_write`` is Graph's ``canEdit``."""
        rows: list[CalendarInfo] = []
        for page in self._pages("/v1.0/me/calendars", None, PREFER_UTC):
            rows.extend(wire.calendar_info(s.obj(r)) for r in s.items(page.get("value")))
        return rows

    def busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """calendarView of each calendar (Graph expands series with their exceptions and
        leaves cancelled occurrences out); free and cancelled events never block."""
        window = {
            "startDateTime": _iso(start),
            "endDateTime": _iso(end),
            "$top": str(VIEW_PAGE),
            "$select": VIEW_FIELDS,
        }
        out: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            path = f"/v1.0/me/calendars/{calendar_id}/calendarView"
            intervals = []
            for page in self._pages(path, window, PREFER_UTC):
                for event in s.items(page.get("value")):
                    interval = wire.busy_interval(s.obj(event))
                    if interval is not None:
                        intervals.append(interval)
            out[calendar_id] = intervals
        return out

    def create_event(self, calendar_id: str, draft: EventDraft) -> CalendarEvent:
        """POST with ``transactionId = booking_id``: Graph answers a retried create with the
        event the first one made, never a second event."""
        response = self.http.request(
            "POST",
            f"/v1.0/me/calendars/{calendar_id}/events",
            json=wire.event_body(draft, creating=True),
            headers={"Prefer": PREFER_UTC},
        )
        return wire.calendar_event(calendar_id, s.obj(s.json_of(response)))

    def update_event(
        self, calendar_id: str, event_id: str, draft: EventDraft, *, etag: str = ""
    ) -> CalendarEvent:
        """PATCH; with ``etag`` (the event's ``@odata.etag``) Graph refuses with 412 if it
        changed meanwhile (a permanent ``ConnectorError`` with status 412)."""
        headers = {"Prefer": PREFER_UTC, **({"If-Match": etag} if etag else {})}
        response = self.http.request(
            "PATCH",
            f"/v1.0/me/calendars/{calendar_id}/events/{event_id}",
            json=wire.event_body(draft, creating=False),
            headers=headers,
        )
        return wire.calendar_event(calendar_id, s.obj(s.json_of(response)))

    def cancel_event(self, calendar_id: str, event_id: str) -> None:
        """DELETE; an event already gone (404) is not an error."""
        self.http.request(
            "DELETE", f"/v1.0/me/calendars/{calendar_id}/events/{event_id}", expect=(204, 404)
        )

    def find_event(self, calendar_id: str, booking_id: str) -> CalendarEvent | None:
        """The event we created for ``booking_id`` (by our extended property), or None."""
        quoted = booking_id.replace("'", "''")
        params = {
            "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq "
            f"'{wire.BOOKING_PROPERTY}' and ep/value eq '{quoted}')",
            "$expand": f"singleValueExtendedProperties($filter=id eq '{wire.BOOKING_PROPERTY}')",
        }
        path = f"/v1.0/me/calendars/{calendar_id}/events"
        for page in self._pages(path, params, PREFER_UTC):
            for event in s.items(page.get("value")):
                return wire.calendar_event(calendar_id, s.obj(event))
        return None

    def changes(self, calendar_id: str, cursor: str = "") -> ChangePage:
        """calendarView delta: ``cursor`` is the last ``@odata.deltaLink`` ("" starts a full
        read over [now - DELTA_PAST, now + DELTA_FUTURE)). Raises ``CursorExpired`` on 410.
        A series a later round names a live instance of is read again in full
        (``series_instances``) and named in ``ChangePage.series``."""
        if cursor:
            url, params = cursor, None
        else:
            now = datetime.now(tz=UTC)
            url = f"/v1.0/me/calendars/{calendar_id}/calendarView/delta"
            params = {
                "startDateTime": _iso(now - DELTA_PAST),
                "endDateTime": _iso(now + DELTA_FUTURE),
            }
        prefer = f"{PREFER_UTC}, odata.maxpagesize={DELTA_PAGE}"
        events: list[CalendarEvent] = []
        delta_link = ""
        try:
            for page in self._pages(url, params, prefer):
                events.extend(
                    wire.calendar_event(calendar_id, s.obj(e)) for e in s.items(page.get("value"))
                )
                delta_link = s.text(page.get("@odata.deltaLink"))
        except ConnectorError as exc:
            if exc.status == 410:
                raise CursorExpired(str(exc), status=410, code=exc.code, permanent=True) from exc
            raise
        if not delta_link:
            raise ConnectorError("outlook: delta ended without a deltaLink", code="bad_response")
        if not cursor:
            return ChangePage(events=tuple(events), cursor=delta_link)
        series = tuple(sorted({e.recurring_event_id for e in events
                               if e.recurring_event_id and e.status != "cancelled"}))  # fmt: skip
        for series_id in series:
            events = [e for e in events if e.recurring_event_id != series_id]
            events.extend(self.series_instances(calendar_id, series_id))
        return ChangePage(events=tuple(events), cursor=delta_link, series=series)

    def series_instances(self, calendar_id: str, series_id: str) -> list[CalendarEvent]:
        """The occurrences and exceptions of a series master over the delta window
        (``GET /me/events/{id}/instances``, learn.microsoft.com/graph/api/event-list-instances,
        checked 2026-12-05); none when the master is gone (404).

        Why: a delta round names the occurrences of a series whose master changed, but not
        always the ones it no longer has (a moved series' occurrences are new ids); only the
        whole series says what the mirror must hold of it."""
        now = datetime.now(tz=UTC)
        params = {"startDateTime": _iso(now - DELTA_PAST), "endDateTime": _iso(now + DELTA_FUTURE),
                  "$top": str(VIEW_PAGE)}  # fmt: skip
        path = f"/v1.0/me/calendars/{calendar_id}/events/{series_id}/instances"
        found: list[CalendarEvent] = []
        try:
            for page in self._pages(path, params, PREFER_UTC):
                found.extend(
                    wire.calendar_event(calendar_id, s.obj(e)) for e in s.items(page.get("value"))
                )
        except ConnectorError as exc:
            if exc.status == 404:
                return []
            raise
        return found

    # --- push ------------------------------------------------------------------------------

    def watch(
        self,
        calendar_id: str,
        *,
        address: str,
        secret: str,
        ttl_seconds: int,
        lifecycle_address: str = "",
    ) -> Watch:
        """Subscribe ``address`` to the calendar's event changes; ``secret`` is the
        ``clientState`` Graph echoes in every notification (at most 128 characters). Graph
        first sends ``address`` a validation request it must echo within 10 s. Lifecycle
        notifications go to ``lifecycle_address`` (default: ``address``)."""
        body = {
            "changeType": CHANGE_TYPES,
            "notificationUrl": address,
            "lifecycleNotificationUrl": lifecycle_address or address,
            "resource": f"me/calendars/{calendar_id}/events",
            "expirationDateTime": _utc_stamp(self._expiry(ttl_seconds)),
            "clientState": secret,
        }
        response = self.http.request("POST", "/v1.0/subscriptions", json=body, expect=(201,))
        return self._watch(s.obj(s.json_of(response)), secret)

    def renew_watch(self, watch: Watch, *, ttl_seconds: int) -> Watch:
        """Move a subscription's expiry (PATCH ``expirationDateTime``); a subscription Graph
        no longer has answers 404 (a permanent ``ConnectorError``): make a new one."""
        body = {"expirationDateTime": _utc_stamp(self._expiry(ttl_seconds))}
        response = self.http.request("PATCH", f"/v1.0/subscriptions/{watch.id}", json=body)
        return self._watch(s.obj(s.json_of(response)), watch.secret)

    def stop_watch(self, watch: Watch) -> None:
        """DELETE the subscription; one already gone (404) is not an error."""
        self.http.request("DELETE", f"/v1.0/subscriptions/{watch.id}", expect=(204, 404))

    @staticmethod
    def _expiry(ttl_seconds: int) -> datetime:
        longest = timedelta(minutes=MAX_WATCH_MINUTES) - WATCH_MARGIN
        return datetime.now(tz=UTC) + min(timedelta(seconds=max(60, ttl_seconds)), longest)

    @staticmethod
    def _watch(body: dict[str, Any], secret: str) -> Watch:
        return Watch(
            id=s.text(body.get("id")),
            resource_id=s.text(body.get("resource")),
            expires_at=_parse_stamp(s.text(body.get("expirationDateTime"))),
            secret=secret,
        )


def build(connection: Connection) -> OutlookCalendarClient:
    return OutlookCalendarClient(s.make_http(connection))
