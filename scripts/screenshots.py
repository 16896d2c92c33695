"""Regenerate the README's screenshots: `make screenshots`.

Or `.venv/bin/python scripts/screenshots.py [--out DIR]`.

Runs the product as `make run` does (DEBUG on, emulators mounted, SQLite and the filesystem
broker, web + worker + beat) in a throwaway var/ directory on a free port, seeds the demo,
drives it through Chromium (Debian's /usr/bin/chromium, via Playwright) the way a newcomer
would (connect HubSpot on the emulated consent page, push leads with the demo key, try shadow
mode), and saves each main page at 1366 x 900 under docs/screenshots/. Nothing leaves the
machine: every request to another host is aborted and reported, and the run fails if one was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 900}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "demo-password-123"  # noqa: S105 (the throwaway demo's, as in tests/make_run.py)
EMAIL = "demo@switchboard.local"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
# Environment that would make this something other than `make run`'s embedded default.
DROP = (
    "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE",
    "EMULATORS_ENABLED", "VENDOR_BASE_URL", "PUBLIC_BASE_URL", "ALLOW_PRIVATE_URLS",
)  # fmt: skip

LEADS = [
    {"name": "Ada Park", "email": "ada@example.com", "phone": "(415) 555-0142",
     "company": "Park Orthodontics", "intent": "booking", "lead_score": 82,
     "conversation_summary": "Wants a cleaning next week, mornings only."},
    {"name": "Robert Smith", "email": "robert.smith@acme.example", "phone": "+1 415 555 0100",
     "intent": "question", "lead_score": 40, "chatbot_session_id": "sess-1"},
    {"name": "Maria Garcia", "email": "maria.garcia@example.org", "phone": "415-555-0177",
     "intent": "purchase", "lead_score": 91,
     "extra": {"insurance": "Delta Dental", "new_patient": True}},
    {"name": "Sam Lee", "email": "not-an-email", "phone": "12",
     "conversation_summary": "Typed their details in a hurry."},
    # A typo and a plus-address, no shared phone: a likely duplicate, held for a person.
    {"name": "Robert Smiht", "email": "robert.smith+web@acme.example", "phone": "+1 415 555 0199",
     "intent": "booking", "lead_score": 75, "chatbot_session_id": "sess-2"},
]  # fmt: skip
SHADOW_LEADS = [
    {"name": "Ada Park", "email": "ada@example.com", "phone": "(415) 555-0142",
     "company": "Park Family Dental", "intent": "booking"},
    {"name": "Chris Novak", "email": "chris@novak.example", "phone": "415 555 0123",
     "company": "Novak Design", "intent": "question"},
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    sys.exit(f"timed out waiting for {what}")


class Stack:
    """`manage.py runstack` (web + worker + beat) in its own process group."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 (our own manage.py)
                [PYTHON, "manage.py", "runstack", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up() -> bool:
            if self.proc.poll() is not None:
                sys.exit(f"the server exited early:\n{log.read_text()[-3000:]}")
            try:
                return requests.get(f"{self.base}/healthz", timeout=2).ok
            except requests.RequestException:
                return False

        wait_for(up, 180, "the server")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # as Ctrl-C in `make run`
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Demo:
    """The demo driven through the browser and the API, saving screenshots as it goes."""

    def __init__(self, browser, base: str, api_key: str, client_id: str, out: Path) -> None:
        self.base, self.api_key, self.client_id, self.out = base, api_key, client_id, out
        self.browser = browser
        self.foreign: list[str] = []
        self.staff = self._context()
        self.page = self.staff.new_page()

    def _context(self):
        context = self.browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        context.route("**/*", self._local_only)
        return context

    def _local_only(self, route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def shot(self, page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(self.out / f"{name}.png"), full_page=False)
        print(f"  {self.out / name}.png")

    def client_url(self, rest: str = "") -> str:
        return f"{self.base}/console/clients/{self.client_id}/{rest}"

    def sign_in(self) -> None:
        page = self.page
        page.goto(f"{self.base}/console/")
        self.shot(page, "01-sign-in")
        page.fill("input[name=login]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("#sign-in button[type=submit]")
        page.wait_for_url(f"{self.base}/console/")

    def connect_hubspot(self) -> None:
        page = self.page
        page.goto(self.client_url("connections/"))
        page.click("button:has-text('Create connect link')")
        link = page.locator("#connect-link code").inner_text().strip()
        customer = self._context()  # the client's own browser: no staff session
        theirs = customer.new_page()
        theirs.goto(link)
        self.shot(theirs, "05-connect-page")
        theirs.click("button:has-text('Connect HubSpot')")
        theirs.wait_for_selector("button:has-text('Approve')")
        self.shot(theirs, "06-emulated-consent")
        theirs.click("button:has-text('Approve')")
        theirs.wait_for_selector("#provider-hubspot .status:has-text('Connected')")
        customer.close()

    def post_leads(self, leads: list[dict], prefix: str) -> None:
        api = {"Authorization": f"Bearer {self.api_key}"}
        urls = []
        for n, lead in enumerate(leads):
            answer = requests.post(
                f"{self.base}/api/v1/leads",
                headers={**api, "Idempotency-Key": f"{prefix}-{n}"},
                json=lead,
                timeout=10,
            )
            answer.raise_for_status()
            urls.append(urljoin(self.base, answer.json()["status_url"]))
        for url in urls:

            def settled(url: str = url) -> bool:
                event = requests.get(url, params={"wait": 5}, headers=api, timeout=15).json()
                return event["status"] not in ("accepted", "processing")

            wait_for(settled, 120, f"lead {url} to settle")

    def switch_shadow(self, button: str) -> None:
        self.page.goto(self.client_url("shadow/"))
        self.page.click(f"#shadow-connections button:has-text('{button}')")
        self.page.wait_for_selector(".messages li.success")

    def pages(self) -> None:
        page = self.page
        page.goto(f"{self.base}/console/")
        self.shot(page, "02-clients-health")
        page.goto(self.client_url())
        page.fill("input[name=name]", "Website chatbot")
        page.click("button:has-text('Create API key')")
        page.wait_for_selector("#new-key button.copy:not([hidden])")
        self.shot(page, "03-client-and-keys")
        page.goto(self.client_url("connections/"))
        page.click("button:has-text('Create connect link')")
        self.shot(page, "04-connections-and-link")
        page.goto(self.client_url("events/"))
        self.shot(page, "07-events")
        page.locator("#events tbody tr a").first.click()
        self.shot(page, "08-event-detail")
        page.goto(self.client_url("review/"))
        self.shot(page, "09-review-queue")
        page.goto(self.client_url("duplicates/"))
        self.shot(page, "10-duplicates")
        page.goto(self.client_url("mappings/"))
        page.locator("#connections a").first.click()
        page.fill("#target-search", "date")
        page.locator("#rule-form button[type=submit]").scroll_into_view_if_needed()
        self.shot(page, "11-field-mapping")
        page.goto(self.client_url("shadow/"))
        self.shot(page, "12-shadow-mode")
        page.goto(self.client_url("audit/"))
        self.shot(page, "13-audit-log")
        page.goto(self.client_url("rollback/?tag=AI_Chatbot"))
        page.locator("#rollback-confirm").scroll_into_view_if_needed()
        self.shot(page, "14-rollback-preview")
        page.goto(self.client_url("metrics/"))
        self.shot(page, "15-metrics")
        page.goto(self.client_url("connections/"))
        page.click("a:has-text('Disconnect…')")
        self.shot(page, "16-disconnect-confirmation")
        page.goto(f"{self.base}/api/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=20000)
        self.shot(page, "17-api-docs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway var/ directory")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM}: run `make browser` (or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="switchboard-screens-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    env.update(
        SWITCHBOARD_VAR_DIR=str(var_dir), DEBUG="true", DEMO_PASSWORD=PASSWORD, PORT=str(port)
    )
    stack = None
    try:
        manage(env, "migrate", "--noinput")
        seeded = manage(env, "seed_demo", "--base-url", f"http://127.0.0.1:{port}")
        api_key = seeded.split("API key:")[1].split()[0]
        client_id = seeded.split("Client:")[1].split("(")[1].split(")")[0]
        stack = Stack(env, port, var_dir / "run.log")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
            )
            demo = Demo(browser, stack.base, api_key, client_id, args.out)
            demo.page.set_default_timeout(30000)
            demo.sign_in()
            demo.connect_hubspot()
            demo.post_leads(LEADS, "screens")
            demo.switch_shadow("Switch to shadow mode")
            demo.post_leads(SHADOW_LEADS, "screens-shadow")
            demo.pages()
            browser.close()
        if demo.foreign:
            sys.exit(f"requests left the machine: {sorted(set(demo.foreign))}")
    finally:
        if stack is not None:
            stack.stop()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    print(f"Screenshots at {VIEWPORT['width']} x {VIEWPORT['height']} in {args.out}")


if __name__ == "__main__":
    main()
