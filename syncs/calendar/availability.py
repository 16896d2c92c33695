"""Free slots for a service: pure functions over plain dataclasses (no database, no network).

The rules, each decided here once (``docs`` and the tests say the same):

- Business hours and date overrides are wall times in the client's IANA zone. An instant is
  open when its own wall clock reads a time inside a window of its own local date
  (``localtime``). On a spring-forward day the skipped wall times are simply not open; on a
  fall-back day the repeated hour is open twice, so a 01:30 slot is offered **twice**, once at
  each UTC offset. The two are different instants and the answer carries the offset, so a caller
  can tell them apart; offering only one would lose a real, free hour.
- Slot starts are aligned to the local clock: the wall minute since local midnight is a
  multiple of the slot interval (so 09:00, 09:15 … in Kathmandu too, not UTC quarter-hours).
- A slot [start, start + duration) must lie wholly inside open time; its buffers need not
  (a buffer is preparation time, not customer time) but the buffered range
  [start - before, end + after) must not touch busy time.
- Minimum notice: start >= now + notice. Horizon: the start's local date is at most
  ``horizon_days`` after today's local date (a whole day, not a cut at the current time).
- Busy time comes from calendars whose role is "blocks" or "writes" (bookings are written to
  the "writes" calendar, so what is there must block too); "ignored" calendars never count.
  Tentative intervals block unless the calendar's policy says otherwise. All-day intervals cover
  every instant whose local date, in the calendar owner's zone, is inside them.
- A blocking calendar read longer ago than its bound is stale: the answer names it, or with
  the "refuse" policy ``StaleCalendars`` is raised. Its busy time still counts either way; stale
  data is never treated as free.
- Booking limits: a local date that already has ``max_per_day`` bookings offers nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.base import BusyInterval
from syncs.calendar import localtime
from syncs.calendar.localtime import Span, Window

BLOCKS, WRITES, IGNORED = "blocks", "writes", "ignored"
BLOCKING_ROLES = frozenset({BLOCKS, WRITES})
FLAG, REFUSE = "flag", "refuse"


@dataclass(frozen=True)
class ServiceRules:
    """What a client offers: how long, how spaced and how far ahead."""

    duration: timedelta
    slot_interval_minutes: int = 15
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    horizon_days: int = 60
    max_per_day: int | None = None  # None: no limit

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0) or self.slot_interval_minutes <= 0:
            raise ValueError("duration and slot interval must be positive")
        if min(self.buffer_before, self.buffer_after, self.minimum_notice) < timedelta(0):
            raise ValueError("buffers and minimum notice cannot be negative")


@dataclass(frozen=True)
class Hours:
    """One open window in wall time; ``end`` 00:00 means midnight at the end of the day."""

    start: time
    end: time

    def window(self) -> Window:
        first = self.start.hour * 60 + self.start.minute
        last = self.end.hour * 60 + self.end.minute or localtime.MINUTES_PER_DAY
        if last <= first:
            raise ValueError(f"hours end {self.end} is not after start {self.start}")
        return first, last


@dataclass(frozen=True)
class Schedule:
    """When the client is open. ``weekly`` maps a weekday (Monday 0) to its windows; an entry in
    ``overrides`` replaces its date's weekly hours, an empty tuple closing the day (a holiday)."""

    time_zone: str
    weekly: Mapping[int, Sequence[Hours]]
    overrides: Mapping[date, Sequence[Hours]] = field(default_factory=dict)

    def windows(self, day: date) -> list[Window]:
        hours = self.overrides.get(day)
        if hours is None:
            hours = self.weekly.get(day.weekday(), ())
        return [h.window() for h in hours]


@dataclass(frozen=True)
class CalendarBusy:
    """One calendar's busy time as last read, with what we decided about it."""

    calendar_id: str
    intervals: Sequence[BusyInterval]
    read_at: datetime | None  # None: never read, so stale
    role: str = BLOCKS
    time_zone: str = ""  # the owner's zone for all-day events; "" = the client's
    tentative_blocks: bool = True
    stale_after: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.role not in (BLOCKS, WRITES, IGNORED):
            raise ValueError(f"unknown calendar role {self.role!r}")

    def is_stale(self, now: datetime) -> bool:
        return self.read_at is None or now - self.read_at > self.stale_after


