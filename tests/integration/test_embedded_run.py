"""Smoke tests of the README's run command on the embedded defaults, as a newcomer runs it.

`make run` itself (the Makefile's own steps: migrate, seed, web + worker + beat) with no
DATABASE_URL, REDIS_URL or DEBUG in the environment and an empty `var/`: SQLite, the filesystem
broker, a real worker and beat. The tests sign the seeded staff user in, connect the demo
client's CRM through the emulated vendor's consent page, push a lead with the seeded key and see
it `synced`, all over HTTP; then they stop the run as Ctrl-C would and check nothing is left.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests

from ..make_run import DEMO_EMAIL, DEMO_PASSWORD, ROOT, make_run
from ..worker import wait_for

pytestmark = pytest.mark.integration


class Forms(HTMLParser):
    """The forms of a page: action, and the named inputs with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attr.get("action") or "", "fields": {}, "text": ""})
        elif tag in ("input", "button") and self.forms and attr.get("name"):
            self.forms[-1]["fields"].setdefault(attr["name"], attr.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self.forms:
            self.forms[-1]["text"] += data


def form_with(page: requests.Response, text: str) -> dict:
    parser = Forms()
    parser.feed(page.text)
    found = [form for form in parser.forms if text in form["text"]]
    assert found, f"no form with {text!r} on {page.url}:\n{page.text[:2000]}"
    return found[0]


@pytest.fixture(scope="module")
def running_product(tmp_path_factory):
    """One `make run` for the module's tests: neither changes what the other reads (one sends a
    heartbeat, the other connects the CRM and posts a lead), and a start costs half a minute."""
    with make_run(tmp_path_factory.mktemp("make_run")) as run:
        yield run


def sign_in(base: str) -> requests.Session:
    browser = requests.Session()
    login_page = browser.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    signed_in = browser.post(
        f"{base}/accounts/login/",
        timeout=10,
        headers={"Referer": base},
        data={
            "csrfmiddlewaretoken": token,
            "login": DEMO_EMAIL,
            "password": DEMO_PASSWORD,
        },
    )
    assert signed_in.url.endswith("/console/"), signed_in.url
    assert "Acme Dental" in signed_in.text
    return browser


def test_make_run_serves_console_api_and_worker(running_product):
    base, env, key = running_product.base, running_product.env, running_product.api_key
    assert DEMO_EMAIL in running_product.log.read_text()

    me = requests.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert me.status_code == 200 and me.json()["name"] == "Acme Dental"
    sign_in(base)

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


def test_make_run_connects_the_crm_and_syncs_a_lead(running_product):
    """The README's first hour: connect link → vendor consent → lead → `synced`, over HTTP."""
    base, key, client_id = running_product.base, running_product.api_key, running_product.client_id
    staff = sign_in(base)

    connections = staff.get(f"{base}/console/clients/{client_id}/connections/", timeout=10)
    assert connections.status_code == 200
    made = form_with(connections, "Create connect link")
    listed = staff.post(
        urljoin(connections.url, made["action"]),
        data=made["fields"],
        headers={"Referer": connections.url},
        timeout=10,
    )
    link = re.search(r'id="connect-link".*?<code>([^<]+)</code>', listed.text, re.S).group(1)
    assert link.startswith(f"{base}/connect/"), link

    # The client's own browser: no staff session.
    client_browser = requests.Session()
    page = client_browser.get(link, timeout=10)
    assert page.status_code == 200
    start = form_with(page, "Connect HubSpot")
    consent = client_browser.post(
        urljoin(page.url, start["action"]),
        data=start["fields"],
        headers={"Referer": page.url},
        timeout=10,
    )
    assert consent.status_code == 200, consent.text[:2000]
    assert consent.url.startswith(f"{base}/emulators/hubspot/"), consent.url
    approve = form_with(consent, "Approve")
    fields = {k: v for k, v in approve["fields"].items() if k != "deny"}
    connected = client_browser.post(
        urljoin(consent.url, approve["action"]) if approve["action"] else consent.url,
        data=fields,
        timeout=30,
    )
    assert connected.status_code == 200, connected.text[:2000]
    assert re.search(r'id="provider-hubspot".*?class="status">Connected<', connected.text, re.S)

    api = {"Authorization": f"Bearer {key}"}
    lead = requests.post(
        f"{base}/api/v1/leads",
        headers={**api, "Idempotency-Key": "newcomer-first-lead"},
        json={
            "name": "Mary O'Brien",
            "email": "mary@example.com",
            "phone": "(415) 555-2671",
            "lead_score": 82,
            "intent": "booking",
            "chatbot_session_id": "sess_first_hour",
        },
        timeout=10,
    )
    assert lead.status_code == 202, lead.text
    status_url = urljoin(base, lead.json()["status_url"])

    def synced() -> dict | None:
        event = requests.get(status_url, params={"wait": 10}, headers=api, timeout=20).json()
        return event if event["status"] in ("synced", "failed", "needs_review") else None

    event = wait_for(synced, timeout=120, interval=0.5)
    assert event["status"] == "synced", event
    assert event["crm_id"], event
