"""CalDAV on the wire, as pure functions: request bodies (built with the ``caldav`` library's
element classes), WebDAV multistatus replies (parsed with ``defusedxml``: the server is
user-supplied and may be hostile), and iCalendar objects (``icalendar``) to and from our
calendar models. No network here; ``connectors.caldav.client`` sends.

Sources (read 2026-12-05): RFC 4791 (CalDAV: §5.2.2 calendar-timezone, §5.3.2 PUT and the
``no-uid-conflict`` precondition, §7.8 calendar-query with a time-range, §7.9
calendar-multiget), RFC 6578 (sync-collection: §3.2 the empty initial token, §3.3 a deleted
member answered with a 404 status and no props, §3.6 truncation with 507, §3.8 the
``valid-sync-token`` precondition), RFC 3744 §5.4 (current-user-privilege-set), RFC 7809 §5.2
(calendar-timezone-id), RFC 6638 §7.1 (``SCHEDULE-AGENT=CLIENT``: the server sends no
invitation), RFC 5545 (VEVENT properties).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree.ElementTree import Element  # the type only; parsing is defusedxml's
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from caldav.elements import cdav, dav
from caldav.elements.base import BaseElement
from caldav.lib.namespace import ns
from defusedxml import ElementTree
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from connectors import ical
from connectors.base import CalendarEvent, CalendarInfo, ConnectorError, EventDraft

D, C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
PRODID = "-//Switchboard//Bookings//EN"
# Our booking id and source tag, carried in the event itself so they read back from any server
# (RFC 5545 §3.8.8.2: "X-" properties are kept by servers and clients that do not know them).
BOOKING_PROPERTY = "X-SWITCHBOARD-BOOKING-ID"
SOURCE_PROPERTY = "X-SWITCHBOARD-SOURCE-TAG"
RESOURCE_PREFIX = "switchboard-"
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]{1,120}")
# Privileges that let the user add or change events (RFC 3744 §3: all ⊃ write ⊃ write-content,
# bind).
WRITE_PRIVILEGES = frozenset({"all", "write", "write-content", "bind"})


class CurrentUserPrivilegeSet(BaseElement):
    """RFC 3744 §5.4; the ``caldav`` library has no element for it."""

    tag: ClassVar[str] = ns("D", "current-user-privilege-set")


class CalendarTimezoneId(BaseElement):
    """RFC 7809 §5.2: the calendar's zone as a name, where the server supports it."""

    tag: ClassVar[str] = ns("C", "calendar-timezone-id")


def xml(element: BaseElement) -> bytes:
    """The request body of a ``caldav`` element tree."""
    return str(element).encode("utf-8")


def _tree(parent: BaseElement, *children: BaseElement) -> BaseElement:
    """``parent`` holding ``children`` (the library's ``append``, spelled as a call)."""
    return parent.append(list(children))


def _event_props() -> BaseElement:
    return _tree(dav.Prop(), dav.GetEtag(), cdav.CalendarData())


def calendars_propfind() -> bytes:
    """PROPFIND (Depth 1) of the calendar home: what ``list_calendars`` needs of each member."""
    props = _tree(
        dav.Prop(),
        dav.ResourceType(),
        dav.DisplayName(),
        cdav.CalendarTimeZone(),
        CalendarTimezoneId(),
        CurrentUserPrivilegeSet(),
        cdav.SupportedCalendarComponentSet(),
    )
    return xml(_tree(dav.Propfind(), props))


def zone_propfind() -> bytes:
    """PROPFIND (Depth 0) of one calendar's zone (floating times are the owner's wall time)."""
    props = _tree(dav.Prop(), cdav.CalendarTimeZone(), CalendarTimezoneId())
    return xml(_tree(dav.Propfind(), props))


def time_range_query(start: datetime, end: datetime) -> bytes:
    """calendar-query REPORT (RFC 4791 §7.8): every VEVENT resource with an instance meeting
    [start, end), recurrences expanded by the server for the match only (we expand again)."""
    events = _tree(cdav.CompFilter("VEVENT"), cdav.TimeRange(start, end))
    query_filter = _tree(cdav.Filter(), _tree(cdav.CompFilter("VCALENDAR"), events))
    return xml(_tree(cdav.CalendarQuery(), _event_props(), query_filter))


def sync_collection(token: str) -> bytes:
    """sync-collection REPORT (RFC 6578 §3.2); an empty token asks for every member."""
    return xml(
        _tree(
            dav.SyncCollection(),
            dav.SyncToken(value=token) if token else dav.SyncToken(),
            dav.SyncLevel(value="1"),
            _event_props(),
        )
    )


