"""One test per availability rule, on days chosen so the rule alone decides the answer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.base import BusyInterval
from syncs.calendar.availability import (
    IGNORED,
    REFUSE,
    WRITES,
    CalendarBusy,
    Hours,
    Query,
    Schedule,
    ServiceRules,
    Slot,
    StaleCalendars,
    busy_window,
    free_slots,
    nearest_alternatives,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 12, 7)  # winter: Berlin is UTC+01:00


def at(day: date, hh: int, mm: int = 0, zone: str = "Europe/Berlin", fold: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), ZoneInfo(zone)).replace(fold=fold)


def week(start: time = time(9), end: time = time(17)) -> dict[int, list[Hours]]:
    return {d: [Hours(start, end)] for d in range(7)}


def local_starts(slots, zone: str = "Europe/Berlin") -> list[str]:
    return [s.in_zone(zone)[0].isoformat() for s in slots]


def hhmm(slots, zone: str = "Europe/Berlin") -> list[str]:
    return [s.in_zone(zone)[0].strftime("%H:%M") for s in slots]


def ask(
    *,
    rules: ServiceRules | None = None,
    schedule: Schedule | None = None,
    calendars=(),
    day: date = MONDAY,
    days: int = 1,
    now: datetime | None = None,
    **query,
):
    rules = rules or ServiceRules(duration=timedelta(minutes=30), slot_interval_minutes=30)
    schedule = schedule or Schedule("Europe/Berlin", week())
    zone = ZoneInfo(schedule.time_zone)
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=days), time(), zone)
    now = now or start - timedelta(days=1)
    return free_slots(rules, schedule, list(calendars), Query(start, end, now, **query))


def fresh(intervals, now=None, **kwargs) -> CalendarBusy:
    read = now or datetime.combine(MONDAY, time(), BERLIN) - timedelta(days=1)
    return CalendarBusy(kwargs.pop("calendar_id", "work"), intervals, read, **kwargs)


def test_it_offers_aligned_slots_inside_business_hours():
    slots = ask().slots
    assert hhmm(slots)[0] == "09:00" and hhmm(slots)[-1] == "16:30"
    assert len(slots) == 16


def test_it_aligns_slots_to_the_local_clock_in_a_quarter_hour_zone():
    schedule = Schedule("Asia/Kathmandu", week(time(9), time(11)))
    rules = ServiceRules(duration=timedelta(minutes=45), slot_interval_minutes=15)
    slots = ask(rules=rules, schedule=schedule).slots
    assert local_starts(slots, "Asia/Kathmandu")[:2] == [
        "2026-12-07T09:00:00+05:45",
        "2026-12-07T09:15:00+05:45",
    ]
    assert hhmm(slots, "Asia/Kathmandu")[-1] == "10:15"
    assert slots[0].start == datetime(2026, 12, 7, 3, 15, tzinfo=UTC)


def test_it_applies_buffers_around_busy_time():
    busy = [BusyInterval(at(MONDAY, 10), at(MONDAY, 11))]
    rules = ServiceRules(
        duration=timedelta(minutes=30),
        slot_interval_minutes=15,
        buffer_before=timedelta(minutes=15),
        buffer_after=timedelta(minutes=15),
    )
    offered = hhmm(ask(rules=rules, calendars=[fresh(busy)]).slots)
    assert "09:15" in offered and "11:15" in offered
    assert not {"09:30", "09:45", "10:00", "10:30", "11:00"} & set(offered)


def test_buffers_may_reach_outside_business_hours():
    rules = ServiceRules(
        duration=timedelta(minutes=30), slot_interval_minutes=30, buffer_before=timedelta(hours=1)
    )
    assert hhmm(ask(rules=rules).slots)[0] == "09:00"


def test_it_keeps_the_minimum_notice():
    rules = ServiceRules(
        duration=timedelta(minutes=30),
        slot_interval_minutes=15,
        minimum_notice=timedelta(hours=1),
    )
    slots = ask(rules=rules, now=at(MONDAY, 8, 50)).slots
    assert hhmm(slots)[0] == "10:00"  # 09:50 is the earliest start; 10:00 the next aligned one


def test_the_horizon_counts_whole_local_days():
    rules = ServiceRules(duration=timedelta(minutes=30), slot_interval_minutes=30, horizon_days=1)
    slots = ask(rules=rules, now=at(MONDAY, 20), day=MONDAY, days=3).slots
    days = {s.in_zone("Europe/Berlin")[0].date() for s in slots}
    assert days == {MONDAY + timedelta(days=1)}  # Monday's hours are past; Wednesday too far
    assert hhmm(slots)[-1] == "16:30"  # Tuesday afternoon, past "now + 24 h", still offered


def test_a_date_override_replaces_the_weekday_hours():
    special = Schedule("Europe/Berlin", week(), {MONDAY: [Hours(time(13), time(14))]})
    assert hhmm(ask(schedule=special).slots) == ["13:00", "13:30"]


def test_a_holiday_closes_the_day():
    holiday = Schedule("Europe/Berlin", week(), {MONDAY: []})
    slots = ask(schedule=holiday, days=2).slots
    assert {s.in_zone("Europe/Berlin")[0].date() for s in slots} == {MONDAY + timedelta(days=1)}


def test_a_day_at_its_booking_limit_offers_nothing():
    rules = ServiceRules(duration=timedelta(minutes=30), slot_interval_minutes=30, max_per_day=2)
    full = ask(rules=rules, days=2, booked_per_day={MONDAY: 2}).slots
    assert {s.in_zone("Europe/Berlin")[0].date() for s in full} == {MONDAY + timedelta(days=1)}
    under = ask(rules=rules, booked_per_day={MONDAY: 1}).slots
    assert len(under) == 16


def test_tentative_time_blocks_by_policy():
    busy = [BusyInterval(at(MONDAY, 9), at(MONDAY, 12), "tentative")]
    blocked = ask(calendars=[fresh(busy)]).slots
    assert hhmm(blocked)[0] == "12:00"
    allowed = ask(calendars=[fresh(busy, tentative_blocks=False)]).slots
    assert hhmm(allowed)[0] == "09:00"


def test_writes_calendars_block_and_ignored_ones_do_not():
    busy = [BusyInterval(at(MONDAY, 9), at(MONDAY, 12))]
    assert hhmm(ask(calendars=[fresh(busy, role=WRITES)]).slots)[0] == "12:00"
    assert hhmm(ask(calendars=[fresh(busy, role=IGNORED)]).slots)[0] == "09:00"


def test_a_zero_length_event_blocks_nothing():
    reminder = [BusyInterval(at(MONDAY, 10), at(MONDAY, 10))]
    rules = ServiceRules(duration=timedelta(minutes=30), slot_interval_minutes=15)
    assert "09:45" in hhmm(ask(rules=rules, calendars=[fresh(reminder)]).slots)


def test_held_time_blocks_like_busy_time():
    slots = ask(held=[(at(MONDAY, 9), at(MONDAY, 16))]).slots
    assert hhmm(slots) == ["16:00", "16:30"]


def test_an_all_day_event_is_a_day_in_its_owners_zone():
    """A Kolkata all-day event on Monday ends at 00:00 Kolkata = 19:30 Berlin (winter)."""
    schedule = Schedule("Europe/Berlin", week(time(18), time(22)))
    busy = [BusyInterval(MONDAY, MONDAY + timedelta(days=1))]
    slots = ask(schedule=schedule, calendars=[fresh(busy, time_zone="Asia/Kolkata")]).slots
    assert hhmm(slots)[0] == "19:30"
    in_own_zone = ask(schedule=schedule, calendars=[fresh(busy)]).slots
    assert in_own_zone == ()


def test_busy_time_is_read_past_the_range_by_a_slots_length_and_buffers():
    rules = ServiceRules(
        duration=timedelta(minutes=30),
        slot_interval_minutes=30,
        buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=15),
    )
    query = Query(at(MONDAY, 9), at(MONDAY, 10), at(MONDAY, 8))
    assert busy_window(rules, query) == (at(MONDAY, 8, 55), at(MONDAY, 10, 45))
    just_after = [BusyInterval(at(MONDAY, 10, 10), at(MONDAY, 11))]  # inside the window
    slots = free_slots(rules, Schedule("Europe/Berlin", week()), [fresh(just_after)], query).slots
    assert hhmm(slots) == ["09:00"]  # 09:30 + 30 min + 15 min buffer reaches 10:15


def test_a_stale_calendar_is_named_and_its_busy_time_still_counts():
    now = at(MONDAY, 8)
    busy = [BusyInterval(at(MONDAY, 9), at(MONDAY, 12))]
    old = CalendarBusy("old", busy, now - timedelta(minutes=6), stale_after=timedelta(minutes=5))
    current = CalendarBusy("current", [], now - timedelta(minutes=1))
    answer = ask(calendars=[old, current], now=now)
    assert answer.stale_calendars == ("old",)
    assert hhmm(answer.slots)[0] == "12:00"


def test_a_never_read_calendar_is_stale_and_the_refuse_policy_refuses():
    never = CalendarBusy("never", [], None)
    with pytest.raises(StaleCalendars) as refused:
        ask(calendars=[never], stale_policy=REFUSE)
    assert refused.value.calendar_ids == ("never",)
    ignored = CalendarBusy("never", [], None, role=IGNORED)
    assert ask(calendars=[ignored], stale_policy=REFUSE).stale_calendars == ()


def test_a_slot_may_cross_midnight_when_both_days_are_open():
    schedule = Schedule("Europe/Berlin", week(time(0), time(0)))
    rules = ServiceRules(duration=timedelta(hours=2), slot_interval_minutes=60)
    assert "23:00" in hhmm(ask(rules=rules, schedule=schedule).slots)


# --- DST days, spelled out -------------------------------------------------------------------


def test_fall_back_offers_a_repeated_time_twice_with_its_two_offsets():
    day = date(2026, 10, 25)  # Berlin 03:00 CEST -> 02:00 CET
    schedule = Schedule("Europe/Berlin", week(time(1), time(4)))
    slots = ask(schedule=schedule, day=day).slots
    assert local_starts(slots) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


def test_spring_forward_skips_the_missing_hour():
    day = date(2026, 3, 29)  # Berlin 02:00 CET -> 03:00 CEST
    schedule = Schedule("Europe/Berlin", week(time(1), time(4)))
    assert hhmm(ask(schedule=schedule, day=day).slots) == ["01:00", "01:30", "03:00", "03:30"]
    missing = Schedule("Europe/Berlin", week(time(2), time(3)))
    assert ask(schedule=missing, day=day).slots == ()


def test_lord_howe_moves_its_clocks_by_half_an_hour():
    zone = "Australia/Lord_Howe"
    schedule = Schedule(zone, week(time(1), time(4)))
    spring = ask(schedule=schedule, day=date(2026, 10, 4)).slots  # 02:00 -> 02:30
    assert hhmm(spring, zone) == ["01:00", "01:30", "02:30", "03:00", "03:30"]
    autumn = ask(schedule=schedule, day=date(2026, 4, 5)).slots  # 02:00 -> 01:30
    assert local_starts(autumn, zone)[1:4] == [
        "2026-04-05T01:30:00+11:00",
        "2026-04-05T01:30:00+10:30",
        "2026-04-05T02:00:00+10:30",
    ]


# --- Input checks and alternatives ---------------------------------------------------------


def test_it_refuses_naive_datetimes_unknown_zones_and_inverted_hours():
    rules = ServiceRules(duration=timedelta(minutes=30))
    naive = datetime(2026, 12, 7, 9)
    with pytest.raises(ValueError):
        free_slots(rules, Schedule("UTC", week()), [], Query(naive, naive, naive))
    aware = Query(at(MONDAY, 0), at(MONDAY, 23), at(MONDAY, 0))
    for zone in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(ValueError):
            free_slots(rules, Schedule(zone, week()), [], aware)
    with pytest.raises(ValueError):
        free_slots(rules, Schedule("UTC", week(time(17), time(9))), [], aware)
    with pytest.raises(ValueError):
        ServiceRules(duration=timedelta(0))
    with pytest.raises(ValueError):
        ask(held=[(datetime(2026, 12, 7, 9), datetime(2026, 12, 7, 10))])
    backwards = [BusyInterval(at(MONDAY, 11), at(MONDAY, 10), event_id="bad")]
    with pytest.raises(ValueError, match="bad"):
        ask(calendars=[fresh(backwards)])
    with pytest.raises(ValueError):
        CalendarBusy("x", [], None, role="sometimes")
    with pytest.raises(ValueError):
        ask(stale_policy="shrug")
    mixed = [BusyInterval(MONDAY, at(MONDAY, 10))]
    with pytest.raises(ValueError):
        ask(calendars=[fresh(mixed)])


def test_nearest_alternatives_are_the_closest_free_slots_on_each_side():
    busy = [BusyInterval(at(MONDAY, 11), at(MONDAY, 12))]
    slots = ask(calendars=[fresh(busy)]).slots
    wanted = at(MONDAY, 11)
    earlier, later = nearest_alternatives(wanted, slots, count=2)
    assert hhmm(earlier) == ["10:30", "10:00"]
    assert hhmm(later) == ["12:00", "12:30"]
    taken = Slot(at(MONDAY, 9).astimezone(UTC), at(MONDAY, 9, 30).astimezone(UTC))
    earlier, later = nearest_alternatives(taken.start, slots, count=1)
    assert earlier == () and hhmm(later) == ["09:30"]