@dataclass(frozen=True)
class Query:
    """Which slots are asked for: starts in [start, end), seen from ``now``. ``held`` is our own
    time not yet in any calendar (holds, bookings being written); ``booked_per_day`` counts this
    service's bookings per local date for the daily limit."""

    start: datetime
    end: datetime
    now: datetime
    stale_policy: str = FLAG
    held: Sequence[Span] = ()
    booked_per_day: Mapping[date, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stale_policy not in (FLAG, REFUSE):
            raise ValueError(f"unknown stale policy {self.stale_policy!r}")


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable [start, end) in UTC."""

    start: datetime
    end: datetime

    def in_zone(self, zone: str) -> tuple[datetime, datetime]:
        """The slot as the caller's wall times, each carrying its own UTC offset."""
        tz = localtime.zone_named(zone)
        return self.start.astimezone(tz), self.end.astimezone(tz)


@dataclass(frozen=True)
class Availability:
    slots: tuple[Slot, ...]
    stale_calendars: tuple[str, ...] = ()


class StaleCalendars(Exception):
    """Blocking calendars whose data is too old to answer from (the "refuse" policy)."""

    def __init__(self, calendar_ids: Sequence[str]) -> None:
        super().__init__(f"calendar data is stale: {', '.join(calendar_ids)}")
        self.calendar_ids = tuple(calendar_ids)


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone")
    return value


def _span(start: datetime, end: datetime, what: str) -> Span:
    """An aware, forward span; bad data raises rather than silently block nothing."""
    if _aware(end, what) < _aware(start, what):
        raise ValueError(f"{what} ends before it starts")
    return start, end


def stale_calendars(calendars: Sequence[CalendarBusy], now: datetime) -> tuple[str, ...]:
    """Blocking calendars whose data is older than their bound, in the order given."""
    return tuple(c.calendar_id for c in calendars if c.role in BLOCKING_ROLES and c.is_stale(now))


def busy_spans(
    calendars: Sequence[CalendarBusy], default_zone: str, start: datetime, end: datetime
) -> list[Span]:
    """Merged busy time of the blocking calendars, all-day intervals made instants in each
    owner's zone (only [start, end) of those matters to the caller)."""
    spans: list[Span] = []
    for cal in calendars:
        if cal.role not in BLOCKING_ROLES:
            continue
        counted = [b for b in cal.intervals if b.status != "tentative" or cal.tentative_blocks]
        days = [b for b in counted if not isinstance(b.start, datetime)]
        for b in counted:
            if isinstance(b.start, datetime) and isinstance(b.end, datetime):
                spans.append(_span(b.start, b.end, f"busy interval {b.event_id!r}"))
            elif isinstance(b.start, datetime) or isinstance(b.end, datetime):
                raise ValueError(f"busy interval {b.event_id!r} mixes a date and a datetime")
        if days:
            zone = localtime.zone_named(cal.time_zone or default_zone)
            spans.extend(_all_day_spans(days, zone, start, end))
    return localtime.merge(spans)


def _all_day_spans(
    days: Sequence[BusyInterval], zone: ZoneInfo, start: datetime, end: datetime
) -> list[Span]:
    ranges = [(b.start, b.end) for b in days]

    def covered(day: date) -> list[Window]:
        inside = any(first <= day < last for first, last in ranges)
        return [(0, localtime.MINUTES_PER_DAY)] if inside else []

    return localtime.wall_spans(localtime.offset_pieces(zone, start, end), covered)


def _overlaps(
    spans: Sequence[Span], starts: Sequence[datetime], lo: datetime, hi: datetime
) -> bool:
    """Whether [lo, hi) meets one of the merged ``spans`` (``starts`` their starts)."""
    i = bisect_left(starts, hi)
    return i > 0 and spans[i - 1][1] > lo


def _inside(spans: Sequence[Span], starts: Sequence[datetime], lo: datetime, hi: datetime) -> bool:
    """Whether [lo, hi) lies wholly inside one of the merged ``spans``."""
    i = bisect_right(starts, lo)
    return i > 0 and spans[i - 1][1] >= hi


def busy_window(rules: ServiceRules, query: Query) -> tuple[datetime, datetime]:
    """The time whose busy status can decide a slot of ``query``: read every calendar over at
    least this. A slot starting just before ``query.end`` reaches past it by its length and
    after-buffer, the first one before ``query.start`` by its before-buffer."""
    return query.start - rules.buffer_before, query.end + rules.duration + rules.buffer_after


def free_slots(
    rules: ServiceRules,
    schedule: Schedule,
    calendars: Sequence[CalendarBusy],
    query: Query,
) -> Availability:
    """Slots of ``rules`` starting in [query.start, query.end) that are open and free.

    Raises ``StaleCalendars`` under the "refuse" policy when a blocking calendar is stale, and
    ``ValueError`` for naive datetimes, unknown zones or inverted hours."""
    for value, what in ((query.start, "start"), (query.end, "end"), (query.now, "now")):
        _aware(value, what)
    stale = stale_calendars(calendars, query.now)
    if stale and query.stale_policy == REFUSE:
        raise StaleCalendars(stale)
    zone = localtime.zone_named(schedule.time_zone)
    # Past the horizon's last local day nothing is offered, so a long range costs no more.
    end = min(query.end, query.now + timedelta(days=rules.horizon_days + 2))
    if end <= query.start:
        return Availability((), stale)
    reach = rules.duration + rules.buffer_before + rules.buffer_after + timedelta(days=1)
    lo, hi = query.start - reach, end + reach
    pieces = localtime.offset_pieces(zone, lo, hi)
    open_spans = localtime.wall_spans(pieces, schedule.windows)
    held = [_span(s, e, "held time") for s, e in query.held]
    busy = localtime.merge(busy_spans(calendars, schedule.time_zone, lo, hi) + held)
    slots = _candidates(rules, zone, pieces, open_spans, busy, query)
    return Availability(tuple(slots), stale)


def _candidates(
    rules: ServiceRules,
    zone: ZoneInfo,
    pieces: Sequence[localtime.Piece],
    open_spans: Sequence[Span],
    busy: Sequence[Span],
    query: Query,
) -> list[Slot]:
    open_starts, busy_starts = [s for s, _ in open_spans], [s for s, _ in busy]
    earliest = max(query.start, query.now + rules.minimum_notice)
    last_day = localtime.local_date(query.now, zone) + timedelta(days=rules.horizon_days)
    slots = []
    for start in localtime.aligned_instants(pieces, rules.slot_interval_minutes):
        end = start + rules.duration
        if start < earliest or start >= query.end:
            continue
        day = localtime.local_date(start, zone)
        if day > last_day or not _inside(open_spans, open_starts, start, end):
            continue
        if rules.max_per_day is not None and query.booked_per_day.get(day, 0) >= rules.max_per_day:
            continue
        guard_lo, guard_hi = start - rules.buffer_before, end + rules.buffer_after
        if not _overlaps(busy, busy_starts, guard_lo, guard_hi):
            slots.append(Slot(start, end))
    return slots


def nearest_alternatives(
    wanted: datetime, slots: Sequence[Slot], *, count: int = 3
) -> tuple[tuple[Slot, ...], tuple[Slot, ...]]:
    """For a slot that was taken: up to ``count`` free slots before ``wanted`` (nearest first)
    and up to ``count`` from it on, from a fresh ``free_slots`` answer. ``wanted`` itself is
    never suggested."""
    ordered = sorted(slots)
    starts = [s.start for s in ordered]
    i = bisect_left(starts, _aware(wanted, "wanted"))
    later = [s for s in ordered[i:] if s.start != wanted][:count]
    earlier = ordered[max(0, i - count) : i][::-1]
    return tuple(earlier), tuple(later)
