"""A change in an emulated calendar → ``calendar_changed`` sent (or ``booking.updated``
delivered): p50 / p95 on real processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/calendar_sync.py [--vendor google|outlook] [--changes 40] \
        [--measure changed|booking]

The product in gunicorn, one Celery worker, and the vendor emulators in a gunicorn of their
own (``benchmarks/lead_stack.py``), on one PostgreSQL and Redis. One client's calendar is
synced once and given a push channel (Google ``events.watch`` or a Graph subscription, whose
validation request reaches the product's endpoint). Then, one at a time, an event is created
in the calendar through the vendor's API; the emulator notifies the product's endpoint, which
queues a pass; the worker reads the changes, writes the mirror and sends ``calendar_changed``
in one transaction. The clock stops when that transaction is visible (the event's mirror row
committed), so the figure is change → ``calendar_changed`` sent. Issue 17's goal: under 10 s
(the article asks for 60 s). Figures only; nothing here asserts.

``--measure booking`` goes one stop further, to the chatbot: the calendar is the client's
"writes" calendar, with a 30-minute service and business hours 09-17 UTC every day, and a
webhook endpoint for ``booking.updated`` points at a small receiver in this process
(``booking_receiver.py``, which checks each delivery's signature). ``--changes`` slots are
booked through ``POST /api/v1/bookings`` (waiting for confirmed); then, one at a time, each
booked event is moved 30 minutes later by a PATCH of its start and end through the vendor's API,
as a person would in Google Calendar or Outlook. The push reaches the product, the worker's pass
sends ``calendar_changed``, the booking moves and ``booking.updated`` is emitted; its delivery,
another job on the same worker, POSTs to the receiver. The clock runs from the PATCH to the
arrival of the ``booking.updated`` that carries the new start.

``--measure burst`` is issue 17's burst: thousands of bookings through the API and the engine
against a 1,000-a-minute Google quota (``benchmarks/calendar_burst.py``, whose options follow,
e.g. ``--measure burst --bookings 500 --quota 100``).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from booking_receiver import Receiver  # noqa: E402
from lead_stack import celery_worker, emulator_server, free_port, gunicorn, wait_healthy  # noqa: E402

GOAL_S = 10.0
TIMEOUT_S = 60.0


def environment(port: int, vendor_port: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="agency.settings",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="benchmark-" + "x" * 40,
        EMULATORS_ENABLED="true",
        ALLOW_PRIVATE_URLS="true",
        CALENDAR_PUSH_ALLOW_HTTP="true",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        VENDOR_BASE_URL=f"http://127.0.0.1:{vendor_port}/emulators",
        LOG_LEVEL="WARNING",
        PORT=str(port),
    )
    return env


def setup(vendor: str, writes: bool = False):
    """A client with one calendar connection on the emulator, its role and sync row; with
    ``writes`` the role is the one bookings are written to."""
    from django.utils import timezone

    from connectors.models import Connection
    from emulators.auth import issue_token_for_tests
    from syncs.calendar.models import CalendarRole
    from syncs.calendar.poll import ensure_syncs
    from syncs.calendar.sync_state.models import CalendarSync
    from tenants.models import Agency, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    client = Client.objects.create(agency=agency, name="Clinic", slug=f"clinic-{tag}")
    account = f"bench-{tag}"
    if vendor == "google":
        from emulators.google_calendar import control

        control.configure(account, allow_http_address=True)
        calendar_id = "primary"
    else:
        from emulators.graph import control as graph

        graph.configure(account, allow_http_notification_url=True)
        calendar_id = graph.default_calendar(account)
    connection = Connection.objects.create(
        client=client,
        provider=vendor,
        kind="calendar",
        external_account_id=account,
        access_token=issue_token_for_tests(vendor, account, 6 * 3600),
        token_expires_at=timezone.now() + timedelta(hours=6),
    )
    role = CalendarRole.objects.create(
        client=client, connection=connection, calendar_id=calendar_id, time_zone="UTC",
        **({"role": CalendarRole.Role.WRITES} if writes else {}),
    )  # fmt: skip
    ensure_syncs()
    return connection, CalendarSync.objects.get(role=role)


def wait_for(check, timeout: float = TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def measure(connection, sync, changes: int, gap: float) -> list[float]:
    from connectors.base import EventDraft
    from connectors.registry import client_for
    from syncs.calendar.sync_state.models import MirroredEvent

    calendar = client_for(connection)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    seconds = []
    for n in range(changes):
        at = start + timedelta(minutes=30 * n)
        draft = EventDraft(
            booking_id=f"bench-{uuid.uuid4().hex[:12]}",
            summary="Benchmark",
            start=at,
            end=at + timedelta(minutes=30),
            time_zone="UTC",
        )
        began = time.monotonic()
        made = calendar.create_event(sync.role.calendar_id, draft)
        mirrored = MirroredEvent.objects.filter(sync=sync, event_id=made.id)
        seen = wait_for(mirrored.exists)
        if not seen:
            print(f"  change {n}: not seen within {TIMEOUT_S:.0f} s")
            continue
        seconds.append(time.monotonic() - began)
        time.sleep(gap)
    return seconds


def setup_bookings(sync, receiver: Receiver) -> tuple[str, str]:
    """Business hours, a service, an API key and a webhook endpoint at ``receiver`` for the
    sync's client; returns the raw API key and the service's id."""
    from datetime import time as clock

    from syncs.calendar.models import BusinessHours, Service
    from syncs.webhooks.services import endpoint_create
    from tenants.models import ApiKey

    client = sync.role.client
    for weekday in range(7):
        BusinessHours.objects.create(client=client, weekday=weekday, start=clock(9), end=clock(17))
    service = Service.objects.create(
        client=client, name="Consultation", duration_minutes=30, slot_interval_minutes=30
    )
    _, raw_key = ApiKey.issue(client=client, name="benchmark")
    _, receiver.secret = endpoint_create(
        client=client, url=receiver.url, event_types=["booking.updated"]
    )
    return raw_key, str(service.public_id)


def book(base: str, key: str, service: str, slots: int) -> list[tuple[str, str, datetime]]:
    """Book ``slots`` slots, an hour apart from 09:00 UTC two days on (eight a day), through
    the API; returns (booking id, event id, start) of the confirmed ones."""
    import requests

    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    booked = []
    for n in range(slots):
        start = day + timedelta(days=2 + n // 8, hours=n % 8)
        answer = requests.post(
            f"{base}/api/v1/bookings?wait=30",
            headers={"Authorization": f"Bearer {key}"},
            json={
                "service": service, "start": start.isoformat(), "time_zone": "UTC",
                "contact": {"name": f"Patient {n}", "email": f"patient{n}@example.com"},
            },
            timeout=60,
        )  # fmt: skip
        body = answer.json()
        if answer.status_code != 201 or body.get("status") != "confirmed":
            print(f"  booking {n}: {answer.status_code} {body.get('status') or body}")
            continue
        booked.append((body["id"], body["calendar_event_id"], start))
    return booked


def measure_bookings(
    connection, sync, receiver: Receiver, booked: list[tuple[str, str, datetime]], gap: float
) -> list[float]:
    """Move each booked event 30 minutes later through the vendor's API; seconds from the
    PATCH to the ``booking.updated`` delivery carrying the new start."""
    from urllib.parse import quote

    import requests

    from connectors.registry import api_base_for

    if connection.provider == "google":
        events = f"{api_base_for(connection)}/calendar/v3/calendars/{quote(sync.role.calendar_id)}"
        events += "/events"
    else:
        events = f"{api_base_for(connection)}/v1.0/me/calendars/{sync.role.calendar_id}/events"
    headers = {"Authorization": f"Bearer {connection.access_token}"}
    seconds = []
    for n, (booking_id, event_id, start) in enumerate(booked):
        moved = start + timedelta(minutes=30)
        if connection.provider == "google":
            patch = {
                "start": {"dateTime": moved.isoformat()},
                "end": {"dateTime": (moved + timedelta(minutes=30)).isoformat()},
            }
        else:
            patch = {
                "start": {"dateTime": moved.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                "end": {
                    "dateTime": (moved + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S"),
                    "timeZone": "UTC",
                },
            }
        began = time.monotonic()
        answer = requests.patch(
            f"{events}/{quote(event_id, safe='')}", json=patch, headers=headers, timeout=60
        )
        if answer.status_code != 200:
            print(f"  move {n}: the vendor answered {answer.status_code} {answer.text[:200]}")
            continue
        if not wait_for(lambda: receiver.arrived(booking_id, moved) is not None):  # noqa: B023
            print(f"  move {n}: booking.updated not delivered within {TIMEOUT_S:.0f} s")
            continue
        seconds.append((receiver.arrived(booking_id, moved) or began) - began)
        time.sleep(gap)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendor", choices=("google", "outlook"), default="google")
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between changes")
    parser.add_argument(
        "--measure",
        choices=("changed", "booking", "burst"),
        default="changed",
        help="stop the clock at calendar_changed sent, or at booking.updated delivered; or "
        "burst: many bookings against the quota (calendar_burst.py, which takes its own options)",
    )
    args, rest = parser.parse_known_args()
    if args.measure == "burst":
        import calendar_burst

        calendar_burst.main(rest)
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the stack runs on both")
    port, vendor_port = free_port(), free_port()
    env = environment(port, vendor_port)
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    import django

    django.setup()
    by_booking = args.measure == "booking"
    connection, sync = setup(args.vendor, writes=by_booking)
    receiver = Receiver()
    if by_booking:
        receiver.start()
        key, service = setup_bookings(sync, receiver)
    procs = [
        gunicorn(ROOT, python, port, 2, env),
        emulator_server(ROOT, python, vendor_port, 2, env),
        celery_worker(ROOT, python, 0, 2, "prefork", env),
    ]
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        wait_healthy(f"http://127.0.0.1:{vendor_port}")
        from syncs.calendar.watches import keep_channel

        if keep_channel(sync.pk) != "opened":  # its first pass is queued to the worker
            sync.refresh_from_db()
            sys.exit(f"no push channel: {sync.channel_error}")
        if not wait_for(lambda: type(sync).objects.get(pk=sync.pk).synced_at is not None):
            sys.exit("the first pass never ran: is the worker up?")
        if by_booking:
            booked = book(f"http://127.0.0.1:{port}", key, service, args.changes)
            seconds = measure_bookings(connection, sync, receiver, booked, args.gap)
        else:
            seconds = measure(connection, sync, args.changes, args.gap)
    finally:
        if by_booking:
            receiver.stop()
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    if len(seconds) < 2:
        sys.exit("too few changes seen to report")
    cuts = statistics.quantiles(seconds, n=100)
    p50, p95 = statistics.median(seconds), cuts[94]
    stop = "booking.updated delivered" if by_booking else "calendar_changed sent"
    print(f"{args.vendor}: {len(seconds)}/{args.changes} changes → {stop}: "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms "
          f"(p95 / goal {GOAL_S:.0f} s = {p95 / GOAL_S:.3f})")  # fmt: skip
    if by_booking:
        print(f"  deliveries with a bad signature: {receiver.bad_signatures}")


if __name__ == "__main__":
    main()
