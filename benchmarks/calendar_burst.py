"""A burst of bookings through the API and the sync engine against Google's per-project quota:
calls over quota (goal 0), vendor calls per booking, drain time against the minimum (goal:
within 5%), and every booking confirmed with one event in the calendar.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/calendar_sync.py --measure burst \
        [--bookings 5000] [--quota 1000] [--calendars 10] [--posters 16] [--hold-seconds 600]

(``calendar_sync.py --measure burst`` runs this module's ``main``; it also runs on its own.)

The stack is the product's, on real processes (``lead_stack.py``): the product in gunicorn,
Celery workers and beat (which sweeps expired holds, ``expire_holds``, and re-publishes lost
or long-deferred jobs), the vendor emulators in a gunicorn of their own with the Google
project's quota set to ``--quota`` calls a sliding minute (the emulator refuses and counts
every call over it), and ``VENDOR_QUOTAS={"google": {"app": Q}}`` so our shared buckets
(Redis) pace the same project. ``--calendars`` clients each have one Google user whose
primary calendar is their "writes" calendar, synced once (its mirror answers the API's
availability check, so that check costs no vendor call; polling is pushed past the run so
the vendor calls counted are the bookings' own), a 30-minute service on a 30-minute grid,
business hours 06-22 UTC every day and a 120-day horizon. Booking n goes to calendar
n mod C, at the (n div C)-th slot of that grid from two days on, so every slot is distinct
and free.

``--posters`` threads POST the bookings (each with its own Idempotency-Key, retried with the
same key on a connection error or a 5xx) with the API's default bounded wait
(``BOOKING_WAIT_SECONDS``): 201 when the write finished within it, 202 when it is still
queued. Then the bookings are watched in the database until none is held. The engine writes
each event (``events.insert`` under our own id) and re-reads free/busy live, so about two
calls a booking; a write or re-read whose token is further than the inline wait goes back to
the queue with its ``retry_after``.

The drain runs from the first POST to the last booking confirmed; with ``--accept-first`` the
workers start only once every booking is accepted (the API's pace on a loaded host then does
not bound the drain, and the burst waits in our queue, past the holds' time when posting takes
that long), and the drain runs from their start. Its minimum is set by the
calls the emulator counted, C: at a steady Q a minute C / Q minutes; a sliding minute lets
the first Q go at once, so ``floor((C - 1) / Q)`` minutes is the floor under the vendor's
rule (our buckets' windows are a little longer, ``connectors/google/spec.py``).
Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from lead_stack import celery_worker, emulator_server, free_port, gunicorn, wait_healthy  # noqa: E402

SLOTS_PER_DAY = 32  # 06:00-22:00 UTC, every 30 minutes
WEB_THREADS = 8


def environment(port: int, vendor_port: int, args: argparse.Namespace) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="agency.settings",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="benchmark-" + "x" * 40,
        EMULATORS_ENABLED="true",
        ALLOW_PRIVATE_URLS="true",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        VENDOR_BASE_URL=f"http://127.0.0.1:{vendor_port}/emulators",
        VENDOR_QUOTAS=json.dumps({"google": {"app": args.quota}}),
        BOOKING_HOLD_SECONDS=str(args.hold_seconds),
        # The mirrors, read once, answer the availability checks for the whole run; no poll
        # adds vendor calls to the bookings' own.
        CALENDAR_POLL_SECONDS="86400",
        CALENDAR_SAFETY_POLL_SECONDS="86400",
        CALENDAR_WATCH_RETRY_SECONDS="86400",
        GUNICORN_THREADS=str(WEB_THREADS),  # the wait bound per process follows the threads
        LOG_LEVEL="WARNING",
        PORT=str(port),
    )
    return env


def setup(calendars: int) -> list[dict]:
    """``calendars`` clients, each with a Google calendar to write bookings to, a service,
    hours and an API key; their ids."""
    from datetime import time as clock

    from django.utils import timezone

    from connectors.models import Connection
    from emulators.auth import issue_token_for_tests
    from syncs.calendar.models import BusinessHours, CalendarRole, Service
    from tenants.models import Agency, ApiKey, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Burst {tag}", slug=f"burst-{tag}")
    out = []
    for i in range(calendars):
        client = Client.objects.create(agency=agency, name=f"Clinic {i}", slug=f"clinic-{tag}-{i}")
        account = f"burst-{tag}-{i}"
        connection = Connection.objects.create(
            client=client,
            provider="google",
            kind="calendar",
            external_account_id=account,
            access_token=issue_token_for_tests("google", account, 6 * 3600),
            token_expires_at=timezone.now() + timedelta(hours=6),
        )
        CalendarRole.objects.create(
            client=client, connection=connection, calendar_id="primary", time_zone="UTC",
            role=CalendarRole.Role.WRITES, stale_after_seconds=6 * 3600,
        )  # fmt: skip
        for weekday in range(7):
            BusinessHours.objects.create(
                client=client, weekday=weekday, start=clock(6), end=clock(22)
            )
        service = Service.objects.create(
            client=client, name="Consultation", duration_minutes=30, slot_interval_minutes=30,
            horizon_days=120,
        )  # fmt: skip
        _, key = ApiKey.issue(client=client, name="burst")
        out.append({"client": client.pk, "account": account, "key": key,
                    "service": str(service.public_id)})  # fmt: skip
    return out


def first_passes(clients: list[dict]) -> None:
    """Read each calendar once, so its mirror answers availability."""
    from django.utils import timezone

    from syncs.calendar.poll import ensure_syncs
    from syncs.calendar.sync import calendar_sync_run
    from syncs.calendar.sync_state.models import CalendarSync

    ensure_syncs()
    syncs = CalendarSync.objects.filter(client_id__in=[c["client"] for c in clients])
    for sync in syncs:
        calendar_sync_run(sync.pk)
        sync.refresh_from_db()
        if sync.synced_at is None:
            sys.exit(f"the first pass of {sync.pk} failed: {sync.last_error}")
    # No push channel is opened during the run (CALENDAR_WATCH_RETRY_SECONDS): its
    # notifications' passes would add calls that are not the bookings' own.
    syncs.update(channel_tried_at=timezone.now())


def slot(n: int, calendars: int, day0: datetime) -> datetime:
    k = n // calendars
    return day0 + timedelta(days=k // SLOTS_PER_DAY, hours=6, minutes=30 * (k % SLOTS_PER_DAY))


class Poster:
    """Posts bookings; keeps each answer's status, latency and booking id."""

    def __init__(self, base: str, clients: list[dict], day0: datetime, wait: int | None) -> None:
        self.base, self.clients, self.day0, self.wait = base, clients, day0, wait
        self.local = threading.local()
        self.answers: dict[int, tuple[int, float, str]] = {}
        self.retries = 0
        self.lock = threading.Lock()

    def post(self, n: int) -> None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        client = self.clients[n % len(self.clients)]
        start = slot(n, len(self.clients), self.day0)
        headers = {"Authorization": f"Bearer {client['key']}", "Idempotency-Key": uuid.uuid4().hex}
        query = "" if self.wait is None else f"?wait={self.wait}"
        body = {
            "service": client["service"], "start": start.isoformat(), "time_zone": "UTC",
            "contact": {"name": f"Patient {n}", "email": f"patient{n}@example.com"},
        }  # fmt: skip
        for _ in range(10):
            began = time.monotonic()
            try:
                answer = session.post(
                    f"{self.base}/api/v1/bookings{query}", json=body, headers=headers, timeout=120
                )
            except requests.RequestException:
                with self.lock:
                    self.retries += 1
                time.sleep(1)
                continue
            if answer.status_code >= 500:
                with self.lock:
                    self.retries += 1
                time.sleep(1)
                continue
            took = time.monotonic() - began
            booking = answer.json().get("id", "") if answer.status_code in (200, 201, 202) else ""
            if answer.status_code not in (201, 202):
                print(f"  booking {n}: {answer.status_code} {answer.text[:200]}", flush=True)
            with self.lock:
                self.answers[n] = (answer.status_code, took, booking)
            return
        with self.lock:
            self.answers[n] = (0, 0.0, "")


