"""Lead-to-CRM latency and intake throughput, on real processes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/lead_sync.py [--rate 50] [--seconds 20]

Starts gunicorn for the product, a second gunicorn for the vendor emulators (the vendor is
another machine in production: it must not compete with the product for the same web workers),
and Celery workers, then:
1. peak intake throughput of ``POST /api/v1/leads`` and, in the same run, of a bare Django view
   that only inserts a row, printed as a ratio (goal >= 0.7);
2. p50/p99 latency from "event received" to "CRM record written" at a steady lead rate against
   the HubSpot emulator (goal p99 < 500 ms; the seed article's target is 5 s).
Each phase also prints the CPU time it cost per request or per lead, by component (web,
workers, emulator, PostgreSQL, Redis), read from /proc on Linux: that is where the time goes.
Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(port: int, vendor_port: int) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="agency.settings",
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY="benchmark-" + "x" * 40,
        EMULATORS_ENABLED="true",
        BENCHMARK_VIEWS="true",
        ALLOW_PRIVATE_URLS="true",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        VENDOR_BASE_URL=f"http://127.0.0.1:{vendor_port}/emulators",
        API_THROTTLE_RATE="1000000/min",
        LOG_LEVEL="WARNING",
        PORT=str(port),
    )
    return env


def setup_tenants(clients: int) -> tuple[list[str], str]:
    """``clients`` clients, each with its own HubSpot account in the emulator, and one client
    with no CRM connection (its leads are stored and parked: intake cost only).

    HubSpot allows 110 calls per 10 s per account and a lead costs about six calls, so a
    steady 50 leads/s is only possible spread over many clients, as it is in production.
    """

    from emulators.crm import control
    from tenants.models import Agency, ApiKey, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    keys = []
    for i in range(clients):
        client = Client.objects.create(
            agency=agency, name=f"Synced {i}", slug=f"synced-{i}", crm_provider="hubspot"
        )
        control.connect_client(client, "hubspot", f"bench-{tag}-{i}")
        keys.append(ApiKey.issue(client=client, name="bench")[1])
    parked = Client.objects.create(
        agency=agency, name="Parked", slug="parked", crm_provider="hubspot"
    )
    return keys, ApiKey.issue(client=parked, name="parked")[1]


def lead_body(n: int, run: str) -> dict:
    return {
        "name": f"Bench Person{n}",
        "email": f"p{n}.{run}@bench.example",
        "phone": f"+1 415 555 {n % 10000:04d}",
        "lead_score": 30,
        "intent": "question",
        "conversation_summary": "Benchmark lead.",
        "chatbot_session_id": f"{run}-{n}",
    }


def throughput(url: str, make_body, headers: dict, seconds: float, threads: int) -> float:
    """Requests per second with ``threads`` keep-alive clients hammering ``url``."""
    stop = time.monotonic() + seconds
    counts = [0] * threads

    def run(i: int) -> None:
        session = requests.Session()
        n = 0
        while time.monotonic() < stop:
            response = session.post(
                url, json=make_body(i * 10_000_000 + n), headers=headers, timeout=30
            )
            if response.status_code >= 300:
                raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
            n += 1
        counts[i] = n

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts) / (time.monotonic() - started)


def withdraw_jobs(session_prefix: str) -> None:
    """Drop the queued messages and mark the throughput phase's jobs dead, so neither the
    workers nor the sweeper send them to the emulator."""
    from agency.celery import app
    from syncs.models import JobStatus, SyncJob

    app.control.purge()
    SyncJob.objects.filter(event__session_id__startswith=session_prefix).update(
        status=JobStatus.DEAD
    )


def vacuum() -> str:
    """VACUUM ANALYZE the database (PostgreSQL), as autovacuum would; returns its setting.

    Autovacuum is off on some machines (this one's PostgreSQL ships with it off). Without it
    the throughput phase's tens of thousands of dead job and event rows, and every earlier
    run's, stay in the tables, and tables that were empty when last analysed keep plans made
    for empty tables (prepared statements keep theirs until an ANALYZE): the figures then
    describe the database's history, not the product. A production PostgreSQL vacuums and
    analyses on its own.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return "n/a"
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        setting = cursor.fetchone()[0]
        cursor.execute("VACUUM (ANALYZE)")
    return setting


def steady(
    base: str, keys: list[str], rate: float, seconds: float, run: str, first: int = 0
) -> list[str]:
    """Post leads ``first``, ``first + 1``, ... at a fixed rate; returns the event ids."""
    total = int(rate * seconds)
    ids: list[str] = [""] * total
    session_pool = threading.local()

    def send(n: int) -> None:
        session = getattr(session_pool, "s", None) or requests.Session()
        session_pool.s = session
        response = session.post(
            f"{base}/api/v1/leads",
            json=lead_body(first + n, run),
            timeout=30,
            headers={"Authorization": f"Bearer {keys[n % len(keys)]}"},
        )
        ids[n] = response.json()["id"]

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, n)
    return ids


