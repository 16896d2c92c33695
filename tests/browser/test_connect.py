"""A client opens its connect link and connects one provider of each kind with a click each."""

from __future__ import annotations

import pytest

from connectors import links
from connectors.models import Connection, ConnectionStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emulated(live_server, settings):
    settings.VENDOR_BASE_URL = f"{live_server.url}/emulators"
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


@pytest.mark.parametrize("provider_name", ["HubSpot", "Google Calendar", "Square"])
def test_a_client_connects_each_kind_in_one_click(page, emulated, world, provider_name):
    client = world.client_a
    client.crm_provider, client.calendar_provider, client.pos_provider = (
        "hubspot",
        "google",
        "square",
    )
    client.save()
    page.goto(f"{emulated}/connect/{links.make_token(client)}/")
    page.click(f"button:has-text('Connect {provider_name}')")
    page.click("button:has-text('Approve')")
    page.wait_for_selector("text=Connected")
    slug = {"HubSpot": "hubspot", "Google Calendar": "google", "Square": "square"}[provider_name]
    connection = Connection.objects.get(client=client, provider=slug)
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.access_token
    page.goto(f"{emulated}/connect/{links.make_token(client)}/")
    assert page.locator(f"#provider-{slug} .status").inner_text() == "Connected"
    assert connection.access_token not in page.content()


def test_a_client_who_denies_consent_is_told_and_nothing_is_stored(page, emulated, world):
    client = world.client_a
    client.crm_provider = "hubspot"
    client.save()
    page.goto(f"{emulated}/connect/{links.make_token(client)}/")
    page.click("button:has-text('Connect HubSpot')")
    page.click("button:has-text('Deny')")
    assert "denied" in page.content().lower() or "declined" in page.content().lower()
    assert not Connection.objects.filter(client=client).exists()