def statuses(client_ids: list[int]) -> Counter:
    from syncs.calendar.bookings.models import Booking

    rows = Booking.objects.filter(client_id__in=client_ids).values_list("status", flat=True)
    return Counter(rows)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=5000)
    parser.add_argument("--quota", type=int, default=1000, help="calls a minute per project")
    parser.add_argument("--calendars", type=int, default=10, help="clients, one calendar each")
    parser.add_argument("--posters", type=int, default=16, help="threads POSTing bookings")
    parser.add_argument("--wait", type=int, default=None, help="?wait= (default: the API's)")
    parser.add_argument("--hold-seconds", type=int, default=600, help="BOOKING_HOLD_SECONDS")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--emulator-workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait to drain")
    parser.add_argument(
        "--accept-first",
        action="store_true",
        help="start the workers once every booking is accepted: the whole burst waits in our "
        "queue (past BOOKING_HOLD_SECONDS when posting takes that long), and the drain is "
        "timed from the workers' start",
    )
    parser.add_argument("--port", type=int, default=0, help="the product's (default: any free)")
    parser.add_argument("--vendor-port", type=int, default=0, help="the emulators'")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL: the stack runs on both")
    port, vendor_port = args.port or free_port(), args.vendor_port or free_port()
    env = environment(port, vendor_port, args)
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    import django

    django.setup()
    from django.db import connections

    from connectors import ratelimit

    clients = setup(args.calendars)
    client_ids = [c["client"] for c in clients]
    beat_file = str(
        Path(env.get("SWITCHBOARD_VAR_DIR") or ROOT) / f"burst-beat-{uuid.uuid4().hex[:8]}"
    )
    procs = [emulator_server(ROOT, python, vendor_port, args.emulator_workers, env)]
    try:
        wait_healthy(f"http://127.0.0.1:{vendor_port}")
        first_passes(clients)
        project = f"http://127.0.0.1:{vendor_port}/emulators/google/_emulator/calendar/project"
        requests.delete(project, timeout=10).raise_for_status()
        requests.post(project, json={"quota_per_minute": args.quota}, timeout=10)
        ratelimit.reset_all()
        connections.close_all()
        procs.append(gunicorn(ROOT, python, port, args.web_workers, env, threads=WEB_THREADS))

        def start_workers() -> None:
            for index in range(args.workers):
                procs.append(celery_worker(ROOT, python, index, args.concurrency, "threads", env))

        if not args.accept_first:
            start_workers()
        procs.append(subprocess.Popen(
            [python, "-m", "celery", "-A", "agency", "beat", "--loglevel", "WARNING",
             "--schedule", beat_file],
            cwd=ROOT, stdout=subprocess.DEVNULL, env=env, start_new_session=True,
        ))  # fmt: skip
        wait_healthy(f"http://127.0.0.1:{port}")
        time.sleep(3)  # the workers connect to the broker

        day0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        day0 += timedelta(days=2)
        poster = Poster(f"http://127.0.0.1:{port}", clients, day0, args.wait)
        load_before = os.getloadavg()
        print(
            f"{args.bookings} bookings over {args.calendars} calendars, quota {args.quota}/min, "
            f"{args.workers} workers x {args.concurrency} threads, {args.posters} posters, "
            f"hold {args.hold_seconds} s; load {load_before}",
            flush=True,
        )
        t0 = time.time()
        with ThreadPoolExecutor(args.posters) as pool:
            list(pool.map(poster.post, range(args.bookings)))
        posted = time.time() - t0
        print(f"  posted in {posted:.1f} s; {dict(statuses(client_ids))}", flush=True)
        if args.accept_first:  # the whole burst waits in our queue; the drain starts now
            start_workers()
            t0 = time.time()

        least = math.ceil(2 * args.bookings / args.quota) * 61
        timeout = args.timeout or max(600.0, 2.0 * least)
        loads = [os.getloadavg()]
        while time.time() - t0 < timeout:
            seen = statuses(client_ids)
            if not seen.get("held"):
                break
            time.sleep(5)
            if int(time.time() - t0) % 60 < 5:
                loads.append(os.getloadavg())
                print(f"  {time.time() - t0:.0f} s: {dict(seen)}; load {loads[-1]}", flush=True)
        stats = requests.get(project, timeout=10).json()
        report(args, clients, poster, t0, posted, stats, loads)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        Path(beat_file).unlink(missing_ok=True)


