"""CalDAV client (Apple iCloud and any CalDAV server): the calendar protocol over WebDAV.

Why not the ``caldav`` library's ``DAVClient`` for the requests (decided 2026-12-05): every
vendor call goes through ``connectors.http.VendorHttp``, which gives CalDAV what the other
calendars have (one ``ApiCall`` row per attempt, retries with Retry-After, 401 as a dead app
password, 4xx as permanent, no redirect to another host, never a body in a log). The
library's ``DAVClient.request`` would bypass all that, logs request and reply bodies at debug
level (someone's private event titles), switches authentication schemes on its own after a
401, reports a 403 as an ``AuthorizationError`` (hiding RFC 6578's ``valid-sync-token``
precondition) and parses replies with lxml's entity resolution, from a server the user
chose. So the library builds our request bodies (``caldav.elements``, in ``wire``),
``icalendar`` reads and writes the events, ``recurring-ical-events`` expands busy time
(``connectors.ical``), and the replies are parsed with ``defusedxml``.

Every request, including to URLs the server names, is SSRF-checked and sent to the address
that was checked (``ssrf.pinned_request`` through ``CheckedSession``): the server URL is the
user's, and DNS may change between connect and a later call. The price is a TCP and TLS
handshake per call (no kept-alive pool), acceptable for a calendar polled minutes apart.

The calendar id is the collection's URL; an event id is the resource's name in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from connectors import ssrf
from connectors.base import (
    BusyInterval,
    CalendarEvent,
    CalendarInfo,
    ChangePage,
    ConnectorError,
    CursorExpired,
    EventDraft,
)
from connectors.caldav import wire
from connectors.caldav.discovery import INSECURE
from connectors.http import VendorHttp
from connectors.ical import busy_from_ical
from connectors.models import Connection
from connectors.registry import api_base_for, get_spec

XML = {"Content-Type": "application/xml; charset=utf-8"}
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
MULTISTATUS = {207}
# RFC 6578 §3.8: an unknown or expired token is a 403 (or 409 on some servers) whose body
# names the ``DAV:valid-sync-token`` precondition.
EXPIRED_TOKEN_STATUSES = {403, 409}
MAX_SYNC_ROUNDS = 50  # a server that truncates (507) forever must not keep a job forever


class CheckedSession(requests.Session):
    """A session whose every request goes through ``ssrf.pinned_request``: https only (the
    app password travels in every request), the host resolved and checked, and the request
    sent to the checked address. A refused URL is a ``ConnectorError``, so ``VendorHttp``
    logs and raises it like any refusal; a host that does not resolve may resolve later."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        method, url = str(method), str(url)
        try:
            ssrf.require_https(url, INSECURE)
            return ssrf.pinned_request(method, url, *args, **kwargs)
        except ssrf.UnresolvableHost as exc:
            raise ConnectorError(f"caldav: {exc}", code="unresolvable_host") from None
        except ssrf.UnsafeUrl as exc:
            raise ConnectorError(f"caldav: {exc}", code="unsafe_url", permanent=True) from None


