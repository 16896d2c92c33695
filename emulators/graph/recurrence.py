"""Graph's ``patternedRecurrence`` checked and expanded into occurrences with dateutil's rrule
(learn.microsoft.com/graph/api/resources/patternedrecurrence, recurrencepattern,
recurrencerange; checked 2026-12-05).

Occurrences are computed in wall-clock time of the event's own zone and only then made
instants, so a 09:00 meeting stays at 09:00 across a DST change, as Outlook keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil import rrule

from emulators.graph import zones

PATTERNS = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "absoluteMonthly": rrule.MONTHLY,
    "relativeMonthly": rrule.MONTHLY,
    "absoluteYearly": rrule.YEARLY,
    "relativeYearly": rrule.YEARLY,
}
DAYS = {
    "sunday": rrule.SU,
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
}
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
RANGES = ("endDate", "noEnd", "numbered")
PATTERN_KEYS = {
    "type",
    "interval",
    "month",
    "dayOfMonth",
    "daysOfWeek",
    "firstDayOfWeek",
    "index",
    "@odata.type",
}
RANGE_KEYS = {
    "type",
    "startDate",
    "endDate",
    "recurrenceTimeZone",
    "numberOfOccurrences",
    "@odata.type",
}


class RecurrenceError(ValueError):
    """A recurrence Graph refuses (the message is Graph's kind of explanation)."""


def check(value: Any) -> None:
    """Raise ``RecurrenceError`` unless ``value`` is a recurrence Graph accepts."""
    if not isinstance(value, dict) or set(value) - {"pattern", "range", "@odata.type"}:
        raise RecurrenceError("recurrence must have pattern and range")
    pattern, span = value.get("pattern"), value.get("range")
    if not isinstance(pattern, dict) or not isinstance(span, dict):
        raise RecurrenceError("recurrence must have pattern and range")
    if set(pattern) - PATTERN_KEYS or set(span) - RANGE_KEYS:
        raise RecurrenceError("Unknown property in recurrence.")
    kind = pattern.get("type")
    if kind not in PATTERNS:
        raise RecurrenceError(f"Recurrence pattern type '{kind}' is not valid.")
    if not isinstance(pattern.get("interval"), int) or pattern["interval"] < 1:
        raise RecurrenceError("Recurrence pattern interval must be a positive number.")
    days = pattern.get("daysOfWeek") or []
    if any(d not in DAYS for d in days):
        raise RecurrenceError("Recurrence pattern daysOfWeek is not valid.")
    if kind in ("weekly", "relativeMonthly", "relativeYearly") and not days:
        raise RecurrenceError(f"daysOfWeek is required for a {kind} pattern.")
    if kind in ("absoluteMonthly", "absoluteYearly") and not pattern.get("dayOfMonth"):
        raise RecurrenceError(f"dayOfMonth is required for a {kind} pattern.")
    if kind.endswith("Yearly") and not pattern.get("month"):
        raise RecurrenceError(f"month is required for a {kind} pattern.")
    _check_numbers(pattern)
    _check_range(span)


def _check_numbers(pattern: dict[str, Any]) -> None:
    for name, low, high in (("dayOfMonth", 1, 31), ("month", 1, 12)):
        value = pattern.get(name)
        if value not in (None, 0) and (type(value) is not int or not low <= value <= high):
            raise RecurrenceError(f"Recurrence pattern {name} is not valid.")
    if pattern.get("index") not in (None, *INDEX):
        raise RecurrenceError("Recurrence pattern index is not valid.")
    if pattern.get("firstDayOfWeek") not in (None, *DAYS):
        raise RecurrenceError("Recurrence pattern firstDayOfWeek is not valid.")
    if type(pattern["interval"]) is not int:  # true is an int to Python, not to OData
        raise RecurrenceError("Recurrence pattern interval must be a positive number.")


def _check_range(span: dict[str, Any]) -> None:
    if span.get("type") not in RANGES:
        raise RecurrenceError(f"Recurrence range type '{span.get('type')}' is not valid.")
    _day(span.get("startDate"), "startDate")
    ends = span["type"] == "endDate"
    if ends and _day(span.get("endDate"), "endDate") < _day(span["startDate"], "startDate"):
        raise RecurrenceError("The recurrence range end date is before its start date.")
    number = span.get("numberOfOccurrences")
    if span["type"] == "numbered" and (not isinstance(number, int) or number < 1):
        raise RecurrenceError("numberOfOccurrences must be positive for a numbered range.")
    if span.get("recurrenceTimeZone"):
        try:
            zones.zone(span["recurrenceTimeZone"])
        except zones.ZoneError:
            raise RecurrenceError("recurrenceTimeZone is not supported.") from None


def _day(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RecurrenceError(f"Recurrence range {name} is not a valid date.") from None


def rule(recurrence: dict[str, Any], first_wall: datetime) -> rrule.rrule:
    """The rrule of a checked recurrence whose occurrences start at ``first_wall``'s time of
    day (naive, in the event's zone)."""
    pattern, span = recurrence["pattern"], recurrence["range"]
    kind = pattern["type"]
    start = datetime.combine(date.fromisoformat(span["startDate"]), first_wall.time())
    days = [DAYS[d] for d in pattern.get("daysOfWeek") or []]
    options: dict[str, Any] = {"dtstart": start, "interval": pattern["interval"]}
    options["wkst"] = DAYS[pattern.get("firstDayOfWeek") or "sunday"]
    if kind == "weekly":
        options["byweekday"] = days
    elif kind.startswith("relative"):
        options["byweekday"] = days
        options["bysetpos"] = INDEX.get(pattern.get("index") or "first", 1)
    elif kind.startswith("absolute"):
        options["bymonthday"] = pattern["dayOfMonth"]
    if kind.endswith("Yearly"):
        options["bymonth"] = pattern["month"]
    if span["type"] == "endDate":
        options["until"] = datetime.combine(date.fromisoformat(span["endDate"]), time.max)
    elif span["type"] == "numbered":
        options["count"] = span["numberOfOccurrences"]
    return rrule.rrule(PATTERNS[kind], **options)


def occurrences(
    recurrence: dict[str, Any],
    first_start: datetime,
    first_end: datetime,
    zone_name: str,
    window: tuple[datetime, datetime],
) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) instants of the occurrences that overlap ``window`` (aware, UTC)."""
    tz = zones.zone(zone_name)
    first_wall = zones.wall(first_start, zone_name)
    length = zones.wall(first_end, zone_name) - first_wall
    low = zones.wall(window[0], zone_name) - length - timedelta(days=1)
    high = zones.wall(window[1], zone_name) + timedelta(days=1)
    for wall_start in rule(recurrence, first_wall).between(low, high, inc=True):
        start = wall_start.replace(tzinfo=tz).astimezone(UTC)
        end = (wall_start + length).replace(tzinfo=tz).astimezone(UTC)
        if start < window[1] and end > window[0]:
            yield start, end
