"""A burst of calendar writes against Google's per-project quota: how many calls went over it
(goal 0) and how long the burst took to drain (goal: within 5% of the minimum).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/calendar_quota.py [--writes 5000] [--quota 1000] \
        [--workers 4] [--threads 4] [--users 10]

The Google Calendar emulator runs in its own gunicorn (``agency.emulator_settings``) with a
per-project quota of ``--quota`` calls a sliding minute, counting every call it refuses.
``--workers`` processes of ``--threads`` threads each write ``--writes`` events
(``events.insert`` through ``connectors.google.client``, spread over ``--users`` Google users)
through the shared rate-limit buckets (Redis with ``REDIS_URL``, else files), configured for the
same project quota (``VENDOR_QUOTAS``). A write whose token is further away than the inline
wait is put back with its ``retry_after``, as the engine requeues a throttled job
(``syncs.engine.jobs.fail``), and tried again then.

The minimum drain time under a sliding one-minute quota is ``floor((N - 1) / Q)`` minutes from
the first call to the last (the first Q calls may go at once, and the k-th Q a minute after the
(k-1)-th); at a steady Q a minute it is N / Q minutes. Both are printed with the measured time.
Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lead_stack import emulator_server, free_port, wait_healthy  # noqa: E402


def environment(vendor_port: int, quota: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="agency.settings",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY=env.get("SECRET_KEY", "benchmark-" + "x" * 40),
        EMULATORS_ENABLED="true",
        ALLOW_PRIVATE_URLS="true",
        VENDOR_BASE_URL=f"http://127.0.0.1:{vendor_port}/emulators",
        VENDOR_QUOTAS=json.dumps({"google": {"app": quota}}),
        LOG_LEVEL="ERROR",
    )
    return env


def setup(users: int) -> list[int]:
    """A client per Google user, each with a calendar connection to the emulator; their ids."""
    from django.utils import timezone

    from connectors import ratelimit
    from connectors.models import Connection
    from emulators.auth import issue_token_for_tests
    from tenants.models import Agency, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Quota {tag}", slug=f"quota-{tag}")
    ids = []
    for i in range(users):
        client = Client.objects.create(agency=agency, name=f"Clinic {i}", slug=f"clinic-{i}")
        account = f"quota-{tag}-{i}"
        connection = Connection.objects.create(
            client=client,
            provider="google",
            kind="calendar",
            external_account_id=account,
            access_token=issue_token_for_tests("google", account, 24 * 3600),
            token_expires_at=timezone.now() + timedelta(days=1),
        )
        ids.append(connection.pk)
    ratelimit.reset_all()  # the buckets start empty, as after a quiet minute
    return ids


@dataclass
class Tally:
    done: int = 0
    requeued: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first: float = math.inf  # wall-clock start of the first call
    last: float = 0.0  # wall-clock end of the last successful call


def writer(writes: list[tuple[int, int]], run: str, tally: Tally, lock: threading.Lock) -> None:
    """Write each (index, connection id) once, putting a throttled write back for its time."""
    from connectors.base import ConnectorError, EventDraft
    from connectors.google.client import build
    from connectors.http import is_throttle
    from connectors.models import Connection

    connections = {pk: Connection.objects.get(pk=pk) for pk in {c for _, c in writes}}
    due = [(0.0, index, pk) for index, pk in writes]
    heapq.heapify(due)
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    while due:
        not_before, index, pk = heapq.heappop(due)
        time.sleep(max(0.0, not_before - time.time()))
        slot = start + timedelta(minutes=30 * index)
        draft = EventDraft(
            booking_id=f"{run}-{index}",
            summary="Consultation",
            start=slot,
            end=slot + timedelta(minutes=30),
            time_zone="Europe/Berlin",
            source_tag="quota-bench",
        )
        began = time.time()
        with lock:
            tally.first = min(tally.first, began)
        try:
            build(connections[pk]).create_event("primary", draft)
        except ConnectorError as exc:
            if is_throttle(exc):
                heapq.heappush(due, (time.time() + float(exc.retry_after or 1.0), index, pk))
                with lock:
                    tally.requeued += 1
                continue
            with lock:
                tally.errors[exc.code or "error"] = tally.errors.get(exc.code or "error", 0) + 1
            continue
        with lock:
            tally.done += 1
            tally.last = max(tally.last, time.time())


def worker(
    writes: list[tuple[int, int]], threads: int, run: str, out: multiprocessing.Queue
) -> None:
    import django

    django.setup()
    tally, lock = Tally(), threading.Lock()
    parts = [writes[i::threads] for i in range(threads)]
    pool = [threading.Thread(target=writer, args=(p, run, tally, lock)) for p in parts if p]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(tally.__dict__)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--writes", type=int, default=5000)
    parser.add_argument("--quota", type=int, default=1000, help="calls a minute per project")
    parser.add_argument("--workers", type=int, default=4, help="writer processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per writer process")
    parser.add_argument("--users", type=int, default=10, help="Google users written to")
    parser.add_argument("--emulator-workers", type=int, default=2)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL): the emulator and the writers share it")
    port = free_port()
    env = environment(port, args.quota)
    os.environ.update(env)
    python = sys.executable
    import subprocess

    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
    server = emulator_server(ROOT, python, port, args.emulator_workers, env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        import django

        django.setup()
        from django.db import connections

        ids = setup(args.users)
        project = f"http://127.0.0.1:{port}/emulators/google/_emulator/calendar/project"
        requests.delete(project, timeout=10).raise_for_status()
        requests.post(project, json={"quota_per_minute": args.quota}, timeout=10)
        connections.close_all()  # the writers open their own

        run = uuid.uuid4().hex[:8]
        writes = [(i, ids[i % len(ids)]) for i in range(args.writes)]
        out: multiprocessing.Queue = multiprocessing.Queue()
        context = multiprocessing.get_context("fork")
        procs = [
            context.Process(target=worker, args=(writes[w :: args.workers], args.threads, run, out))
            for w in range(args.workers)
        ]
        print(
            f"{args.writes} writes, quota {args.quota}/min, {args.workers} workers x "
            f"{args.threads} threads, {args.users} users; load {os.getloadavg()}",
            flush=True,
        )
        for proc in procs:
            proc.start()
        tallies = [out.get() for _ in procs]
        for proc in procs:
            proc.join()
        stats = requests.get(project, timeout=10).json()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    done = sum(t["done"] for t in tallies)
    requeued = sum(t["requeued"] for t in tallies)
    errors: dict[str, int] = {}
    for t in tallies:
        for code, n in t["errors"].items():
            errors[code] = errors.get(code, 0) + n
    drain = max(t["last"] for t in tallies) - min(t["first"] for t in tallies)
    window_bound = ((args.writes - 1) // args.quota) * 60.0
    steady = args.writes / args.quota * 60.0
    print(f"written {done}/{args.writes}, errors {errors or 'none'}, requeued {requeued} times")
    print(
        f"calls over quota (refused by the emulator): {stats['refused'] + stats['user_refused']}"
        f" (project {stats['refused']}, per user {stats['user_refused']}); "
        f"calls the emulator saw: {stats['api_calls']}"
    )
    ratio = f"{drain / window_bound:.3f}" if window_bound else "n/a"
    print(
        f"drain {drain:.1f} s; sliding-window minimum {window_bound:.0f} s (x {ratio}); "
        f"steady-rate minimum N/Q = {steady:.0f} s (x {drain / steady:.3f}); "
        f"load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
