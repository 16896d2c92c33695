"""Lead-to-CRM CPU, capacity and latency on real processes, this tree against an older commit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/lead_sync.py [--against 9709755] [--rounds 2] \
        [--fresh-databases]

For each tree (this checkout, and ``--against``'s commit unpacked with ``git archive`` into a
temporary folder: no worktree is added to the repository), in turns that alternate which
tree goes first, a child run starts that tree's gunicorn, a second gunicorn for the vendor
emulators (the vendor is another machine in production), and Celery workers, all with the
tree as their working directory and the same virtualenv, PostgreSQL server and Redis database
(flushed before each run; the older tree gets its own database, ``<name>_base``). Each run:
1. peak intake throughput of ``POST /api/v1/leads`` against a bare Django view that only
   inserts a row, and against the seed article's direct-call view (``agency/bench.py``: the
   CRM is called inside the request); printed, not a bar;
2. CPU per synced lead by component (web, workers, emulator, PostgreSQL, Redis, from /proc)
   and lead-to-CRM p50 / p99 at a steady ``--rate`` (25/s) against the HubSpot emulator;
3. capacity: the highest steady rate whose p99 stays under 500 ms with every lead synced, in
   ``--capacity-step`` steps, the gap at the first failed step then halved ``--capacity-refine``
   times.
The summary prints this tree's figures over the older one's against issue 16's bars (CPU per
lead <= 1.25x, capacity >= 0.8x, p99 < 100 ms at 25/s). Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from lead_stack import (  # noqa: E402  (this folder, whichever tree the run serves)
    COMPONENTS,
    celery_worker,
    cpu_seconds,
    emulator_server,
    free_port,
    gunicorn,
    print_cpu,
    wait_healthy,
)

RESULT_PREFIX = "RESULT "
P99_BOUND_MS = 500.0


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


def setup_tenants(clients: int) -> tuple[list[str], list[int], str]:
    """``clients`` clients, each with its own HubSpot account in the emulator, and one client
    with no CRM connection (its leads are stored and parked: intake cost only). Returns the
    connected clients' API keys and connection ids, and the parked client's key.

    HubSpot allows 110 calls per 10 s per account and a lead costs about six calls, so a
    steady 50 leads/s is only possible spread over many clients, as it is in production.
    """
    if Path("emulators/crm/control.py").exists():  # the tree is the working directory
        from emulators.crm import control
    else:  # trees before the emulators became their own app
        from connectors.emulators.crm import control  # type: ignore[no-redef]
    from tenants.models import Agency, ApiKey, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    keys, connections = [], []
    for i in range(clients):
        client = Client.objects.create(
            agency=agency, name=f"Synced {i}", slug=f"synced-{i}", crm_provider="hubspot"
        )
        connections.append(control.connect_client(client, "hubspot", f"bench-{tag}-{i}").pk)
        keys.append(ApiKey.issue(client=client, name="bench")[1])
    parked = Client.objects.create(
        agency=agency, name="Parked", slug="parked", crm_provider="hubspot"
    )
    return keys, connections, ApiKey.issue(client=parked, name="parked")[1]


def lead_body(n: int, run: str) -> dict:
    """Lead ``n``: a person of its own, so the duplicate check (which takes one digit or letter
    apart for a typo) holds none of them: a phone from ``n``'s five digits and their sum's
    last digit (any two differ in at least two digits), a name spelt from ``n`` in letters."""
    digits = f"{n % 100_000:05d}"
    check = sum(int(d) for d in digits) % 10
    letters = "".join(chr(ord("a") + int(d) * 2 + (i % 2)) for i, d in enumerate(digits))
    return {
        "name": f"{letters.title()} Bench",
        "email": f"p{n}.{run}@bench.example",
        "phone": f"+1 415 5{digits[:2]} {digits[2:]}{check}",
        "lead_score": 30,
        "intent": "question",
        "conversation_summary": "Benchmark lead.",
        "chatbot_session_id": f"{run}-{n}",
    }


def throughput(url, make_body, headers: dict, seconds: float, threads: int) -> float | None:
    """Requests per second with ``threads`` keep-alive clients hammering ``url(n)``; None
    when the tree has no such view (404)."""
    stop = time.monotonic() + seconds
    counts = [0] * threads
    missing = []

    def run(i: int) -> None:
        session = requests.Session()
        n = 0
        while time.monotonic() < stop and not missing:
            number = i * 10_000_000 + n
            response = session.post(url(number), json=make_body(number), headers=headers,
                                    timeout=30)  # fmt: skip
            if response.status_code == 404:
                missing.append(url(number))
                return
            if response.status_code >= 300:
                raise RuntimeError(f"{url(number)}: {response.status_code} {response.text[:200]}")
            n += 1
        counts[i] = n

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return None if missing else sum(counts) / (time.monotonic() - started)


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


LEADS_SENT = [0]  # every steady lead of a run is a person of its own (``lead_body``)


def steady(base: str, keys: list[str], rate: float, seconds: float, run: str) -> list[str]:
    """Post new leads at a fixed rate; returns the event ids."""
    total = int(rate * seconds)
    first = LEADS_SENT[0]
    LEADS_SENT[0] += total
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
        if response.status_code == 202:
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

    sent = [event_id for event_id in event_ids if event_id]  # "" where the post failed
    jobs = SyncJob.objects.filter(event__public_id__in=sent)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and jobs.exclude(status=JobStatus.SYNCED).exists():
        time.sleep(0.5)
    done = jobs.filter(status=JobStatus.SYNCED).values_list("event__received_at", "finished_at")
    values = [(finished - received).total_seconds() * 1000 for received, finished in done]
    return values, jobs.exclude(status=JobStatus.SYNCED).count() + len(event_ids) - len(sent)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def measure_intake(base: str, keys, connections, parked_key, run, args, cpu) -> dict:
    """Phase 1: the intake's peak throughput beside the bare and the direct-call views."""
    variants = {
        "bare": (lambda n: f"{base}/bench/insert-row", lambda n: {}, {}),
        "direct": (
            lambda n: f"{base}/bench/direct-lead/{connections[n % len(connections)]}",
            lambda n: lead_body(n, run + "d"),
            {},
        ),
        "parked": (
            lambda n: f"{base}/api/v1/leads",
            lambda n: lead_body(n, run + "t"),
            {"Authorization": f"Bearer {parked_key}"},
        ),
        "connected": (
            lambda n: f"{base}/api/v1/leads",
            lambda n: lead_body(n, run + "c"),
            {"Authorization": f"Bearer {keys[0]}"},
        ),
    }
    rates: dict[str, float | None] = {}
    for name, (url, body, headers) in variants.items():
        before = cpu()
        rates[name] = rate = throughput(url, body, headers, args.throughput_seconds, args.threads)
        after = cpu()
        shown = "n/a (no such view in this tree)" if rate is None else f"{rate:8.1f} req/s"
        print(f"{name + ':':24} {shown}")
        if rate is not None:
            print_cpu("request", before, after, int(rate * args.throughput_seconds))
    bare, direct, parked = rates["bare"], rates["direct"], rates["parked"]
    print(f"intake / bare insert view:  {parked / bare:6.2f}  (parked; printed, not a bar)")
    print(f"intake / bare insert view:  {rates['connected'] / bare:6.2f}  (connected)")
    if direct:
        print(f"intake / direct-call view:  {rates['connected'] / direct:6.2f}  (connected)")
    withdraw_jobs(run + "c")
    return rates


