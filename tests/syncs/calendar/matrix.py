"""The DST matrix of issue 17 as data, a plain oracle, and the hypothesis strategies that draw
cases from it; ``test_dst_matrix`` runs it in memory, ``test_radicale_matrix`` through a real
CalDAV server. The oracle shares no code with the module under test: it walks every minute and
asks zoneinfo what the wall clock reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from connectors.base import BusyInterval
from syncs.calendar.availability import (
    BLOCKS,
    IGNORED,
    WRITES,
    Availability,
    CalendarBusy,
    Hours,
    Query,
    Schedule,
    ServiceRules,
    busy_window,
    free_slots,
)
from syncs.calendar.expand import busy_from_ical

MINUTE = timedelta(minutes=1)

# (zone, day): the spring-forward and fall-back days of 2026 (Lord Howe's clocks move 30
# minutes: forward on 4 October, back on 5 April), India and Nepal on the same days as Berlin
# (no DST, but half- and quarter-hour offsets), and Nepal's 1986 move from +05:30 to +05:45.
MATRIX = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Asia/Kolkata", date(2026, 3, 29)),
    ("Asia/Kolkata", date(2026, 10, 25)),
    ("Asia/Kathmandu", date(2026, 3, 29)),
    ("Asia/Kathmandu", date(1986, 1, 1)),
]
ZONES = sorted({zone for zone, _ in MATRIX})


# --- The oracle ----------------------------------------------------------------------------


@dataclass
class Series:
    """A daily series from two days before the matrix day, five times, at ``wall`` minutes
    after local midnight for ``length`` minutes; instance ``excluded`` removed by an EXDATE,
    instance ``moved[0]`` moved to ``moved[1]`` minutes by a RECURRENCE-ID exception."""

    wall: int
    length: int
    excluded: int | None
    moved: tuple[int, int] | None


@dataclass
class Case:
    zone: str
    day: date
    weekly: dict[int, list[tuple[int, int]]]  # weekday -> [(start minute, end minute)]
    overrides: dict[date, list[tuple[int, int]]]
    duration: int
    interval: int
    before: int
    after: int
    notice: int
    horizon: int
    limit: int | None
    booked: dict[date, int]
    timed: list[tuple[datetime, datetime, str, str]]  # start, end, status, role
    all_day: list[tuple[date, date, str]]  # first, end (exclusive), owner zone
    series: Series
    series_role: str
    tentative_blocks: bool
    start: datetime
    end: datetime
    now: datetime


def oracle_instances(case: Case) -> list[tuple[datetime, datetime]]:
    """The recurring series worked out by hand: daily from two days before, five times, at a
    wall time, minus the excluded one, with one moved; RFC 5545 reads a skipped wall time at the
    offset from before the gap (zoneinfo's fold=0), a repeated one as its first occurrence."""
    zone = ZoneInfo(case.zone)
    wall, length, excluded, moved = (
        case.series.wall,
        case.series.length,
        case.series.excluded,
        case.series.moved,
    )
    out = []
    for k in range(5):
        if k == excluded:
            continue
        day = case.day - timedelta(days=2 - k)
        minute = moved[1] if moved and moved[0] == k else wall
        naive = datetime.combine(day, time()) + timedelta(minutes=minute)
        start = naive.replace(tzinfo=zone).astimezone(UTC)
        end = (naive + timedelta(minutes=length)).replace(tzinfo=zone).astimezone(UTC)
        if end <= start:
            end = start + timedelta(minutes=length)
        out.append((start, end))
    return out


def oracle_slots(case: Case) -> set[tuple[datetime, datetime]]:
    zone = ZoneInfo(case.zone)
    timed = [
        (s, e)
        for s, e, status, role in case.timed
        if role != IGNORED and (status == "busy" or case.tentative_blocks)
    ]
    if case.series_role != IGNORED:
        timed += oracle_instances(case)

    def is_open(m: datetime) -> bool:
        local = m.astimezone(zone)
        windows = case.overrides.get(local.date(), case.weekly.get(local.weekday(), []))
        return any(a <= local.hour * 60 + local.minute < b for a, b in windows)

    def is_busy(m: datetime) -> bool:
        if any(s <= m < e for s, e in timed):
            return True
        return any(a <= m.astimezone(ZoneInfo(z)).date() < b for a, b, z in case.all_day)

    # Every minute from before the first buffer to after the last slot's end, asked once.
    base = case.start - timedelta(minutes=case.before)
    span = int((case.end - base) / MINUTE) + case.duration + case.after
    open_at = [is_open(base + i * MINUTE) for i in range(span)]
    busy_at = [is_busy(base + i * MINUTE) for i in range(span)]
    today = case.now.astimezone(zone).date()
    found = set()
    m = case.start
    while m < case.end:
        local = m.astimezone(zone)
        i = int((m - base) / MINUTE)
        if (
            (local.hour * 60 + local.minute) % case.interval == 0
            and m >= case.now + timedelta(minutes=case.notice)
            and local.date() <= today + timedelta(days=case.horizon)
            and (case.limit is None or case.booked.get(local.date(), 0) < case.limit)
            and all(open_at[i : i + case.duration])
            and not any(busy_at[i - case.before : i + case.duration + case.after])
        ):
            found.add((m, m + timedelta(minutes=case.duration)))
        m += MINUTE
    return found


# --- The module under test, fed the same case ------------------------------------------


def recurring_ics(case: Case) -> str:
    """The series as a CalDAV server would serve it: RRULE, EXDATE and a RECURRENCE-ID
    exception, in the zone by IANA TZID."""
    wall, length, excluded, moved = (
        case.series.wall,
        case.series.length,
        case.series.excluded,
        case.series.moved,
    )
    first = datetime.combine(case.day - timedelta(days=2), time()) + timedelta(minutes=wall)
    end = first + timedelta(minutes=length)

    def stamp(value: datetime) -> str:
        return value.strftime("%Y%m%dT%H%M%S")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//switchboard//tests//EN",
        "BEGIN:VEVENT",
        "UID:series@example.com",
        "DTSTAMP:20261201T000000Z",
        f"DTSTART;TZID={case.zone}:{stamp(first)}",
        f"DTEND;TZID={case.zone}:{stamp(end)}",
        "RRULE:FREQ=DAILY;COUNT=5",
    ]
    if excluded is not None:
        lines.append(f"EXDATE;TZID={case.zone}:{stamp(first + timedelta(days=excluded))}")
    lines.append("END:VEVENT")
    if moved is not None:
        k, minute = moved
        original = first + timedelta(days=k)
        new_start = datetime.combine(original.date(), time()) + timedelta(minutes=minute)
        lines += [
            "BEGIN:VEVENT",
            "UID:series@example.com",
            "DTSTAMP:20261201T000000Z",
            f"RECURRENCE-ID;TZID={case.zone}:{stamp(original)}",
            f"DTSTART;TZID={case.zone}:{stamp(new_start)}",
            f"DTEND;TZID={case.zone}:{stamp(new_start + timedelta(minutes=length))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def stored_nowhere(ics: str, start: datetime, end: datetime) -> str:
    return ics


def run(
    case: Case,
    serve: Callable[[str, datetime, datetime], str] = stored_nowhere,
    read_busy: Callable[[str, datetime, datetime], list[BusyInterval]] | None = None,
) -> Availability:
    """``free_slots`` on the case. The series passes through ``serve(ics, start, end)`` first
    (a CalDAV server storing it and answering a time-range query over [start, end)), or
    ``read_busy(ics, start, end)`` stores it and reads its busy time back (a calendar client)."""

    def hours(windows):
        return [Hours(*(time(*divmod(x % 1440, 60)) for x in w)) for w in windows]

    schedule = Schedule(
        case.zone,
        {d: hours(w) for d, w in case.weekly.items()},
        {d: hours(w) for d, w in case.overrides.items()},
    )
    rules = ServiceRules(
        duration=timedelta(minutes=case.duration),
        slot_interval_minutes=case.interval,
        buffer_before=timedelta(minutes=case.before),
        buffer_after=timedelta(minutes=case.after),
        minimum_notice=timedelta(minutes=case.notice),
        horizon_days=case.horizon,
        max_per_day=case.limit,
    )
    fresh = case.now
    calendars = [
        CalendarBusy(
            f"timed-{role}",
            [BusyInterval(s, e, status) for s, e, status, r in case.timed if r == role],
            fresh,
            role=role,
            tentative_blocks=case.tentative_blocks,
        )
        for role in (BLOCKS, WRITES, IGNORED)
    ]
    calendars += [
        CalendarBusy(f"days-{i}", [BusyInterval(a, b)], fresh, time_zone=z)
        for i, (a, b, z) in enumerate(case.all_day)
    ]
    query = Query(case.start, case.end, case.now, booked_per_day=case.booked)
    window = busy_window(rules, query)
    if read_busy is not None:
        series = read_busy(recurring_ics(case), *window)
    else:
        served = serve(recurring_ics(case), *window)
        series = busy_from_ical([served], *window, owner_zone=case.zone)
    calendars.append(CalendarBusy("series", series, fresh, role=case.series_role))
    return free_slots(rules, schedule, calendars, query)


# --- Strategies ------------------------------------------------------------------------------

# Windows lean towards the small hours, where the clocks change.
minute_of_day = st.one_of(
    st.integers(0, 16).map(lambda q: q * 15), st.integers(0, 95).map(lambda q: q * 15)
)


@st.composite
def window(draw) -> tuple[int, int]:
    start = draw(minute_of_day)
    length = draw(st.integers(2, 48)) * 15
    return start, min(1440, start + length)


@st.composite
def timed_event(draw, midnight: datetime) -> tuple[datetime, datetime, str, str]:
    """A timed event from 12 hours before the day to 36 after, with its status and the role
    of the calendar it is in."""
    at = midnight + timedelta(minutes=draw(st.integers(-144, 432)) * 5)
    length = timedelta(minutes=draw(st.integers(0, 36)) * 5)  # 0: a reminder
    status = draw(st.sampled_from(["busy", "tentative"]))
    return at, at + length, status, draw(st.sampled_from([BLOCKS, WRITES, IGNORED]))


@st.composite
def all_day_event(draw, day: date) -> tuple[date, date, str]:
    """One or two whole days near the matrix day, in an owner's zone of the matrix."""
    first = day + timedelta(days=draw(st.sampled_from([-1, 0, 1, 2])))
    return first, first + timedelta(days=draw(st.integers(1, 2))), draw(st.sampled_from(ZONES))


@st.composite
def cases(draw) -> Case:
    zone, day = draw(st.sampled_from(MATRIX))
    windows = draw(st.lists(window(), min_size=1, max_size=2))
    weekly = {d: windows for d in range(7) if draw(st.booleans()) or d == day.weekday()}
    overrides = {}
    if draw(st.booleans()):
        other = day + timedelta(days=draw(st.sampled_from([-1, 0, 1])))
        overrides[other] = draw(st.lists(window(), max_size=2))  # [] = a holiday
    midnight = datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)
    start = midnight - timedelta(hours=draw(st.integers(0, 12)))
    end = midnight + timedelta(hours=draw(st.integers(24, 40)))
    timed = draw(st.lists(timed_event(midnight), max_size=4))
    all_day = draw(st.lists(all_day_event(day), max_size=1)) if draw(st.booleans()) else []
    series = draw(
        st.builds(
            Series,
            minute_of_day,
            st.integers(1, 12).map(lambda n: n * 10),
            st.none() | st.integers(0, 4),
            st.none() | st.tuples(st.integers(0, 4), minute_of_day),
        )
    )
    late = draw(st.booleans())
    now = start + timedelta(hours=draw(st.integers(0, 20))) if late else start - timedelta(days=1)
    limit = draw(st.sampled_from([None, None, None, 0, 1, 2]))
    booked = {day: draw(st.integers(0, 3))} if limit is not None else {}
    return Case(
        zone=zone,
        day=day,
        weekly=weekly,
        overrides=overrides,
        duration=draw(st.sampled_from([15, 30, 45, 60, 90])),
        interval=draw(st.sampled_from([10, 15, 20, 30, 45, 60])),
        before=draw(st.sampled_from([0, 5, 15, 30])),
        after=draw(st.sampled_from([0, 10, 30])),
        notice=draw(st.sampled_from([0, 60, 240])),
        horizon=draw(st.sampled_from([0, 1, 30, 30, 30, 30])),
        limit=limit,
        booked=booked,
        timed=timed,
        all_day=all_day,
        series=series,
        series_role=draw(st.sampled_from([BLOCKS, IGNORED])),
        tentative_blocks=draw(st.booleans()),
        start=start,
        end=end,
        now=now,
    )
