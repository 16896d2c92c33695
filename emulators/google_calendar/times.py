"""Google's times: RFC 3339 instants, ``EventDateTime`` objects ({date} or {dateTime, timeZone})
and IANA zones, checked as strictly as Google checks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulators.google_calendar.errors import invalid, required


def zone(name: str, *, what: str = "") -> ZoneInfo:
    """The IANA zone ``name``; 400 when Google would not know it."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone definition for {what or 'the request'}.") from None


def rfc3339(value: str, *, location: str) -> datetime:
    """A query or body instant: RFC 3339 with a mandatory offset (``Z`` or ``±hh:mm``)."""
    try:
        parsed = datetime.fromisoformat(value) if "T" in value else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise invalid(f"Bad Request: {location} must be an RFC3339 timestamp", location=location)
    return parsed


def format_instant(value: datetime) -> str:
    """``2026-12-07T09:00:00Z``: how Google writes UTC instants (created, updated)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True)
class When:
    """A parsed ``EventDateTime``: an all-day ``day`` or an aware ``moment``, and its zone."""

    day: date | None
    moment: datetime | None
    zone_name: str

    def instant(self, calendar_zone: ZoneInfo) -> datetime:
        """The UTC instant; an all-day date starts at midnight in the calendar's zone."""
        if self.day is not None:
            return datetime.combine(self.day, time(), calendar_zone).astimezone(UTC)
        assert self.moment is not None
        return self.moment.astimezone(UTC)

    def shifted(self, delta: timedelta) -> When:
        if self.day is not None:
            return When(self.day + delta, None, self.zone_name)
        assert self.moment is not None
        moved = (self.moment.astimezone(UTC) + delta).astimezone(self.moment.tzinfo)
        return When(None, moved, self.zone_name)

    def as_json(self) -> dict[str, str]:
        if self.day is not None:
            return {"date": self.day.isoformat()}
        assert self.moment is not None
        text = self.moment.isoformat()
        if not self.zone_name:
            return {"dateTime": text}
        return {"dateTime": text, "timeZone": self.zone_name}


def when(value: object, *, field: str) -> When:
    """Parse ``start``/``end``/``originalStartTime`` as Google does: a date, or a dateTime
    whose offset or ``timeZone`` says where it is (the zone wins for the wall time shown)."""
    if not isinstance(value, dict):
        raise invalid(f"Invalid {field} time.", location=field)
    zone_name = value.get("timeZone") or ""
    if not isinstance(zone_name, str):
        raise invalid(f"Invalid time zone definition for {field} time.")
    tz = zone(zone_name, what=f"{field} time") if zone_name else None
    if value.get("date") and value.get("dateTime"):
        raise invalid(f"Invalid {field} time.", location=field)
    if value.get("date"):
        try:
            return When(date.fromisoformat(str(value["date"])), None, zone_name)
        except ValueError:
            raise invalid(f"Invalid {field} time.", location=field) from None
    text = value.get("dateTime")
    if not isinstance(text, str) or "T" not in text:
        raise required(f"Missing {field} time.", location=field)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"Invalid {field} time.", location=field) from None
    if moment.tzinfo is None:
        if tz is None:
            raise invalid(f"Missing time zone definition for {field} time.", location=field)
        moment = moment.replace(tzinfo=tz)
    elif tz is not None:
        moment = moment.astimezone(tz)
    return When(None, moment, zone_name)


def stamp(original: When) -> str:
    """The suffix of a recurring instance's id: ``20261207T080000Z`` or ``20261207``."""
    if original.day is not None:
        return original.day.strftime("%Y%m%d")
    assert original.moment is not None
    return original.moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
