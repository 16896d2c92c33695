"""Where a lead's CPU goes, in one process: N leads through the intake view, then their N
sync jobs run by the worker code against the HubSpot emulator, on this tree or an older one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_perf REDIS_URL=redis://127.0.0.1:6379/6 \
        .venv/bin/python benchmarks/profile_lead.py [--tree /tmp/switchboard-bench-9709755] \
        [--leads 300] [--profile intake|jobs] [--queries]

The intake goes through Django's test client (every middleware, DRF, PostgreSQL and Redis;
the jobs' messages are sent to the Redis broker and left there); the jobs are run by the
tree's ``sync_job_run`` in this process against the emulators in their own gunicorn. Prints,
per lead and for each phase: CPU ms of this process (``time.process_time``), SQL statements
(``CaptureQueriesContext``) and Redis commands sent. ``--queries`` also prints the statements
of one lead of each phase, grouped; ``--profile`` prints cProfile's top functions of a phase.
Figures only: nothing here asserts. A warm-up of 20 leads is not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lead_stack import emulator_server, free_port, wait_healthy  # noqa: E402

REDIS_SENT = [0]


def count_redis() -> None:
    """Count the commands (pipelines as one round trip) redis-py sends, for the figures."""
    from redis.connection import Connection

    original = Connection.send_packed_command

    def send(self, command, check_health=True):  # type: ignore[no-untyped-def]
        REDIS_SENT[0] += 1
        return original(self, command, check_health)

    Connection.send_packed_command = send  # type: ignore[method-assign]


def backend_cpu(connection) -> float | None:  # type: ignore[no-untyped-def]
    """CPU seconds the PostgreSQL backend serving ``connection`` has used (from /proc: the
    server runs on this host in the benchmarks); None when it cannot be read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def shape(sql: str) -> str:
    """A statement with its literals and placeholders blanked, to group repeats."""
    sql = re.sub(r"'[^']*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return sql[:160]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", default=str(HERE.parent))
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--profile", choices=("intake", "jobs"), default=None)
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", default="", help="write the phase's cProfile stats here")
    args = parser.parse_args()
    tree = Path(args.tree).resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    from lead_sync import environment, flush_redis, lead_body, setup_tenants

    port, vendor_port = free_port(), free_port()
    env = environment(port, vendor_port)
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=tree,
                   env=env, check=True)  # fmt: skip
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from syncs.models import AiEvent, SyncJob

    # By file, not by ImportError: the virtualenv's editable install would find a module the
    # older tree lacks in the main checkout.
    if (tree / "syncs" / "engine" / "runs.py").exists():
        from syncs.engine.runs import sync_job_run
    else:  # trees before the engine package
        from syncs.services import sync_job_run  # type: ignore[no-redef]

    keys, _, _ = setup_tenants(20)
    # After the setup: the tombstones its new rows left in the cache (a connection's lasts
    # seconds, connectors.connection_cache) are gone, as on a system running for minutes.
    flush_redis(settings.REDIS_URL)
    count_redis()
    emulator = emulator_server(tree, sys.executable, vendor_port, 1, env)
    run = uuid.uuid4().hex[:6]
    web = Client(HTTP_HOST="127.0.0.1")
    sent = [0]

    def post(n: int) -> str:
        response = web.post(
            "/api/v1/leads",
            lead_body(sent[0], run),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {keys[n % len(keys)]}",
        )
        sent[0] += 1
        assert response.status_code == 202, response.content
        return response.json()["id"]

    def jobs_of(ids: list[str]) -> list[int]:
        found = SyncJob.objects.filter(event__public_id__in=ids).order_by("pk")
        return list(found.values_list("pk", flat=True))

    def phase(name: str, items: list, action) -> list:  # type: ignore[no-untyped-def]
        out = []
        # CPU time, not wall: on a loaded host, waits for the database would otherwise dominate.
        profiler = cProfile.Profile(time.process_time) if args.profile == name else None
        redis_before = REDIS_SENT[0]
        pg_before = backend_cpu(connection)
        with CaptureQueriesContext(connection) as queries:
            start_cpu, start_wall = time.process_time(), time.monotonic()
            if profiler:
                profiler.enable()
            for item in items:
                out.append(action(item))
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - start_cpu, time.monotonic() - start_wall
        count = len(items)
        pg_after = backend_cpu(connection)
        pg = (
            "?"
            if pg_before is None or pg_after is None
            else f"{(pg_after - pg_before) * 1000 / count:.2f}"
        )
        print(f"{name}: {count} leads, CPU {cpu * 1000 / count:.2f} ms/lead "
              f"(wall {wall * 1000 / count:.2f}), SQL {len(queries) / count:.2f}/lead, "
              f"Redis {(REDIS_SENT[0] - redis_before) / count:.2f}/lead, "
              f"PostgreSQL CPU {pg} ms/lead")  # fmt: skip
        if args.queries:
            per = Counter(shape(q["sql"]) for q in queries.captured_queries)
            for sql, times in per.most_common():
                print(f"  {times / count:5.2f}  {sql}")
        if profiler and args.dump:
            profiler.dump_stats(args.dump)
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        return out

    try:
        wait_healthy(f"http://127.0.0.1:{vendor_port}")
        warm = [post(n) for n in range(20)]
        for job_id in jobs_of(warm):
            sync_job_run(job_id)
        ids = phase("intake", list(range(args.leads)), post)
        outcomes = phase("jobs", jobs_of(ids), sync_job_run)
        statuses = Counter(outcomes)
        events = Counter(AiEvent.objects.filter(public_id__in=ids).values_list("status", flat=True))
        print(f"job outcomes {dict(statuses)}; events {dict(events)}")
    finally:
        emulator.terminate()
        emulator.wait(timeout=20)
        flush_redis(settings.REDIS_URL)


if __name__ == "__main__":
    main()
