"""``GET /api/v1/availability`` end to end in one process: a 14-day window over 3 calendars
holding 2,000 events in their synced mirrors (issue 17's goal: p99 under 200 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench \
        .venv/bin/python benchmarks/availability_api.py [--runs 200] [--seed 7]

Unlike ``calendar_availability.py`` (the free-slot computation alone), every request here goes
through Django's middleware, DRF's authentication and throttle, the service and schedule reads,
``read_busy`` answering from the three mirrors (``MirroredEvent`` rows, fresh: no vendor is
called), the live bookings held against the slots, and the serializer, on the configured
database in a throw-away test database. Django's test client stands in for the web server, so
neither the network nor gunicorn is in the figure. Prints p50 / p99 against the goal; figures
belong in benchmarks/RESULTS.md, dated.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("API_THROTTLE_RATE", "1000000/min")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.utils import timezone  # noqa: E402

from connectors.models import Connection  # noqa: E402
from syncs.calendar.models import BusinessHours, CalendarRole, Service  # noqa: E402
from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent  # noqa: E402
from tenants.models import Agency, ApiKey, Client  # noqa: E402

GOAL_MS = 200.0
DAYS = 14
EVENTS = 2000
CALENDARS = ("primary", "team", "holidays")


def setup(seed: int, spread_days: int) -> tuple[str, Service, datetime]:
    """A client with a service, hours, three mirrored calendars and 2,000 events; its key."""
    rng = random.Random(seed)
    agency = Agency.objects.create(name="Bench", slug="bench")
    client = Client.objects.create(
        agency=agency, name="Clinic", slug="clinic", time_zone="Europe/Berlin"
    )
    _, key = ApiKey.issue(client=client, name="bench")
    service = Service.objects.create(
        client=client, name="Consultation", duration_minutes=30, buffer_before_minutes=10,
        buffer_after_minutes=10, minimum_notice_minutes=0, horizon_days=60,
    )  # fmt: skip
    BusinessHours.objects.bulk_create(
        BusinessHours(client=client, weekday=day, start=wall(start), end=wall(end))
        for day in range(6)
        for start, end in ((8, 12), (13, 18))
    )
    google = Connection.objects.create(client=client, provider="google", kind="calendar")
    now = timezone.now()
    start = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    for index, calendar_id in enumerate(CALENDARS):
        role = CalendarRole.objects.create(
            client=client,
            connection=google,
            calendar_id=calendar_id,
            role=CalendarRole.Role.WRITES if index == 0 else CalendarRole.Role.BLOCKS,
            stale_after_seconds=24 * 3600,  # the run outlasts no bound
        )
        sync = CalendarSync.objects.create(
            client=client, role=role, synced_at=now, full_synced_at=now,
            covered_from=now - timedelta(days=1), covered_until=now + timedelta(days=90),
        )  # fmt: skip
        events = []
        for number in range(EVENTS // len(CALENDARS) + (index < EVENTS % len(CALENDARS))):
            begins = start + timedelta(minutes=15 * rng.randrange(spread_days * 24 * 4))
            events.append(
                MirroredEvent(
                    client=client,
                    sync=sync,
                    event_id=f"{calendar_id}-{number}",
                    start_at=begins,
                    end_at=begins + timedelta(minutes=rng.choice((15, 30, 60))),
                    status=rng.choice(("confirmed",) * 9 + ("tentative",)),
                    transparent=rng.random() < 0.05,
                )
            )
        MirroredEvent.objects.bulk_create(events)
    return key, service, start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--spread-days",
        type=int,
        default=DAYS,
        help="days the 2,000 events lie over (from tomorrow)",
    )
    args = parser.parse_args()
    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(settings.VAR_DIR) / "bench-availability.sqlite3")
    else:  # never the test suite's database
        test["NAME"] = f"bench_availability_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        key, service, start = setup(args.seed, args.spread_days)
        end = start + timedelta(days=DAYS)
        query = {
            "service": str(service.public_id),
            "start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "time_zone": "America/New_York",
        }
        http = HttpClient(HTTP_AUTHORIZATION=f"Bearer {key}")
        first = http.get("/api/v1/availability", query)
        assert first.status_code == 200, first.content[:500]
        body = first.json()
        assert not body["stale_calendars"], body["stale_calendars"]
        samples = []
        for _ in range(args.runs):
            began = time.perf_counter()
            response = http.get("/api/v1/availability", query)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        samples.sort()
        p99 = samples[min(len(samples) - 1, int(0.99 * len(samples)))]
        print(
            f"GET /api/v1/availability on {connection.vendor}, {DAYS} days, "
            f"{len(CALENDARS)} mirrored calendars, {EVENTS} events over {args.spread_days} days: "
            f"{len(body['slots'])} slots"
        )
        print(f"  p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms ({args.runs} requests)")
        print(f"  p99 / goal ({GOAL_MS:.0f} ms) = {p99 / GOAL_MS:.3f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
