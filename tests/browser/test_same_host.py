"""No page of the product loads anything from another host.

Chromium visits the main pages (sign-in, every console page of a client with data, the API docs,
problem documentation, the admin's sign-in, a 404, the client's connect pages and the emulated
vendor's consent page). Every request is watched:
one to another host is recorded and refused, as it would fail offline, so a page that needs a
CDN shows up both in the list and as a page that does not render.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from connectors import links
from connectors.models import Connection
from syncs.models import AiEvent
from tenants.models import ApiKey

from ..syncs.conftest import broker  # noqa: F401  (publish to memory://, not the shared folder)
from ..syncs.console_helpers import scene
from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_PAGES = [
    "",
    "connections/",
    "events/",
    "review/",
    "mappings/",
    "audit/",
    "rollback/",
    "metrics/",
    "shadow/",
    "duplicates/",
    "webhooks/",
    "monthly-audit/",
    "calendar/calendars/",
    "calendar/services/",
    "calendar/hours/",
    "calendar/preview/",
    "calendar/bookings/",
]


@pytest.fixture
def watched(browser, live_server, settings):
    """A page whose requests to any host but the live server's are recorded and aborted."""
    settings.VENDOR_BASE_URL = f"{live_server.url}/emulators"
    settings.PUBLIC_BASE_URL = live_server.url
    own = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    context = browser.new_context()

    def guard(route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page, elsewhere
    context.close()


def visit(page, url: str, status: int = 200) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status == status, (url, response and response.status)


def test_it_loads_nothing_from_another_host_on_any_main_page(watched, live_server, world, owner):
    page, elsewhere = watched
    base = live_server.url
    seen = scene(world)
    client = world.client_a
    client.crm_provider, client.pos_provider = "hubspot", "toast"
    client.save()
    event = AiEvent.objects.filter(client=client).order_by("received_at").first()

    visit(page, f"{base}/accounts/login/")
    sign_in(page, base, owner.email)
    visit(page, f"{base}/console/")
    for suffix in CLIENT_PAGES:
        visit(page, f"{base}/console/clients/{client.public_id}/{suffix}")
    visit(page, f"{base}/console/clients/{client.public_id}/events/{event.public_id}/")
    calls = f"connections/{seen.connection.pk}/calls/"
    visit(page, f"{base}/console/clients/{client.public_id}/{calls}")
    visit(page, f"{base}/accounts/2fa/")
    # The confirmations of destructive actions and the mapping editor (its field picker).
    connection = Connection.objects.get(client=client, provider="hubspot")
    key = ApiKey.objects.filter(client=client).first()
    console = f"{base}/console/clients/{client.public_id}"
    visit(page, f"{console}/connections/{connection.pk}/disconnect")
    visit(page, f"{console}/keys/{key.pk}/revoke")
    visit(page, f"{console}/mappings/{connection.pk}/")

    # The API docs render from the product's own files (Swagger UI shows the schema's title).
    visit(page, f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Switchboard API" in page.locator(".swagger-ui .info .title").inner_text()

    # Pages for everyone: a problem type's documentation, the admin's sign-in, a 404.
    visit(page, f"{base}/problems/invalid-api-key")
    visit(page, f"{base}/admin/login/")
    visit(page, f"{base}/console/no-such-page/", status=404)

    # The client's connect pages (OAuth and a manual one), a bad link, and the emulated
    # vendor's consent page the OAuth button sends them to.
    token = links.make_token(client)
    visit(page, f"{base}/connect/{token}/manual/toast")
    visit(page, f"{base}/connect/not-a-link/", status=404)
    visit(page, f"{base}/connect/{token}/")
    page.click("button:has-text('Connect HubSpot')")
    page.wait_for_selector("button:has-text('Approve')")
    page.wait_for_load_state("networkidle")
    assert "/emulators/hubspot/" in page.url

    assert elsewhere == []