def measure_steady(base: str, keys, rate: float, seconds: float, run: str, cpu) -> dict:
    """Leads at ``rate`` for ``seconds``: latency, unfinished leads, CPU per lead by part."""
    before = cpu()
    ids = steady(base, keys, rate, seconds, run)
    values, unfinished = latencies(ids, timeout=60 + seconds)
    after = cpu()
    parts = {}
    if before and after and ids:
        parts = {c: (after[c] - before[c]) * 1000 / len(ids) for c in COMPONENTS}
    return {
        "rate": rate, "leads": len(ids), "unfinished": unfinished,
        "p50": pct(values, 0.50), "p99": pct(values, 0.99), "cpu": parts,
    }  # fmt: skip


def measure_capacity(base: str, keys, args, run: str, cpu) -> float:
    """The highest rate whose p99 stays under 500 ms with nothing unfinished: steps of
    ``--capacity-step`` up to the first that fails, then ``--capacity-refine`` halvings of the
    gap between the last rate that held and the first that did not. A 5/s step is about a
    seventh of a 2-core host's capacity, coarser than the bar's margin; the halvings bring it
    to 1.25/s for both trees alike."""

    def holds(rate: float) -> bool:
        step = measure_steady(base, keys, rate, args.capacity_seconds, f"{run}r{rate:g}", cpu)
        spent = sum(step["cpu"].values())  # the step's CPU ms per lead, all components
        print(f"  capacity step {rate:5.2f}/s: p99 {step['p99']:8.1f} ms, "
              f"{step['unfinished']} unfinished, CPU {spent:.1f} ms/lead")  # fmt: skip
        return not step["unfinished"] and step["p99"] < P99_BOUND_MS

    best, failed = 0.0, None
    rate = args.capacity_start
    while rate <= args.capacity_max:
        if not holds(rate):
            failed = rate
            break
        best = rate
        rate += args.capacity_step
    for _ in range(args.capacity_refine if failed is not None else 0):
        middle = (best + (failed or 0.0)) / 2
        if holds(middle):
            best = middle
        else:
            failed = middle
    print(f"capacity (p99 < {P99_BOUND_MS:.0f} ms): {best:g} leads/s")
    return best