def multiget(hrefs: list[str]) -> bytes:
    """calendar-multiget REPORT (RFC 4791 §7.9) of the members a sync listed without data."""
    hrefs_xml = [dav.Href(value=href) for href in hrefs]
    return xml(_tree(cdav.CalendarMultiGet(), _event_props(), *hrefs_xml))


# --- multistatus ------------------------------------------------------------------------------


@dataclass
class Member:
    """One ``D:response`` of a multistatus: the member's URL, its own status (404 for a
    member a sync reports deleted), the props the server gave and those it refused."""

    url: str
    status: int = 200
    props: dict[str, Element] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)  # prop tag -> status (not 404)

    def text(self, tag: str) -> str:
        element = self.props.get(tag)
        return (element.text or "") if element is not None else ""


@dataclass
class MultiStatus:
    members: list[Member]
    sync_token: str = ""


def _status(text: str | None) -> int:
    """``HTTP/1.1 404 Not Found`` -> 404 (0 when unreadable)."""
    parts = (text or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def parse_multistatus(body: bytes, base_url: str) -> MultiStatus:
    """The members of a 207 reply, hrefs made absolute against ``base_url``."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ConnectorError("caldav: the reply is not XML", code="bad_response") from exc
    if root.tag != f"{D}multistatus":
        raise ConnectorError("caldav: the reply is not a multistatus", code="bad_response")
    members: list[Member] = []
    for response in root.findall(f"{D}response"):
        href = response.findtext(f"{D}href") or ""
        if not href.strip():
            continue
        member = Member(url=urljoin(base_url, href.strip()))
        own = response.find(f"{D}status")
        if own is not None:
            member.status = _status(own.text)
        for propstat in response.findall(f"{D}propstat"):
            status = _status(propstat.findtext(f"{D}status"))
            for prop in propstat.findall(f"{D}prop"):
                for value in prop:
                    if status == 200:
                        member.props[value.tag] = value
                    elif status != 404:
                        member.refused[value.tag] = status
        members.append(member)
    return MultiStatus(members, (root.findtext(f"{D}sync-token") or "").strip())


def same_resource(a: str, b: str) -> bool:
    """Whether two URLs name one collection or resource (trailing slash and escaping aside)."""
    return unquote(urlsplit(a).path).rstrip("/") == unquote(urlsplit(b).path).rstrip("/")


def resource_name(url: str) -> str:
    """A member's name in its calendar (the event id we hand out): the last path segment."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


# --- calendars --------------------------------------------------------------------------------


def iana_zone(name: str) -> str:
    """``name`` if it is an IANA zone, the IANA zone of a Windows zone name, else ""."""
    name = name.strip()
    name = WINDOWS_TO_OLSON.get(name, name)
    if not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    return name


def zone_of(member: Member) -> str:
    """The calendar's IANA zone: RFC 7809's ``calendar-timezone-id``, else the TZID (or the
    ``X-LIC-LOCATION`` that Apple and Mozilla write) of the ``calendar-timezone`` VTIMEZONE."""
    by_id = iana_zone(member.text(f"{C}calendar-timezone-id"))
    if by_id:
        return by_id
    text = member.text(f"{C}calendar-timezone")
    if not text.strip():
        return ""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError:
        return ""
    for timezone in calendar.walk("VTIMEZONE"):
        for candidate in (timezone.get("TZID"), timezone.get("X-LIC-LOCATION")):
            zone = iana_zone(str(candidate or ""))
            if zone:
                return zone
    return ""


def calendar_info(member: Member) -> CalendarInfo | None:
    """A calendar collection that holds events, or None (another collection, a task list)."""
    kinds = member.props.get(f"{D}resourcetype")
    if kinds is None or kinds.find(f"{C}calendar") is None:
        return None
    components = member.props.get(f"{C}supported-calendar-component-set")
    if components is not None:
        names = {comp.get("name", "").upper() for comp in components.findall(f"{C}comp")}
        if names and "VEVENT" not in names:
            return None
    privileges = member.props.get(f"{D}current-user-privilege-set")
    if privileges is None:
        # The server does not say (no WebDAV ACL): a calendar in the user's own home is theirs
        # to write, and a refused PUT would say otherwise.
        can_write = True
    else:
        granted = {
            child.tag.removeprefix(D)
            for privilege in privileges.findall(f"{D}privilege")
            for child in privilege
        }
        can_write = bool(granted & WRITE_PRIVILEGES)
    return CalendarInfo(
        id=member.url,
        name=member.text(f"{D}displayname").strip() or resource_name(member.url),
        time_zone=zone_of(member),
        can_write=can_write,
    )


# --- events -----------------------------------------------------------------------------------


def resource_for(booking_id: str) -> tuple[str, str]:
    """(resource name, UID) of a booking's event: the same booking always gets the same ones,
    so a retried PUT with ``If-None-Match: *`` meets the event the first attempt made."""
    if not booking_id:
        raise ConnectorError("caldav: an event needs our booking id", permanent=True)
    if _PLAIN_ID.fullmatch(booking_id):
        stem = RESOURCE_PREFIX + booking_id
    else:  # base32hex, marked with a "." no plain id has, so the two kinds never meet
        encoded = base64.b32hexencode(booking_id.encode()).decode("ascii").rstrip("=").lower()
        stem = f"{RESOURCE_PREFIX}b32.{encoded}"
    return f"{stem}.ics", f"{stem}@switchboard"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConnectorError(f"caldav: unknown time zone {name!r}", permanent=True) from None


def event_ics(draft: EventDraft, uid: str, *, sequence: int = 0) -> bytes:
    """The iCalendar object of a draft, with the VTIMEZONE of its zone written in (RFC 4791
    §4.1: a server need not know the zone; the object must define every TZID it uses)."""
    if draft.start.tzinfo is None or draft.end.tzinfo is None:
        raise ConnectorError("caldav: event times must be aware", permanent=True)
    zone = _zone(draft.time_zone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    event.add("dtstart", draft.start.astimezone(zone))
    event.add("dtend", draft.end.astimezone(zone))
    event.add("summary", draft.summary)
    if draft.description:
        event.add("description", draft.description)
    if draft.location:
        event.add("location", draft.location)
    for address in draft.attendees:
        # SCHEDULE-AGENT=CLIENT: the server sends no invitation; our reminders tell the person.
        event.add("attendee", f"mailto:{address}", parameters={"SCHEDULE-AGENT": "CLIENT"})
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("sequence", sequence)
    event.add(BOOKING_PROPERTY, draft.booking_id)
    if draft.source_tag:
        event.add(SOURCE_PROPERTY, draft.source_tag)
    calendar.add_component(event)
    # The zone's rules around the event only: a 70-year VTIMEZONE would weigh more than it.
    calendar.add_missing_timezones(
        first_date=date(draft.start.year - 1, 1, 1), last_date=date(draft.end.year + 2, 1, 1)
    )
    return calendar.to_ical()


def parse_calendar(text: str | bytes) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise ConnectorError("caldav: calendar data is not iCalendar", code="bad_response") from exc


def master(calendar: icalendar.Calendar) -> icalendar.Event | None:
    """The resource's event: the series master (no RECURRENCE-ID), else its first VEVENT."""
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)]
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    return next(iter(masters or events), None)


