"""A real Celery worker process for integration tests.

The worker runs the project's own code in its own process, against the same database the test
run uses (the test database, committed by ``transactional_db`` tests) and the same broker
(the filesystem broker of the embedded default, or Redis when ``REDIS_URL`` is set).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """A URL for the database the test run is using right now (the test database)."""
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = f":{conf['PORT']}" if conf.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{conf['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url(),
        SWITCHBOARD_VAR_DIR=str(settings.VAR_DIR),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def purge_broker() -> None:
    """Drop messages left by earlier runs so the worker only sees this run's tasks."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        shutil.rmtree(settings.BROKER_DIR / "queue", ignore_errors=True)
        (settings.BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    else:
        from agency.celery import app

        app.control.purge()


@contextmanager
def celery_worker(
    concurrency: int = 2, name: str = "test", **env: str
) -> Iterator[subprocess.Popen]:
    """Start ``celery worker``; wait until it answers; stop it on exit."""
    log = settings.VAR_DIR / f"worker-{name}.log"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "agency",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=worker_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: b"ready" in log.read_bytes() or proc.poll() is not None, timeout=60)
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()[-3000:]}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.1) -> object:
    """Poll until ``predicate`` is truthy; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