def run_tree(args: argparse.Namespace) -> dict:
    """One tree's run (the child process): start its stack, measure, stop it."""
    tree = Path(args.tree).resolve()
    sys.path.insert(0, str(tree))
    os.chdir(tree)
    port, vendor_port = free_port(), free_port()
    env = environment(port, vendor_port)
    os.environ.update(env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=tree, env=env,
                   check=True)  # fmt: skip
    import django

    django.setup()
    from django.conf import settings

    flush_redis(settings.REDIS_URL)
    keys, connections, parked_key = setup_tenants(args.clients)
    vacuum()
    web = gunicorn(tree, python, port, args.web_workers, env, args.web_threads)
    emulator = emulator_server(tree, python, vendor_port, args.emulator_workers, env)
    procs = [web, emulator]
    roots = {"web": [web.pid], "emulator": [emulator.pid], "workers": []}
    database = str(settings.DATABASES["default"]["NAME"])

    def cpu() -> dict[str, float] | None:
        return cpu_seconds(roots, database)

    base = f"http://127.0.0.1:{port}"
    result: dict = {"tree": str(tree)}
    try:
        wait_healthy(base)
        wait_healthy(f"http://127.0.0.1:{vendor_port}")
        run = uuid.uuid4().hex[:6]
        result["throughput"] = measure_intake(base, keys, connections, parked_key, run, args, cpu)
        workers = [
            celery_worker(tree, python, i, args.concurrency, args.pool, env)
            for i in range(args.workers)
        ]
        roots["workers"] = [w.pid for w in workers]
        procs += workers
        time.sleep(4)
        # Warm-up (not measured): every pool process opens its database, Redis and vendor
        # connections on its first jobs; the figures below are for a running system.
        latencies(steady(base, keys, args.rate, args.warmup_seconds, run + "w"), timeout=120)
        vacuum()  # the warm-up's tables get statistics, as autovacuum would give them
        result["steady"] = step = measure_steady(base, keys, args.rate, args.seconds, run, cpu)
        print(f"steady {args.rate:g}/s: {step['leads']} leads, {step['unfinished']} unfinished, "
              f"p50 {step['p50']:.1f} ms, p99 {step['p99']:.1f} ms")  # fmt: skip
        if step["cpu"]:
            shown = ", ".join(f"{c} {ms:.1f}" for c, ms in step["cpu"].items())
            print(f"  CPU ms per lead: {sum(step['cpu'].values()):.1f} ({shown})")
        result["capacity"] = measure_capacity(base, keys, args, run, cpu)
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return result


def flush_redis(url: str) -> None:
    """Empty this run's Redis database: the other tree's messages and cache must not count."""
    import redis

    if url:
        redis.Redis.from_url(url).flushdb()


def unpack(commit: str) -> Path:
    """``commit``'s tree in a temporary folder (``git archive``; the repository is unchanged)."""
    target = Path(tempfile.gettempdir()) / f"switchboard-bench-{commit}"
    if not (target / "manage.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit],
                                 check=True, capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def other_database(url: str, suffix: str) -> str:
    """``url`` naming database ``<name><suffix>`` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}{suffix}"))


def fresh_database(url: str, *, drop: bool) -> None:
    """Create ``url``'s database (PostgreSQL) if missing; with ``drop`` (``--fresh-databases``)
    drop it first, so every turn starts from an empty one.

    Each turn leaves some 5,000 events, jobs, people and emulated CRM records behind; kept,
    every later turn starts from larger tables and indexes than the one before, and only the
    alternation of the turns evens that out. Not for SQLite, which the stack's several processes
    do not use here."""
    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def child(tree: Path, database_url: str, argv: list[str]) -> dict:
    """Run one tree in a process of its own (its own Django, its own imports)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, str(HERE / "lead_sync.py"), "--tree", str(tree), *argv]
    result = {}
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout or ():
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX) :])
            elif line.strip():
                print(f"  | {line}", end="", flush=True)
    if proc.returncode:
        print(f"  | the run of {tree} failed ({proc.returncode}); left out", flush=True)
    return result


