"""Availability for a 14-day window over 3 calendars holding 2,000 events (issue 17's goal:
p99 under 200 ms), and the expansion of recurring VEVENTs into busy time.

    python benchmarks/calendar_availability.py [--runs 200] [--seed 7]

Pure computation (no database, no network): what ``GET /api/v1/availability`` spends between
the calendars' busy time arriving and the slots going out. The window spans Berlin's fall-back
day, so the DST paths are on the measured path. Prints p50 and p99 and the ratio of p99 to the
goal; figures belong in benchmarks/RESULTS.md, dated.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from connectors.base import BusyInterval
from syncs.calendar.availability import (
    CalendarBusy,
    Hours,
    Query,
    Schedule,
    ServiceRules,
    free_slots,
)
from syncs.calendar.expand import busy_from_ical

GOAL_MS = 200.0
START = datetime(2026, 10, 19, tzinfo=UTC)  # Monday; Berlin falls back on Sunday 25 October
DAYS = 14


def calendars(rng: random.Random, events: int, spread_days: int) -> list[CalendarBusy]:
    """Three calendars, ``events`` timed, tentative and all-day events between them, spread
    over ``spread_days`` from the window's start."""
    now = START - timedelta(hours=1)
    per: list[list[BusyInterval]] = [[], [], []]
    for i in range(events):
        if i % 400 == 0:
            day = date(2026, 10, 19) + timedelta(days=rng.randrange(spread_days))
            per[i % 3].append(BusyInterval(day, day + timedelta(days=1), event_id=str(i)))
            continue
        at = START + timedelta(minutes=5 * rng.randrange(spread_days * 288))
        length = timedelta(minutes=5 * rng.randint(3, 24))
        status = "tentative" if i % 7 == 0 else "busy"
        per[i % 3].append(BusyInterval(at, at + length, status, str(i)))
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata"]
    return [
        CalendarBusy(f"cal{k}", per[k], now, time_zone=zones[k], tentative_blocks=k != 1)
        for k in range(3)
    ]


def series_ics(count: int) -> str:
    """``count`` weekly series in Berlin wall time, each with an EXDATE."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    for i in range(count):
        lines += [
            "BEGIN:VEVENT",
            f"UID:s{i}",
            "DTSTAMP:20261001T000000Z",
            f"DTSTART;TZID=Europe/Berlin:202601{1 + i % 28:02d}T{8 + i % 10:02d}0000",
            f"DTEND;TZID=Europe/Berlin:202601{1 + i % 28:02d}T{8 + i % 10:02d}4500",
            "RRULE:FREQ=DAILY",
            f"EXDATE;TZID=Europe/Berlin:20261020T{8 + i % 10:02d}0000",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rules = ServiceRules(
        duration=timedelta(minutes=30),
        slot_interval_minutes=15,
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=10),
    )
    hours = {d: [Hours(wall(8), wall(12)), Hours(wall(13), wall(18))] for d in range(6)}
    schedule = Schedule("Europe/Berlin", hours)
    query = Query(START, START + timedelta(days=DAYS), START - timedelta(hours=1))
    for spread in (DAYS, 90):
        busy = calendars(rng, 2000, spread)
        samples = []
        for _ in range(args.runs):
            began = time.perf_counter()
            answer = free_slots(rules, schedule, busy, query)
            samples.append((time.perf_counter() - began) * 1000)
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"free_slots, 14 days, 3 calendars, 2,000 events over {spread} days:")
        print(f"  {len(answer.slots)} slots; p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        print(f"  p99 / goal ({GOAL_MS:.0f} ms) = {p99 / GOAL_MS:.3f}")
    text = series_ics(100)
    began = time.perf_counter()
    expanded = busy_from_ical(
        [text], START, START + timedelta(days=DAYS), owner_zone="Europe/Berlin"
    )
    took = (time.perf_counter() - began) * 1000
    print(
        f"busy_from_ical, 100 daily series over 14 days: {len(expanded)} instances, {took:.0f} ms"
    )


if __name__ == "__main__":
    main()
