"""Staff roll back a chatbot's writes from the console and see its leads turn `rolled_back`.

End to end on the real parts: leads posted to the API of the live server, synced by a real
Celery worker into the HubSpot emulator; the rollback previewed and confirmed in Chromium, its
steps run by the worker against the emulator. The oracle for "deleted" is the emulator's own
records; the console and the API must then say `rolled_back`.
"""

from __future__ import annotations

import pytest
import requests

from emulators.crm import control
from syncs.models import AiEvent, EventStatus
from syncs.rollback.models import Rollback

from ..connectors import crm_fixtures
from ..syncs.conftest import LEAD
from ..worker import celery_worker, purge_broker, wait_for
from .test_console import sign_in

emulated = crm_fixtures.emulated

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def post_lead(base: str, key: str, **changes) -> str:
    response = requests.post(
        f"{base}/api/v1/leads",
        json={**LEAD, **changes},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def statuses(client) -> set[str]:
    return set(AiEvent.objects.filter(client=client).values_list("status", flat=True))


def test_a_rollback_in_the_console_turns_the_leads_rolled_back(
    page, live_server, world, owner, emulated
):
    base = live_server.url
    client = world.client_a
    client.crm_provider = "hubspot"
    client.save()
    _, account = emulated("hubspot")
    control.add_default_mapping_fields("hubspot", account)
    purge_broker()
    with celery_worker(name="browser-rollback", VENDOR_BASE_URL=f"{base}/emulators"):
        first = post_lead(base, world.key_a)
        second = post_lead(
            base, world.key_a, name="Tom Baker", email="tom@example.com",
            phone="(415) 555-0188", chatbot_session_id="sess-2",
        )  # fmt: skip
        wait_for(lambda: statuses(client) == {EventStatus.SYNCED}, timeout=90, interval=0.5)
        assert len(control.records("hubspot", account, "contacts")) == 2

        sign_in(page, base, owner.email)
        page.goto(f"{base}/console/clients/{client.public_id}/events/")
        assert page.locator("#events td.status-synced").count() == 2
        page.goto(f"{base}/console/clients/{client.public_id}/rollback/")
        page.fill("input[name=tag]", "AI_Chatbot")
        page.click("#rollback-filters button[type=submit]")
        page.wait_for_selector("#preview")
        page.click("#rollback-confirm button[type=submit]")
        page.wait_for_url("**/rollback/*/")
        rollback = Rollback.objects.get(client=client)
        wait_for(lambda: statuses(client) == {EventStatus.ROLLED_BACK}, timeout=90, interval=0.5)
    assert control.records("hubspot", account) == []  # the emulator's CRM is empty again

    page.goto(f"{base}/console/clients/{client.public_id}/events/")
    assert page.locator("#events td.status-rolled_back").count() == 2
    assert page.locator("#events td.status-synced").count() == 0
    page.click("#events tbody tr:first-child a")
    assert page.locator("#event-status").inner_text() == "Rolled back"
    page.click(f"#event-rolled-back a:has-text('rollback #{rollback.pk}')")
    page.wait_for_url(f"**/rollback/{rollback.pk}/")

    for event_id in (first, second):
        body = requests.get(
            f"{base}/api/v1/events/{event_id}",
            headers={"Authorization": f"Bearer {world.key_a}"},
            timeout=10,
        ).json()
        assert body["status"] == "rolled_back"
        assert body["rolled_back"]["rollback_id"] == rollback.pk
