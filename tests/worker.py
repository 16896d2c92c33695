"""A real Celery worker process for integration tests.

The worker runs the project's own code in its own process, against the same database the test
run uses (the test database, committed by ``transactional_db`` tests) and the same broker
(the filesystem broker of the embedded default, or Redis when ``REDIS_URL`` is set).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import requests
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


def start_worker(concurrency: int = 2, name: str = "test", **env: str) -> subprocess.Popen:
    """Start ``celery worker`` in its own process group and return at once (see ``worker_ready``).

    The kill storm restarts nodes without waiting for them, as a supervisor would; other tests
    use ``celery_worker``, which waits.
    """
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
    return spawn(cmd, worker_log(name), **env)


def spawn(cmd: list[str], log: Path, **env: str) -> subprocess.Popen:
    """``cmd`` in its own process group (killable as a whole), output to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=worker_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def worker_log(name: str) -> Path:
    return settings.VAR_DIR / f"worker-{name}.log"


def worker_ready(name: str) -> bool:
    """The node called ``name`` has connected to the broker and consumes (its log says so)."""
    log = worker_log(name)
    return log.exists() and b"ready" in log.read_bytes()


def pool_children(pid: int) -> list[int]:
    """The prefork pool processes of the worker node ``pid`` (its child processes; Linux)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL of the whole process group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started with ``start_new_session`` and all its children."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextmanager
def celery_worker(
    concurrency: int = 2, name: str = "test", **env: str
) -> Iterator[subprocess.Popen]:
    """Start ``celery worker``; wait until it answers; stop it on exit."""
    proc = start_worker(concurrency, name, **env)
    try:
        wait_for(lambda: worker_ready(name) or proc.poll() is not None, timeout=60)
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{worker_log(name).read_text()[-3000:]}")
        yield proc
    finally:
        stop(proc)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def web_server(workers: int = 2, threads: int = 4, name: str = "web", **env: str) -> Iterator[str]:
    """The product in gunicorn, as deployed, against the test database; yields its base URL.

    For load the in-process ``live_server`` cannot carry: it is one Python process (one core
    at most, shared with the test itself), while gunicorn's workers are separate processes.
    """
    port = free_port()
    log = settings.VAR_DIR / f"gunicorn-{name}.log"
    cmd = [
        *(sys.executable, "-m", "gunicorn", "agency.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)),
        *("--worker-class", "gthread", "--log-level", "warning"),
    ]
    proc = spawn(cmd, log, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, log, timeout=60)
        yield base
    finally:
        stop(proc)


def wait_until_up(
    proc: subprocess.Popen, base: str, log: Path, timeout: float, interval: float = 0.2
) -> None:
    """Wait until ``base``/healthz answers OK; if ``proc`` exits first, RuntimeError with the
    tail of its ``log``."""

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()[-4000:]}")
        try:
            return requests.get(f"{base}/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    wait_for(up, timeout=timeout, interval=interval)


def wait_for(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.1) -> object:
    """Poll until ``predicate`` is truthy; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