def _moment(value: date | datetime | None, zone: str) -> date | datetime | None:
    """An aware instant (a floating time read in the calendar's zone), or a date (all-day)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=ZoneInfo(zone) if iana_zone(zone) else UTC)
    return value


def _end(event: icalendar.Event) -> date | datetime | None:
    try:
        return event.end
    except icalendar.InvalidCalendar:
        start = event.get("DTSTART")
        if start is None:
            return None
        # RFC 5545 §3.6.1: no DTEND nor DURATION: an all-day event lasts one day, a timed one
        # takes no time.
        when = start.dt
        return when if isinstance(when, datetime) else when + timedelta(days=1)


def calendar_event(
    calendar_id: str, event_id: str, text: str | bytes, *, etag: str = "", zone: str = ""
) -> CalendarEvent:
    """Our model of a resource's event (the series master for a recurring one)."""
    event = master(parse_calendar(text))
    if event is None:
        raise ConnectorError("caldav: the resource holds no event", code="not_an_event")
    start = event.get("DTSTART")
    status = str(event.get("STATUS", "CONFIRMED")).lower()
    declined = ical.declined_attendees(event)
    # The owner's decline (RFC 5545 §3.2.12) leaves the event in place, blocking nothing.
    owner_declined = ical.owner_declined(event)
    return CalendarEvent(
        calendar_id=calendar_id,
        id=event_id,
        start=_moment(start.dt if start is not None else None, zone),
        end=_moment(_end(event), zone),
        status=status if status in ("tentative", "cancelled") else "confirmed",
        transparent=str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT" or owner_declined,
        summary=str(event.get("SUMMARY", "")),
        etag=etag,
        booking_id=str(event.get(BOOKING_PROPERTY, "")),
        declined_by=tuple(str(a).removeprefix("mailto:").removeprefix("MAILTO:") for a in declined),
        owner_declined=owner_declined,
    )


def uid_and_sequence(text: str | bytes) -> tuple[str, int]:
    """The UID an update must keep, and the SEQUENCE it must raise (RFC 5545 §3.8.7.4)."""
    event = master(parse_calendar(text))
    if event is None or not str(event.get("UID", "")):
        raise ConnectorError("caldav: the resource holds no event", code="not_an_event")
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    return str(event["UID"]), sequence