def report(
    args: argparse.Namespace,
    clients: list[dict],
    poster: Poster,
    t0: float,
    posted: float,
    stats: dict[str, int],
    loads: list[tuple[float, float, float]],
) -> None:
    """What the run shows, from the emulator's counts and our database."""
    from django.db.models import Max, Sum

    from emulators.google_calendar.models import GEvent
    from syncs.calendar.bookings.models import Booking, BookingStatus
    from syncs.models import SyncJob

    client_ids = [c["client"] for c in clients]
    bookings = Booking.objects.filter(client_id__in=client_ids)
    seen = Counter(bookings.values_list("status", flat=True))
    last = bookings.aggregate(last=Max("confirmed_at"))["last"]
    drain = (last.timestamp() - t0) if last else float("nan")
    codes = Counter(code for code, _, _ in poster.answers.values())
    took = sorted(t for _, t, _ in poster.answers.values())
    p50 = statistics.median(took) if took else 0.0
    p95 = statistics.quantiles(took, n=100)[94] if len(took) > 1 else 0.0

    events = GEvent.objects.filter(
        calendar__account__account_id__in=[c["account"] for c in clients]
    )
    live_events = [
        e for e in events.values_list("event_id", "data") if e[1].get("status") != "cancelled"
    ]
    event_ids = Counter(e[0] for e in live_events)
    confirmed_ids = set(
        bookings.filter(status=BookingStatus.CONFIRMED).values_list("provider_event_id", flat=True)
    )
    jobs = SyncJob.objects.filter(client_id__in=client_ids, kind="calendar")
    runs = jobs.aggregate(claims=Sum("claims"))["claims"] or 0
    job_states = Counter(jobs.values_list("status", flat=True))

    calls = stats["api_calls"]
    over = stats["refused"] + stats["user_refused"]
    steady = calls / args.quota * 60.0
    window = ((calls - 1) // args.quota) * 60.0 if calls else 0.0
    from connectors.registry import get_spec

    (project,) = [limit for limit in get_spec("google").rate_limits if limit.scope == "app"]
    ours = calls / args.quota * project.per_seconds
    slowest = took[-1] if took else 0.0
    print(f"POST answers {dict(codes)} (retried {poster.retries}); latency p50 {p50:.2f} s, "
          f"p95 {p95:.2f} s, max {slowest:.2f} s; all posted in {posted:.1f} s")  # fmt: skip
    print(f"bookings {dict(seen)}; jobs {dict(job_states)}, runs {runs} "
          f"({runs / max(1, args.bookings):.2f} per booking)")  # fmt: skip
    print(f"calendar events: {len(live_events)} live for {args.bookings} bookings; "
          f"duplicated ids {sum(1 for n in event_ids.values() if n > 1)}; confirmed bookings "
          f"without their event {len(confirmed_ids - set(event_ids))}; events of no confirmed "
          f"booking {len(set(event_ids) - confirmed_ids)}")  # fmt: skip
    per = calls / args.bookings
    print(f"calls over quota (refused by the emulator): {over} (project {stats['refused']}, "
          f"per user {stats['user_refused']}); calls {calls} = {per:.3f} a booking")  # fmt: skip
    floor = f"{drain / window:.3f}" if window else "n/a"
    since = "workers' start" if args.accept_first else "first POST"
    print(f"drain ({since} -> last confirmed) {drain:.1f} s; minimum C/Q {steady:.0f} s "
          f"(x {drain / steady:.3f}); sliding-minute floor {window:.0f} s (x {floor}); "
          f"C/Q at our {project.per_seconds:g} s windows {ours:.0f} s")  # fmt: skip
    print(f"load average during the run: {[round(x[0], 1) for x in loads]}; now {os.getloadavg()}")
    vendor_calls(client_ids, t0, last, steady)


def vendor_calls(client_ids: list[int], t0: float, last: datetime | None, steady: float) -> None:
    """When the first vendor call left (the quota's clock starts there, not at the workers'
    start: they take a while to boot on a loaded host), and what a call costs a slot beyond
    the window: its time from sending to the answer (``ApiCall.latency_ms``)."""
    from connectors.models import ApiCall

    calls = ApiCall.objects.filter(
        client_id__in=client_ids, created_at__gte=datetime.fromtimestamp(t0, UTC)
    )
    first = calls.order_by("created_at").values_list("created_at", flat=True).first()
    latency = sorted(calls.values_list("latency_ms", flat=True))
    if first is None or last is None or not latency:
        return
    since_first = last.timestamp() - first.timestamp()
    p50, p99 = statistics.median(latency), latency[int(0.99 * (len(latency) - 1))]
    print(f"first vendor call {first.timestamp() - t0:.1f} s after the drain's start; from it "
          f"to the last confirmed {since_first:.1f} s (x {since_first / steady:.3f} of C/Q); "
          f"call send -> answer p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {latency[-1]} ms "
          f"({len(latency)} attempts logged)")  # fmt: skip


if __name__ == "__main__":
    main()
