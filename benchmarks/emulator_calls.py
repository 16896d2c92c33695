"""CPU the HubSpot emulator spends per call of a new lead: search, create contact, create note.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python benchmarks/emulator_calls.py [--leads 200] [--rounds 3]

Starts the emulator server exactly as benchmarks/lead_sync.py does (its own gunicorn,
``agency.emulator_settings``) and, in the same run, a second one behind the product's full
stack (``agency.settings``, the emulators mounted at ``/emulators/`` as the tests use them).
The two are driven in turns, each call type in its own phase, with the body our HubSpot client
sends; each phase's CPU is read from /proc for the server's processes and for PostgreSQL
backends of this database. ``GET /healthz`` on the same server is the baseline: a bare Django
view, so "x bare view" says what a call costs beyond serving any request at all.
Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lead_sync import (  # noqa: E402
    EMULATOR_SETTINGS,
    cpu_seconds,
    environment,
    free_port,
    gunicorn,
    wait_healthy,
)

PHASES = ("healthz", "search", "create contact", "create note")
LEAD_CALLS = ("search", "create contact", "create note")


def setup_accounts(count: int) -> list[str]:
    """HubSpot accounts with the custom properties our field map writes; their access tokens."""
    from emulators.auth import issue_token_for_tests
    from emulators.crm import control

    tag = uuid.uuid4().hex[:8]
    tokens = []
    for i in range(count):
        account = f"calls-{tag}-{i}"
        tokens.append(issue_token_for_tests("hubspot", account, 24 * 3600))
        control.add_default_mapping_fields("hubspot", account)
    return tokens


class Lead:
    """One new person, sent as ``connectors.hubspot.client`` sends it."""

    def __init__(self, n: int, run: str, token: str) -> None:
        self.n, self.token, self.contact_id = n, token, ""
        self.email = f"p{n}.{run}@bench.example"
        self.phone = f"+1415555{n % 10000:04d}"

    def search(self) -> dict:
        from connectors.hubspot.client import CONTACT_PROPERTIES, EITHER_PAGE

        alternatives = (("email", self.email), ("phone", self.phone), ("mobilephone", self.phone))
        return {
            "filterGroups": [
                {"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}
                for name, value in alternatives
            ],
            "properties": list(CONTACT_PROPERTIES),
            "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
            "limit": EITHER_PAGE,
        }

    def contact(self) -> dict:
        return {
            "properties": {
                "email": self.email,
                "firstname": "Bench",
                "lastname": f"Person{self.n}",
                "phone": self.phone,
                "ai_lead_score": "30",
                "ai_intent": "question",
                "ai_summary": "Benchmark lead.",
                "ai_source_tag": "sb-bench",
                "ai_chatbot_vendor": "generic",
                "ai_session_id": f"bench-{self.n}",
                "lifecyclestage": "lead",
            }
        }

    def note(self) -> dict:
        association = {
            "to": {"id": self.contact_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
        }
        props = {"hs_timestamp": "2026-01-01T00:00:00.000Z", "hs_note_body": "Benchmark lead."}
        return {"properties": props, "associations": [association]}


def call(session: requests.Session, base: str, phase: str, lead: Lead) -> None:
    """One call of ``phase`` for ``lead``; anything but the expected answer stops the run."""
    api = f"{base}/emulators/hubspot/crm/v3/objects"
    headers = {"Authorization": f"Bearer {lead.token}", "User-Agent": "Switchboard/0.1"}
    if phase == "healthz":
        response, expected = session.get(f"{base}/healthz", timeout=30), 200
    elif phase == "search":
        body = json.dumps(lead.search())
        headers["Content-Type"] = "application/json"
        response = session.post(f"{api}/contacts/search", data=body, headers=headers, timeout=30)
        expected = 200
    elif phase == "create contact":
        response = session.post(f"{api}/contacts", json=lead.contact(), headers=headers, timeout=30)
        expected = 201
        if response.status_code == expected:
            lead.contact_id = response.json()["id"]
    else:
        response = session.post(f"{api}/notes", json=lead.note(), headers=headers, timeout=30)
        expected = 201
    if response.status_code != expected:
        raise RuntimeError(f"{phase}: {response.status_code} {response.text[:200]}")


def run_phase(base: str, phase: str, leads: list[Lead], threads: int) -> None:
    local = threading.local()

    def one(lead: Lead) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        call(session, base, phase, lead)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, leads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200, help="new leads per server per round")
    parser.add_argument("--rounds", type=int, default=3, help="turns the servers take")
    parser.add_argument("--accounts", type=int, default=50, help="HubSpot accounts sharing them")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per server")
    parser.add_argument(
        "--settings",
        nargs="+",
        default=[EMULATOR_SETTINGS, "agency.settings"],
        help="settings modules of the servers compared (the first is the benchmark's)",
    )
    args = parser.parse_args()

    env = environment(free_port(), free_port())
    os.environ.update(env)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from django.conf import settings

    database = str(settings.DATABASES["default"]["NAME"])
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    tokens = setup_accounts(args.accounts)
    servers: dict[str, tuple[str, subprocess.Popen]] = {}
    try:
        for module in args.settings:
            port = free_port()
            proc = gunicorn(python, port, args.workers, {**env, "DJANGO_SETTINGS_MODULE": module})
            servers[module] = (f"http://127.0.0.1:{port}", proc)
        for base, _ in servers.values():
            wait_healthy(base)
        run = uuid.uuid4().hex[:6]
        spent = {m: {p: dict.fromkeys(("emulator", "postgres"), 0.0) for p in PHASES}
                 for m in servers}  # fmt: skip
        counted = dict.fromkeys(servers, 0)
        serial = 0
        for round_ in range(args.rounds + 1):  # round 0 warms every server up, unmeasured
            for module, (base, proc) in servers.items():
                leads = []
                for _ in range(args.leads):
                    leads.append(Lead(serial, run, tokens[serial % len(tokens)]))
                    serial += 1
                roots: dict[str, list[int]] = {"emulator": [proc.pid]}
                for phase in PHASES:
                    before = cpu_seconds(roots, database)
                    run_phase(base, phase, leads, args.threads)
                    after = cpu_seconds(roots, database)
                    if round_ and before is not None and after is not None:
                        for part in ("emulator", "postgres"):
                            spent[module][phase][part] += after[part] - before[part]
                if round_:
                    counted[module] += len(leads)
        for module in servers:
            report(module, spent[module], counted[module])
    finally:
        for _, proc in servers.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in servers.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def report(module: str, spent: dict[str, dict[str, float]], count: int) -> None:
    """CPU milliseconds per call of each phase, per lead, and against the bare view."""
    if not count or not any(v["emulator"] for v in spent.values()):
        print(f"{module}: no CPU figures (needs /proc)")
        return
    per: Callable[[str, str], float] = lambda phase, part: spent[phase][part] * 1000 / count  # noqa: E731
    bare = per("healthz", "emulator")
    print(f"server with {module}: CPU ms per call, {count} leads (emulator process; PostgreSQL)")
    for phase in PHASES:
        print(f"  {phase:<16} {per(phase, 'emulator'):6.2f}   {per(phase, 'postgres'):5.2f}")
    lead = sum(per(phase, "emulator") for phase in LEAD_CALLS)
    db = sum(per(phase, "postgres") for phase in LEAD_CALLS)
    print(f"  {'new lead':<16} {lead:6.2f}   {db:5.2f}   ({len(LEAD_CALLS)} calls)")
    print(f"  per call / bare view: {lead / len(LEAD_CALLS) / bare:5.1f}x")


if __name__ == "__main__":
    main()
