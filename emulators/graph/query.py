"""Reading a Graph request's query and headers: the calendarView window, ``Prefer`` options,
paging, and the two OData expressions the calendar client uses on extended properties."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import HttpRequest

from emulators.graph import zones
from emulators.graph.validate import Refusal

DEFAULT_PAGE = 10  # calendarView and events list answer 10 at a time unless asked otherwise
MAX_PAGE = 1000
EXPAND = re.compile(r"^singleValueExtendedProperties\(\$filter=id eq '([^']+)'\)$", re.I)
FILTER = re.compile(
    r"^singleValueExtendedProperties/any\(ep: ep/id eq '([^']+)' and ep/value eq '([^']*)'\)$",
    re.I,
)


def _instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Refusal(
            400, "ErrorInvalidParameter", f"The value '{text}' of parameter '{name}' is invalid."
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(request: HttpRequest) -> tuple[datetime, datetime]:
    start, end = request.GET.get("startDateTime"), request.GET.get("endDateTime")
    if not start or not end:
        raise Refusal(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window "
            "specified by the query string parameters StartDateTime and EndDateTime.",
        )
    low, high = _instant(start, "startDateTime"), _instant(end, "endDateTime")
    if high <= low:
        raise Refusal(
            400,
            "ErrorInvalidParameter",
            "The parameter 'EndDateTime' must be later than 'StartDateTime'.",
        )
    return low, high


def prefer(request: HttpRequest) -> dict[str, str]:
    """``Prefer`` options, e.g. ``{"outlook.timezone": "UTC", "odata.maxpagesize": "50"}``."""
    out: dict[str, str] = {}
    for part in request.headers.get("Prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            out[name.strip().lower()] = value.strip().strip('"')
    return out


def reader_zone(request: HttpRequest) -> str:
    name = prefer(request).get("outlook.timezone", "UTC") or "UTC"
    try:
        zones.zone(name)
    except zones.ZoneError:
        raise Refusal(
            400,
            "TimeZoneNotSupportedException",
            "A valid TimeZone value must be "
            f"specified. The following TimeZone value is not supported: '{name}'.",
        ) from None
    return name


def page_size(request: HttpRequest) -> int:
    raw = request.GET.get("$top") or prefer(request).get("odata.maxpagesize") or DEFAULT_PAGE
    try:
        size = int(raw)
    except ValueError:
        raise Refusal(400, "BadRequest", f"Invalid page size '{raw}'.") from None
    return max(1, min(MAX_PAGE, size))


def skip(request: HttpRequest) -> int:
    raw = request.GET.get("$skip", "0")
    if not raw.isdigit():
        raise Refusal(400, "BadRequest", f"Invalid $skip value '{raw}'.")
    return int(raw)


def expand(request: HttpRequest) -> str:
    """The extended property id asked for with ``$expand``, else ""."""
    raw = request.GET.get("$expand", "")
    if not raw:
        return ""
    match = EXPAND.match(raw)
    if not match:
        raise Refusal(400, "BadRequest", f"Parsing OData Select and Expand failed: '{raw}'.")
    return match.group(1)


def extended_filter(request: HttpRequest) -> tuple[str, str] | None:
    raw = request.GET.get("$filter", "")
    if not raw:
        return None
    match = FILTER.match(raw)
    if not match:
        raise Refusal(400, "BadRequest", f"Invalid filter clause: '{raw}'.")
    return match.group(1), match.group(2)


def link(request: HttpRequest, **changes: str | int) -> str:
    """This request's absolute URL with query parameters changed (a next or delta link)."""
    params = {k: v for k, v in request.GET.items()}
    params.update({k: str(v) for k, v in changes.items()})
    return request.build_absolute_uri(request.path) + "?" + urlencode(params)


def page(request: HttpRequest, items: list[dict], context: str) -> dict:
    size, offset = page_size(request), skip(request)
    body: dict = {"@odata.context": context, "value": items[offset : offset + size]}
    if offset + size < len(items):
        body["@odata.nextLink"] = link(request, **{"$skip": offset + size})
    return body


def select(request: HttpRequest, items: list[dict]) -> list[dict]:
    """Only the properties ``$select`` names (with ``id`` and ``@odata.etag``, which Graph
    always returns), so a client that reads a property it did not ask for finds it missing."""
    raw = request.GET.get("$select", "")
    if not raw:
        return items
    keep = {name.strip() for name in raw.split(",") if name.strip()} | {"id", "@odata.etag"}
    return [{k: v for k, v in item.items() if k in keep} for item in items]
