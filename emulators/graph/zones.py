"""Graph's ``dateTimeTimeZone`` objects: a wall-clock ``dateTime`` and a ``timeZone`` that may be
a Windows name ("W. Europe Standard Time") or an IANA one ("Europe/Berlin"); anything else
is refused with ``TimeZoneNotSupportedException`` (learn.microsoft.com/graph/api/resources/
datetimetimezone, checked 2026-12-05).

Windows names map to IANA through CLDR's windowsZones table as ``tzlocal`` ships it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tzlocal.windows_tz import win_tz

# Graph writes seven fractional digits; it reads none to seven, with an optional offset.
DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$"
)


class ZoneError(ValueError):
    """A ``timeZone`` Graph does not know."""


class DateTimeError(ValueError):
    """A ``dateTime`` Graph cannot read."""


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def zone(name: str) -> ZoneInfo:
    """The zone for a Windows or IANA name; raises ``ZoneError``."""
    iana = win_tz.get(name, name)
    if iana == "UTC" or name in ("UTC", "Coordinated Universal Time"):
        return ZoneInfo("UTC")
    if iana not in _iana_names():
        raise ZoneError(name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise ZoneError(name) from None


def parse(value: Any) -> tuple[datetime, str]:
    """(aware instant, zone name as given) from a ``dateTimeTimeZone``; raises ``ZoneError``
    or ``DateTimeError``."""
    if not isinstance(value, dict) or set(value) - {"dateTime", "timeZone", "@odata.type"}:
        raise DateTimeError("dateTimeTimeZone must have dateTime and timeZone")
    text, name = value.get("dateTime"), value.get("timeZone")
    if not isinstance(name, str) or not name:
        raise ZoneError(str(name or ""))
    tz = zone(name)
    if not isinstance(text, str) or not (match := DATETIME.match(text)):
        raise DateTimeError(str(text))
    day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(7, "0")[:6])
    try:
        naive = datetime.fromisoformat(f"{day}T{hour}:{minute}:{second or '00'}")
    except ValueError:
        raise DateTimeError(text) from None
    naive = naive.replace(microsecond=micro)
    if offset:
        fixed = datetime.fromisoformat(naive.isoformat() + ("+00:00" if offset == "Z" else offset))
        return fixed.astimezone(UTC), name
    return naive.replace(tzinfo=tz).astimezone(UTC), name


def wall(instant: datetime, name: str) -> datetime:
    """The naive wall-clock time of ``instant`` in the named zone."""
    return instant.astimezone(zone(name)).replace(tzinfo=None)


def render(instant: datetime, name: str) -> dict[str, str]:
    """A ``dateTimeTimeZone`` as Graph writes it (seven fractional digits)."""
    local = wall(instant, name)
    return {
        "dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0",
        "timeZone": name,
    }


def render_day(day: date, name: str) -> dict[str, str]:
    """An all-day boundary: midnight of ``day``, labelled with the zone asked for (Graph shows
    all-day events as dates whatever zone the reader prefers)."""
    return {"dateTime": f"{day.isoformat()}T00:00:00.0000000", "timeZone": name}
