"""Long-polls against the shipped web server: do ``/healthz`` and the intake stay fast?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/long_poll.py [--pollers 200] [--seconds 30]

Starts gunicorn exactly as ``docker/Dockerfile`` does (``-c python:agency.gunicorn_conf``,
``--workers`` from ``WEB_CONCURRENCY``, default 3) and no Celery worker, so every posted lead
stays ``accepted`` and a ``?wait=30`` on it waits its full 30 s. Then:
1. idle: ``GET /healthz`` and ``POST /api/v1/leads`` are timed, one request at a time;
2. loaded: ``--pollers`` clients each keep a ``GET /api/v1/events/{id}?wait=30`` open (spread
   over ``--keys`` API keys; an answer with ``Retry-After`` is asked again after that delay,
   as the API documents), and the same two requests are timed again.
It prints p50/p99 of each phase and the loaded p99 over the idle p99 (the bar: at most 2).
``--worker-class sync`` runs the pre-fix configuration for comparison. Figures only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lead_sync import environment, free_port, lead_body, wait_healthy  # noqa: E402

TIMED = ("GET /healthz", "POST /api/v1/leads")


def setup_clients(keys: int) -> list[tuple[str, str]]:
    """``keys`` clients, each with an active CRM connection (so leads stay ``accepted`` with no
    worker running) and an API key; returns (key, event to wait on) per client."""
    from connectors.models import Connection
    from syncs.intake.services import event_create
    from syncs.models import EventKind
    from tenants.models import Agency, ApiKey, Client

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(name=f"Long poll {tag}", slug=f"long-poll-{tag}")
    found = []
    for i in range(keys):
        client = Client.objects.create(
            agency=agency, name=f"Poller {i}", slug=f"poller-{i}", crm_provider="hubspot"
        )
        Connection.objects.create(client=client, provider="hubspot", kind="crm")
        event = event_create(
            client=client, kind=EventKind.LEAD_CAPTURED, payload=lead_body(i, f"lp-{tag}")
        )
        found.append((ApiKey.issue(client=client, name="long-poll")[1], str(event.public_id)))
    return found


def web_server(port: int, workers: int, worker_class: str, env: dict) -> subprocess.Popen:
    """gunicorn as the Dockerfile runs it: the shipped configuration, workers given."""
    command = [sys.executable, "-m", "gunicorn", "agency.wsgi:application"]
    command += ["-c", "python:agency.gunicorn_conf"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    if worker_class == "sync":  # the configuration before the fix, for comparison
        command += ["--worker-class", "sync", "--threads", "1"]
    # Its access log (one line a request, as shipped) goes to a file, not over the figures.
    log = open(ROOT / "var" / "long_poll-gunicorn.log", "wb")  # noqa: SIM115 (lives with it)
    return subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )


def timed(base: str, key: str, seconds: float, interval: float, run: str) -> dict[str, list]:
    """Milliseconds of each TIMED request, one of each every ``interval`` s for ``seconds``."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {key}"}
    found: dict[str, list[float]] = {name: [] for name in TIMED}
    stop = time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop:
        started = time.monotonic()
        response = session.get(f"{base}/healthz", timeout=60)
        found[TIMED[0]].append((time.monotonic() - started) * 1000)
        assert response.ok, response.status_code
        started = time.monotonic()
        response = session.post(
            f"{base}/api/v1/leads", json=lead_body(n, run), headers=headers, timeout=60
        )
        found[TIMED[1]].append((time.monotonic() - started) * 1000)
        assert response.status_code == 202, response.text[:200]
        n += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return found


class Pollers:
    """Clients that each keep one ``?wait=30`` open, honouring Retry-After between asks."""

    def __init__(self, base: str, targets: list[tuple[str, str]], count: int) -> None:
        self.base, self.targets, self.count = base, targets, count
        self.stopping = threading.Event()
        self.answers: dict[str, int] = {"waited": 0, "answered at once": 0, "errors": 0}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(count)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def run(self, index: int) -> None:
        key, event_id = self.targets[index % len(self.targets)]
        session = requests.Session()
        url = f"{self.base}/api/v1/events/{event_id}?wait=30"
        while not self.stopping.is_set():
            try:
                response = session.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
            except requests.RequestException:
                self.count_answer("errors")
                continue
            retry = response.headers.get("Retry-After")
            self.count_answer("answered at once" if retry else "waited")
            if response.status_code != 200:
                self.count_answer("errors")
            self.stopping.wait(float(retry or 0))

    def count_answer(self, name: str) -> None:
        with self.lock:
            self.answers[name] += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, values: list[float]) -> str:
    return (
        f"{name:<20} n={len(values):4d}  p50 {statistics.median(values):7.1f} ms  "
        f"p99 {percentile(values, 0.99):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pollers", type=int, default=200, help="concurrent ?wait=30 clients")
    parser.add_argument("--keys", type=int, default=10, help="API keys the pollers share")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--interval", type=float, default=0.1, help="s between timed pairs")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3")))
    parser.add_argument("--worker-class", choices=("shipped", "sync"), default="shipped")
    args = parser.parse_args()

    port = free_port()
    env = environment(port, free_port())
    os.environ.update(env)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from django.conf import settings

    from agency.celery import app

    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"gunicorn: {args.workers} workers, {args.worker_class} settings, "
        f"waits per key {settings.SYNC_WAIT_MAX_PER_KEY}, "
        f"per process {settings.SYNC_WAIT_MAX_PER_PROCESS}"
    )
    targets = setup_clients(args.keys)
    base = f"http://127.0.0.1:{port}"
    web = web_server(port, args.workers, args.worker_class, env)
    run = uuid.uuid4().hex[:6]
    try:
        wait_healthy(base)
        timed(base, targets[0][0], 2.0, args.interval, run + "w")  # warm-up, not counted
        idle = timed(base, targets[0][0], args.seconds, args.interval, run + "i")
        pollers = Pollers(base, targets, args.pollers)
        pollers.start()
        time.sleep(2.0)  # every poller has asked once
        loaded = timed(base, targets[0][0], args.seconds, args.interval, run + "l")
        pollers.stop()
    finally:
        web.terminate()
        web.wait(timeout=60)
        app.control.purge()  # the posted leads' messages: no worker will take them
    print(f"idle ({args.seconds:.0f} s):")
    for name in TIMED:
        print("  " + report(name, idle[name]))
    print(f"with {args.pollers} pollers of ?wait=30 over {args.keys} keys:")
    for name in TIMED:
        print("  " + report(name, loaded[name]))
    print(f"  poller answers: {pollers.answers}")
    for name in TIMED:
        ratio = percentile(loaded[name], 0.99) / percentile(idle[name], 0.99)
        print(f"p99 {name}: loaded / idle = {ratio:.2f} (bar: <= 2)")


if __name__ == "__main__":
    main()
