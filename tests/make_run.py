"""`make run` as a newcomer runs it, for the tests that drive the product it starts.

The Makefile's own steps (migrate, seed, web + worker + beat) in a fresh shell's environment
(no DATABASE_URL, REDIS_URL or DEBUG) with an empty `var/`; stopped at the end as Ctrl-C stops
it, and checked that no process of it is left.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .worker import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-password-123"
DEMO_EMAIL = "demo@switchboard.local"
# What a fresh shell has not set: anything here would change what `make run` does.
NOT_SET_BY_A_NEWCOMER = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "EMULATORS_ENABLED",
    "VENDOR_BASE_URL",
    "PUBLIC_BASE_URL",
    "ALLOW_PRIVATE_URLS",
}


@dataclass
class Run:
    base: str
    log: Path
    env: dict[str, str]

    def printed(self, pattern: str) -> str:
        """The first group of ``pattern`` in what `make run` printed (the demo's key, ids)."""
        found = re.search(pattern, self.log.read_text())
        assert found, f"{pattern!r} not printed:\n{self.log.read_text()[-3000:]}"
        return found.group(1)

    @property
    def api_key(self) -> str:
        return self.printed(r"API key:\s+(sb_live_\S+)")

    @property
    def client_id(self) -> str:
        return self.printed(r"Client:\s+Acme Dental \(([0-9a-f-]{36})\)")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@contextmanager
def make_run(tmp_path: Path) -> Iterator[Run]:
    """`make run PORT=<free>` with ``SWITCHBOARD_VAR_DIR`` an empty folder under ``tmp_path``;
    yields once /healthz answers; then Ctrl-C, and fails if a process of it outlives that."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_SET_BY_A_NEWCOMER}
    var_dir = tmp_path / "var"
    assert not var_dir.exists()
    env.update(SWITCHBOARD_VAR_DIR=str(var_dir), DEMO_PASSWORD=DEMO_PASSWORD)
    log = tmp_path / "run.log"
    # `-o .venv/.installed`: the test already runs inside the installed venv; installing again
    # mid-test (pyproject.toml touched by a checkout) would only be slow. Every other step is
    # the Makefile's own.
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    stopped = False
    try:
        wait_until_up(proc, base, log, timeout=240, interval=0.5)
        yield Run(base, log, env)
        # Ctrl-C in the terminal: SIGINT to the whole foreground group.
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=45)
        deadline = time.monotonic() + 30
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        stopped = not group_alive(proc.pid)
        assert stopped, "a process of `make run` outlived Ctrl-C"
    finally:
        if not stopped and group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
