"""The product served as shipped (gunicorn with the Docker image's configuration) or by
runserver, in a subprocess whose output the test reads."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..worker import ROOT, free_port, spawn, stop, wait_until_up

GUNICORN_CONFIG = "python:agency.gunicorn_conf"
DOCKERFILE = ROOT / "docker" / "Dockerfile"


@contextmanager
def serving(kind: str, log: Path, **env: str) -> Iterator[str]:
    """``kind`` is ``gunicorn`` (the shipped config) or ``runserver``; yields the base URL."""
    port = free_port()
    if kind == "gunicorn":
        cmd = [sys.executable, "-m", "gunicorn", "agency.wsgi:application", "-c", GUNICORN_CONFIG]
        cmd += ["--bind", f"127.0.0.1:{port}", "--workers", "1"]
    else:
        cmd = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        cmd += ["--skip-checks"]
    proc = spawn(cmd, log, **env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, log, timeout=60)
        yield base
    finally:
        stop(proc)