def summary(runs: dict[str, list[dict]], rate: float) -> None:
    """This tree over the older one, against issue 16's bars."""

    def mean(name: str, pick) -> float:
        return statistics.mean(pick(r) for r in runs[name])

    def cpu(r: dict) -> float:
        return sum(r["steady"]["cpu"].values())

    runs = {name: results for name, results in runs.items() if results}
    for name in runs:
        parts = {c: mean(name, lambda r, c=c: r["steady"]["cpu"][c]) for c in COMPONENTS}
        shown = ", ".join(f"{c} {v:.1f}" for c, v in parts.items())
        print(f"{name}: CPU ms per synced lead {sum(parts.values()):.1f} ({shown}); "
              f"capacity {mean(name, lambda r: r['capacity']):.1f}/s; at {rate:g}/s p50 "
              f"{mean(name, lambda r: r['steady']['p50']):.1f} ms, p99 "
              f"{mean(name, lambda r: r['steady']['p99']):.1f} ms")  # fmt: skip
    if len(runs) == 2:
        head, base = runs
        print(
            f"CPU per lead, {head} / {base}: {mean(head, cpu) / mean(base, cpu):.2f}  (bar <= 1.25)"
        )
        ours, theirs = (mean(n, lambda r: r["capacity"]) for n in (head, base))
        shown = f"{ours / theirs:.2f}" if theirs else "n/a (no step met the bound in either)"
        print(f"capacity, {head} / {base}:     {shown}  (bar >= 0.8)")
    p99 = mean(next(iter(runs)), lambda r: r["steady"]["p99"])
    print(f"p99 at {rate:g}/s, this tree: {p99:.1f} ms  (bar < 100 ms)")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--against", default="9709755", help="commit to compare with ('' for this tree only)")
    add("--rounds", type=int, default=1, help="turns per tree, alternating which goes first")
    add("--tree", help=argparse.SUPPRESS)  # a child run's tree
    add(
        "--fresh-databases",
        dest="fresh",
        action="store_true",
        help="drop and create each tree's database before each of its turns (it is emptied!)",
    )
    add("--rate", type=float, default=25.0, help="steady leads per second")
    add("--seconds", type=float, default=20.0, help="length of the steady phase")
    add("--capacity-start", type=float, default=25.0)
    add("--capacity-step", type=float, default=5.0)
    add("--capacity-max", type=float, default=80.0)
    add("--capacity-seconds", type=float, default=10.0)
    add("--capacity-refine", type=int, default=2, help="halvings after the first failed step")
    add("--throughput-seconds", type=float, default=6.0)
    add("--warmup-seconds", type=float, default=3.0, help="unmeasured leads first")
    add("--threads", type=int, default=16, help="clients in the throughput phase")
    add("--workers", type=int, default=2, help="Celery worker processes")
    add("--concurrency", type=int, default=6, help="processes per worker")
    add("--pool", default="prefork", help="Celery pool: prefork or threads")
    add("--clients", type=int, default=50, help="clients sharing the load")
    add("--web-workers", type=int, default=3)
    add("--web-threads", type=int, default=4, help="threads per web worker (1: sync workers)")
    add("--emulator-workers", type=int, default=2)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.tree:
        print(RESULT_PREFIX + json.dumps(run_tree(args)))
        return
    forwarded = [a for a in sys.argv[1:] if a not in ("--against", args.against, "--rounds",
                                                      str(args.rounds))]  # fmt: skip
    trees = {"this tree": (ROOT, os.environ["DATABASE_URL"])}
    if args.against:
        trees[args.against] = (
            unpack(args.against),
            other_database(os.environ["DATABASE_URL"], "_base"),
        )
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for turn in range(args.rounds):
        order = list(trees) if turn % 2 == 0 else list(reversed(trees))
        for name in order:
            tree, url = trees[name]
            print(f"== turn {turn + 1}, {name} ({tree}) ==", flush=True)
            fresh_database(url, drop=args.fresh)
            result = child(tree, url, forwarded)
            if result.get("steady"):
                runs[name].append(result)
    summary(runs, args.rate)


if __name__ == "__main__":
    main()