class CalDavClient:
    """``CalendarClient`` for a CalDAV account; every method raises ``ConnectorError``."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.zones: dict[str, str] = {}  # calendar URL -> IANA zone ("" when none is given)

    # --- requests ------------------------------------------------------------------------

    def _dav(
        self, method: str, url: str, body: bytes, *, depth: str, expect: set[int] | None = None
    ) -> requests.Response:
        headers = {**XML, "Depth": depth}
        return self.http.request(method, url, data=body, headers=headers, expect=expect or {207})

    def _multistatus(self, method: str, url: str, body: bytes, *, depth: str) -> wire.MultiStatus:
        response = self._dav(method, url, body, depth=depth)
        return wire.parse_multistatus(response.content, self.http.url_for(url))

    def _calendar_url(self, calendar_id: str) -> str:
        url = self.http.url_for(calendar_id)  # refuses a URL on another host
        return url if url.endswith("/") else url + "/"

    def _event_url(self, calendar_id: str, event_id: str) -> str:
        if not event_id or "/" in event_id:
            raise ConnectorError("caldav: not an event id", permanent=True)
        return self._calendar_url(calendar_id) + quote(event_id, safe="")

    # --- reading -------------------------------------------------------------------------

    def list_calendars(self) -> list[CalendarInfo]:
        """The event calendars in the user's calendar home (task lists and other collections
        left out), with their zone and whether the user may write to them."""
        home = self.http.base_url + "/"
        found = self._multistatus("PROPFIND", home, wire.calendars_propfind(), depth="1")
        calendars = [wire.calendar_info(m) for m in found.members]
        listed = [c for c in calendars if c is not None]
        self.zones.update({c.id: c.time_zone for c in listed})
        return listed

    def _zone(self, calendar_url: str) -> str:
        """The calendar's zone, asked once per client (floating times are its wall time)."""
        if calendar_url not in self.zones:
            found = self._multistatus("PROPFIND", calendar_url, wire.zone_propfind(), depth="0")
            own = [m for m in found.members if wire.same_resource(m.url, calendar_url)]
            self.zones[calendar_url] = wire.zone_of(own[0]) if own else ""
        return self.zones[calendar_url]

    def busy(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy and tentative time per calendar in [start, end): a calendar-query with a
        time-range, every matching resource expanded with its exceptions. A calendar, or an
        event in it, the server will not serve raises: it is never reported free."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ConnectorError("caldav: times must be aware", permanent=True)
        answer: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            url = self._calendar_url(calendar_id)
            zone = self._zone(url) or "UTC"
            found = self._multistatus("REPORT", url, wire.time_range_query(start, end), depth="1")
            texts, names = [], []
            for member in found.members:
                if wire.same_resource(member.url, url):
                    continue
                data = member.text(f"{wire.C}calendar-data")
                if member.status != 200 or member.refused or not data.strip():
                    raise ConnectorError(
                        f"caldav: the server would not serve an event ({member.status})",
                        code="event_unreadable",
                    )
                texts.append(data)
                names.append(wire.resource_name(member.url))
            try:
                answer[calendar_id] = busy_from_ical(
                    texts, start, end, owner_zone=zone, names=names
                )
            except ValueError as exc:
                raise ConnectorError(
                    "caldav: unreadable calendar data", code="bad_response"
                ) from exc
        return answer

    def get_event(self, calendar_id: str, event_id: str) -> CalendarEvent:
        url = self._event_url(calendar_id, event_id)
        response = self.http.request("GET", url)
        zone = self.zones.get(self._calendar_url(calendar_id), "")
        etag = response.headers.get("ETag", "")
        return wire.calendar_event(calendar_id, event_id, response.content, etag=etag, zone=zone)

    def changes(self, calendar_id: str, cursor: str = "") -> ChangePage:
        """Members changed since ``cursor`` (a sync-token; "" = every member), a deleted one as
        a cancelled event by its id alone. Raises ``CursorExpired`` when the server no longer
        knows the token (RFC 6578 §3.8 ``valid-sync-token``)."""
        url = self._calendar_url(calendar_id)
        token, members = cursor, []
        for _ in range(MAX_SYNC_ROUNDS):
            page, truncated = self._sync_round(url, token)
            members.extend(page.members)
            token = page.sync_token
            if not token:
                raise ConnectorError("caldav: sync ended without a token", code="bad_response")
            if not truncated:
                break
        else:
            raise ConnectorError("caldav: the server kept truncating the sync", code="truncated")
        return ChangePage(events=self._events(calendar_id, url, members), cursor=token)

    def _sync_round(self, url: str, token: str) -> tuple[wire.MultiStatus, bool]:
        expect = MULTISTATUS | EXPIRED_TOKEN_STATUSES
        response = self._dav("REPORT", url, wire.sync_collection(token), depth="0", expect=expect)
        if response.status_code in EXPIRED_TOKEN_STATUSES:
            if b"valid-sync-token" in response.content:
                raise CursorExpired(
                    "caldav: the sync token is no longer valid; a full sync is required",
                    status=response.status_code, code="valid-sync-token", permanent=True,
                )  # fmt: skip
            raise ConnectorError(
                f"caldav {response.status_code}: sync-collection refused",
                status=response.status_code, code=f"http_{response.status_code}", permanent=True,
            )  # fmt: skip
        page = wire.parse_multistatus(response.content, url)
        own = [m for m in page.members if wire.same_resource(m.url, url)]
        page.members = [m for m in page.members if not wire.same_resource(m.url, url)]
        # RFC 6578 §3.6: the collection itself answered 507: more changes follow this token.
        return page, any(m.status == 507 for m in own)

    def _events(
        self, calendar_id: str, url: str, members: list[wire.Member]
    ) -> tuple[CalendarEvent, ...]:
        latest = {m.url: m for m in members}  # a member changed in two rounds: the last says
        missing = [m.url for m in latest.values() if m.status == 200 and not _data(m)]
        if missing:
            fetched = self._multistatus("REPORT", url, wire.multiget(missing), depth="1")
            latest.update({m.url: m for m in fetched.members if m.url in latest})
        zone = self.zones.get(url, "")
        events = []
        for member in latest.values():
            name = wire.resource_name(member.url)
            if member.status in (404, 410):
                events.append(CalendarEvent(calendar_id=calendar_id, id=name, status="cancelled"))
                continue
            if member.status != 200 or not _data(member):
                raise ConnectorError(
                    f"caldav: a changed event could not be read ({member.status})",
                    code="event_unreadable",
                )
            etag = member.text(f"{wire.D}getetag")
            event = wire.calendar_event(calendar_id, name, _data(member), etag=etag, zone=zone)
            events.append(event)
        return tuple(events)

    # --- writing -------------------------------------------------------------------------

    def create_event(self, calendar_id: str, draft: EventDraft) -> CalendarEvent:
        """PUT the booking's resource with ``If-None-Match: *``. A retry meets 412 and gets
        the event the first attempt made, unless the name holds another booking's event."""
        name, uid = wire.resource_for(draft.booking_id)
        url = self._event_url(calendar_id, name)
        body = wire.event_ics(draft, uid)
        try:
            response = self.http.request(
                "PUT", url, data=body, headers={**ICS, "If-None-Match": "*"}
            )
        except ConnectorError as exc:
            if exc.status != 412:
                raise
            existing = self.get_event(calendar_id, name)
            if existing.booking_id != draft.booking_id:
                raise ConnectorError(
                    "caldav: the event's name is taken by another event", status=412,
                    code="duplicate", permanent=True,
                ) from exc  # fmt: skip
            return existing
        return self._written(calendar_id, name, body, response)

    def update_event(
        self, calendar_id: str, event_id: str, draft: EventDraft, *, etag: str = ""
    ) -> CalendarEvent:
        """Replace the event, keeping its UID and raising its SEQUENCE, with ``If-Match``
        (``etag``, else the one just read): a change made meanwhile is a 412, raised as a
        permanent ``ConnectorError`` with code "conflict"."""
        current = self.http.request("GET", self._event_url(calendar_id, event_id))
        uid, sequence = wire.uid_and_sequence(current.content)
        match = etag or current.headers.get("ETag", "")
        body = wire.event_ics(draft, uid, sequence=sequence + 1)
        headers = {**ICS, "If-Match": match} if match else ICS
        try:
            url = self._event_url(calendar_id, event_id)
            response = self.http.request("PUT", url, data=body, headers=headers)
        except ConnectorError as exc:
            if exc.status == 412:
                raise ConnectorError(
                    "caldav: the event changed since it was read", status=412,
                    code="conflict", permanent=True,
                ) from exc  # fmt: skip
            raise
        return self._written(calendar_id, event_id, body, response)

    def cancel_event(self, calendar_id: str, event_id: str) -> None:
        """DELETE the resource; 404 (never there) and 410 (gone) are not errors."""
        url = self._event_url(calendar_id, event_id)
        self.http.request("DELETE", url, expect={200, 204, 404, 410})

    def _written(
        self, calendar_id: str, event_id: str, body: bytes, response: requests.Response
    ) -> CalendarEvent:
        """The event as written. A server that changed what we sent sends no ETag (RFC 4791
        §5.3.4): then the stored event is read back, with its ETag."""
        etag = response.headers.get("ETag", "")
        if not etag:
            return self.get_event(calendar_id, event_id)
        zone = self.zones.get(self._calendar_url(calendar_id), "")
        return wire.calendar_event(calendar_id, event_id, body, etag=etag, zone=zone)


def _data(member: wire.Member) -> str:
    return member.text(f"{wire.C}calendar-data").strip()


def build(connection: Connection) -> CalDavClient:
    """The client for a connection made by ``connectors.caldav.connect`` (its calendar home
    is the API base; the app-specific password is the stored token, sent as Basic auth)."""
    spec = get_spec(connection.provider)
    base = api_base_for(connection)
    http = VendorHttp(connection, spec=spec, base_url=base, session=CheckedSession())
    return CalDavClient(http)
