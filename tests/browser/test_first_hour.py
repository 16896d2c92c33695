"""A newcomer's first hour in Chromium, against a fresh `make run` (not the test server).

Sign in with the printed staff login, create the demo client's connect link, open it as the
client, connect HubSpot on the emulated consent page, push a lead with the printed API key, and
see the lead `Synced` in the console's event list with its CRM id.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
import requests

from ..make_run import DEMO_EMAIL, DEMO_PASSWORD, make_run
from ..worker import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_fresh_make_run_connects_and_syncs_a_lead_in_the_browser(browser, tmp_path):
    with make_run(tmp_path) as run:
        base = run.base
        staff = browser.new_context()
        page = staff.new_page()
        page.set_default_timeout(20000)
        page.goto(f"{base}/console/")
        page.fill("input[name=login]", DEMO_EMAIL)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#sign-in button[type=submit]")
        page.wait_for_url(f"{base}/console/")
        page.click("text=Acme Dental")
        page.click("nav.sections a:has-text('Connections')")
        page.click("button:has-text('Create connect link')")
        link = page.locator("#connect-link code").inner_text().strip()
        assert link.startswith(f"{base}/connect/")

        customer = browser.new_context()  # the client's own browser: no staff session
        theirs = customer.new_page()
        theirs.set_default_timeout(20000)
        theirs.goto(link)
        theirs.click("button:has-text('Connect HubSpot')")
        theirs.click("button:has-text('Approve')")
        theirs.wait_for_selector("#provider-hubspot .status:has-text('Connected')")
        customer.close()

        api = {"Authorization": f"Bearer {run.api_key}"}
        lead = requests.post(
            f"{base}/api/v1/leads",
            headers={**api, "Idempotency-Key": "first-hour-browser"},
            json={"name": "Ada Park", "email": "ada@example.com", "phone": "(415) 555-0142"},
            timeout=10,
        )
        assert lead.status_code == 202, lead.text
        status_url = urljoin(base, lead.json()["status_url"])

        def settled() -> dict | None:
            event = requests.get(status_url, params={"wait": 10}, headers=api, timeout=20).json()
            return (
                event if event["status"] != "accepted" and event["status"] != "processing" else None
            )

        event = wait_for(settled, timeout=120, interval=0.5)
        assert event["status"] == "synced", event

        page.click("nav.sections a:has-text('Events')")
        row = page.locator("#events tbody tr").first
        assert row.locator("td.status-synced").inner_text() == "Synced"
        assert event["crm_id"] in row.inner_text()
        staff.close()
