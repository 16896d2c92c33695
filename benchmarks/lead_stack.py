"""The processes of benchmarks/lead_sync.py and the CPU they use, read from /proc.

Each process is started with ``cwd`` set to the source tree it serves, so one script can run
this checkout and an older commit's tree (``lead_sync.py --against``) the same way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def emulator_server(
    tree: Path, python: str, port: int, workers: int, env: dict[str, str]
) -> subprocess.Popen:
    """The vendor emulators in their own gunicorn, as another machine would serve the vendor."""
    settings_module = {**env, "DJANGO_SETTINGS_MODULE": EMULATOR_SETTINGS}
    return gunicorn(tree, python, port, workers, settings_module)


def gunicorn(
    tree: Path, python: str, port: int, workers: int, env: dict[str, str], threads: int = 4
) -> subprocess.Popen:
    worker_class = "gthread" if threads > 1 else "sync"
    return subprocess.Popen(
        [
            *(python, "-m", "gunicorn", "agency.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--threads", str(threads), "--worker-class", worker_class, "--log-level", "warning"),
        ],
        cwd=tree,
        stdout=subprocess.DEVNULL,  # banners; errors still reach stderr
        env=env,
        start_new_session=True,
    )


def celery_worker(
    tree: Path, python: str, index: int, concurrency: int, pool: str, env: dict
) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(python, "-m", "celery", "-A", "agency", "worker", "--loglevel", "WARNING"),
            *("--concurrency", str(concurrency), "--hostname", f"bench{index}@%h"),
            *("--pool", pool),
            *("--without-gossip", "--without-mingle"),
        ],
        cwd=tree,
        stdout=subprocess.DEVNULL,  # banners; errors still reach stderr
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