def latencies(event_ids: list[str], timeout: float) -> tuple[list[float], int]:
    """Milliseconds from event received to CRM write, once every job is done (or timeout)."""
    from syncs.models import JobStatus, SyncJob

    jobs = SyncJob.objects.filter(event__public_id__in=event_ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and jobs.exclude(status=JobStatus.SYNCED).exists():
        time.sleep(0.5)
    done = jobs.filter(status=JobStatus.SYNCED).values_list("event__received_at", "finished_at")
    values = [(finished - received).total_seconds() * 1000 for received, finished in done]
    return values, jobs.exclude(status=JobStatus.SYNCED).count()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


COMPONENTS = ("web", "emulator", "workers", "postgres", "redis")


def cpu_seconds(roots: dict[str, list[int]], database: str) -> dict[str, float] | None:
    """CPU seconds (user + system) used so far by each component, from /proc; None elsewhere.

    A process counts for a component when it descends from one of that component's ``roots``
    (the gunicorns, the Celery workers); PostgreSQL backends count when they serve this run's
    ``database``, Redis always. Other work on the machine is left out. A backend that ended
    (a connection closed between two snapshots) is counted through the postmaster, which
    reaps it: its children's CPU (cutime, cstime) grows by the backend's whole life, and the
    part before the first snapshot was in that snapshot's live sum, so the difference is
    exact (backends of other databases that end in between count too). Counting live
    backends alone made PostgreSQL's figure drop, even below zero, when connections ended.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    names: dict[int, str] = {}
    reaped = 0.0  # CPU of the postmaster's ended children
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        spent[pid] = (int(fields[11]) + int(fields[12])) / tick
        names[pid] = cmdline
        if "bin/postgres" in cmdline.split(" ", 1)[0]:  # the postmaster
            reaped += (int(fields[13]) + int(fields[14])) / tick

    def component(pid: int) -> str | None:
        name = names[pid]
        if name.startswith("postgres:"):
            return "postgres" if f" {database} " in name else None
        if name.startswith("redis-server"):
            return "redis"
        while pid > 1:
            for label, pids in roots.items():
                if pid in pids:
                    return label
            pid = parents.get(pid, 1)
        return None

    totals = dict.fromkeys(COMPONENTS, 0.0)
    totals["postgres"] = reaped
    for pid, seconds in spent.items():
        label = component(pid)
        if label is not None:
            totals[label] += seconds
    return totals


def print_cpu(label: str, before: dict | None, after: dict | None, count: int) -> None:
    """CPU milliseconds per request (or lead) of each component between two snapshots."""
    if before is None or after is None or not count:
        return
    parts = {c: (after[c] - before[c]) * 1000 / count for c in COMPONENTS}
    shown = ", ".join(f"{c} {ms:.1f}" for c, ms in parts.items())
    print(f"  CPU ms per {label}: {sum(parts.values()):.1f} ({shown})")


# The emulators' own server runs without the product's middleware (agency/emulator_settings.py).
EMULATOR_SETTINGS = "agency.emulator_settings"


def emulator_server(python: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    """The vendor emulators in their own gunicorn, as another machine would serve the vendor."""
    return gunicorn(python, port, workers, {**env, "DJANGO_SETTINGS_MODULE": EMULATOR_SETTINGS})


def gunicorn(
    python: str, port: int, workers: int, env: dict[str, str], threads: int = 4
) -> subprocess.Popen:
    worker_class = "gthread" if threads > 1 else "sync"
    return subprocess.Popen(
        [
            *(python, "-m", "gunicorn", "agency.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--threads", str(threads), "--worker-class", worker_class, "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def celery_worker(
    python: str, index: int, concurrency: int, pool: str, env: dict
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(python, "-m", "celery", "-A", "agency", "worker", "--loglevel", "WARNING"),
            *("--concurrency", str(concurrency), "--hostname", f"bench{index}@%h"),
            *("--pool", pool),
            *("--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def wait_healthy(base: str) -> None:
    for _ in range(100):
        try:
            if requests.get(f"{base}/healthz", timeout=3).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="steady leads per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the steady phase")
    parser.add_argument("--throughput-seconds", type=float, default=8.0)
    parser.add_argument("--warmup-seconds", type=float, default=3.0, help="unmeasured leads first")
    parser.add_argument("--threads", type=int, default=16, help="clients in the throughput phase")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=6, help="processes per worker")
    parser.add_argument("--pool", default="prefork", help="Celery pool: prefork or threads")
    parser.add_argument("--clients", type=int, default=50, help="clients sharing the load")
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--web-threads", type=int, default=4, help="threads per web worker (1: sync workers)"
    )
    parser.add_argument("--emulator-workers", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=1, help="turns the throughput phase is split into"
    )
    parser.add_argument(
        "--skip-steady", action="store_true", help="only the throughput phase (no workers)"
    )
    args = parser.parse_args()

    port, vendor_port = free_port(), free_port()
    env = environment(port, vendor_port)
    os.environ.update(env)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from django.conf import settings

    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"broker: {settings.CELERY_BROKER_URL.split('://')[0]}"
    )
    keys, parked_key = setup_tenants(args.clients)
    vacuum()
    web = gunicorn(python, port, args.web_workers, env, args.web_threads)
    emulator = emulator_server(python, vendor_port, args.emulator_workers, env)
    procs = [web, emulator]
    roots = {"web": [web.pid], "emulator": [emulator.pid], "workers": []}
    database = str(settings.DATABASES["default"]["NAME"])

    def cpu() -> dict[str, float] | None:
        return cpu_seconds(roots, database)

    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        wait_healthy(f"http://127.0.0.1:{vendor_port}")
        run = uuid.uuid4().hex[:6]
        # The three are measured in turns (``--rounds``), so load from other processes on the
        # machine falls on each about equally; each figure is the mean of its turns.
        # A connected client's lead also publishes its job on commit (workers not started yet;
        # those jobs are withdrawn below so the steady phase measures only its own leads).
        variants = {
            "bare": (f"{base}/bench/insert-row", lambda n: {}, {}),
            "parked": (
                f"{base}/api/v1/leads",
                lambda n: lead_body(n, run + "t"),
                {"Authorization": f"Bearer {parked_key}"},
            ),
            "connected": (
                f"{base}/api/v1/leads",
                lambda n: lead_body(n, run + "c"),
                {"Authorization": f"Bearer {keys[0]}"},
            ),
        }
        rates: dict[str, list[float]] = {name: [] for name in variants}
        spent = {name: dict.fromkeys(COMPONENTS, 0.0) for name in variants}
        sent = dict.fromkeys(variants, 0)
        seconds = args.throughput_seconds / args.rounds
        for _ in range(args.rounds):
            for name, (url, body, headers) in variants.items():
                before = cpu()
                rates[name].append(throughput(url, body, headers, seconds, args.threads))
                after = cpu()
                sent[name] += int(rates[name][-1] * seconds)
                for component in COMPONENTS if before and after else ():
                    spent[name][component] += after[component] - before[component]
        bare, intake, connected = (statistics.mean(rates[name]) for name in variants)
        nothing = dict.fromkeys(COMPONENTS, 0.0)
        print(f"bare insert view:        {bare:8.1f} req/s (baseline)")
        print_cpu("request", nothing, spent["bare"], sent["bare"])
        print(f"POST /api/v1/leads:      {intake:8.1f} req/s  (parked: no CRM connection)")
        print_cpu("request", nothing, spent["parked"], sent["parked"])
        print(f"POST /api/v1/leads:      {connected:8.1f} req/s  (connected: job published)")
        print_cpu("request", nothing, spent["connected"], sent["connected"])
        print(f"intake / baseline ratio: {intake / bare:8.2f}   parked (goal >= 0.7)")
        print(f"intake / baseline ratio: {connected / bare:8.2f}   connected (goal >= 0.7)")
        if args.rounds > 1:
            # The spread of the turns' own ratios: how far this host's noise moves the figure.
            for name in ("parked", "connected"):
                turns = [r / b for r, b in zip(rates[name], rates["bare"], strict=True)]
                print(f"  {name} per turn: min {min(turns):.2f}, "
                      f"median {statistics.median(turns):.2f}, max {max(turns):.2f}")  # fmt: skip
        withdraw_jobs(run + "c")
        if args.skip_steady:
            return

        workers = [
            celery_worker(python, i, args.concurrency, args.pool, env) for i in range(args.workers)
        ]
        roots["workers"] = [w.pid for w in workers]
        procs += workers
        time.sleep(4)
        # Warm-up (not measured): every pool process opens its database, Redis and vendor
        # connections on its first jobs; the figures below are for a running system.
        warm = steady(base, keys, args.rate, args.warmup_seconds, run + "w")
        latencies(warm, timeout=120)
        # After the warm-up wrote its first people, records and calls: their tables then have
        # statistics, as autovacuum's ANALYZE would give them in a running system.
        print(f"vacuumed after the warm-up (autovacuum here: {vacuum()})")
        before = cpu()
        ids = steady(base, keys, args.rate, args.seconds, run, first=len(warm))
        values, unfinished = latencies(ids, timeout=120)
        after = cpu()
        print(f"steady phase: {len(ids)} leads at {args.rate:g}/s, {unfinished} unfinished")
        print_cpu("lead", before, after, len(ids))
        print(f"lead-to-CRM latency p50: {pct(values, 0.50):8.1f} ms")
        print(
            f"lead-to-CRM latency p99: {pct(values, 0.99):8.1f} ms   (goal < 500 ms; seed 5000 ms)"
        )
        if values:
            print(
                f"p99 / seed target ratio: {pct(values, 0.99) / 5000:8.3f}   "
                f"mean {statistics.mean(values):.1f} ms, max {max(values):.1f} ms"
            )
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
