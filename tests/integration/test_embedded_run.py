"""Smoke test of the README's run command on the embedded defaults.

`make run` with no DATABASE_URL or REDIS_URL: SQLite, the filesystem broker, a real worker
and beat. The test signs the seeded staff user in, calls the API with the seeded key, and sees
a task go through the worker.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from ..worker import wait_for, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_product(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        SWITCHBOARD_VAR_DIR=str(tmp_path / "var"), DEMO_PASSWORD="demo-password-123", PORT=str(port)
    )
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(proc, base, log, timeout=180, interval=0.5)
        yield base, log, env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_run_serves_console_api_and_worker(running_product):
    base, log, env = running_product
    output = log.read_text()
    key = re.search(r"API key:\s+(sb_live_\S+)", output).group(1)
    assert "demo@switchboard.local" in output

    me = requests.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert me.status_code == 200 and me.json()["name"] == "Acme Dental"

    browser = requests.Session()
    login_page = browser.get(f"{base}/accounts/login/", timeout=5)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    signed_in = browser.post(
        f"{base}/accounts/login/",
        timeout=5,
        headers={"Referer": base},
        data={
            "csrfmiddlewaretoken": token,
            "login": "demo@switchboard.local",
            "password": "demo-password-123",
        },
    )
    assert signed_in.url.endswith("/console/"), signed_in.url
    assert "Acme Dental" in signed_in.text

    # Beat sends a heartbeat every minute; send one now and watch the worker run it.
    python = str(ROOT / ".venv" / "bin" / "python")
    sent = subprocess.run(
        [
            python,
            "manage.py",
            "shell",
            "-c",
            "from agency.tasks import heartbeat; heartbeat.delay('smoke-nonce')",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    check = (
        "from agency.models import WorkerHeartbeat as W; "
        "print(W.objects.filter(nonce='smoke-nonce').count())"
    )

    def ran() -> bool:
        out = subprocess.run(
            [python, "manage.py", "shell", "-c", check],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.strip().splitlines()[-1:] == ["1"]

    wait_for(ran, timeout=90, interval=1)
    ready = requests.get(f"{base}/readyz", timeout=5)
    assert ready.status_code == 200, ready.text
