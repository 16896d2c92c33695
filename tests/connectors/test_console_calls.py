"""A connection's log of vendor calls in the console: method, path, status, latency, attempt
and rate-limit state, filtered, per connection, never a secret, scoped to the agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from connectors.base import ProviderSpec
from connectors.http import VendorHttp
from connectors.models import ApiCall, Connection

pytestmark = pytest.mark.django_db
BASE = "https://api.hubapi.test"
TOKEN = "calls-secret-token-7777"


@pytest.fixture
def hubspot(world) -> Connection:
    return Connection.objects.create(
        client=world.client_a, provider="hubspot", kind="crm", access_token=TOKEN
    )


class Tokens:
    def access_token(self, connection):
        return TOKEN

    def refresh(self, connection, *, rejected_token):
        return TOKEN


def call_vendor(connection: Connection) -> None:
    """Real calls through the HTTP layer: a throttle, then success, then a 404."""
    spec = ProviderSpec(
        slug="hubspot", kind="crm", display_name="HubSpot", auth="oauth2", api_base=BASE
    )
    http = VendorHttp(connection, spec=spec, base_url=BASE, tokens=Tokens(), sleep=lambda s: None)
    limited = {
        "Retry-After": "2",
        "X-HubSpot-RateLimit-Max": "110",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    with responses.RequestsMock() as vendor:
        vendor.get(f"{BASE}/crm/v3/objects/contacts/1", status=429, headers=limited, json={})
        vendor.get(
            f"{BASE}/crm/v3/objects/contacts/1",
            json={},
            headers={"X-HubSpot-RateLimit-Remaining": "108"},
        )
        vendor.get(
            f"{BASE}/crm/v3/objects/contacts/jo@example.com", status=404, json={"message": "no"}
        )
        http.request("GET", "/crm/v3/objects/contacts/1", params={"hapikey": "q-secret"})
        http.request("GET", "/crm/v3/objects/contacts/jo@example.com", expect=(200, 404))


def calls_url(world, connection) -> str:
    return f"/console/clients/{world.client_a.public_id}/connections/{connection.pk}/calls/"


def test_it_lists_each_attempt_with_its_rate_limit_state(client, world, viewer, hubspot):
    call_vendor(hubspot)
    client.force_login(viewer)

    body = client.get(calls_url(world, hubspot)).content.decode()

    assert body.count("<code>/crm/v3/objects/contacts/1</code>") == 2
    assert "0 of 110 left" in body and "108 left" in body and "held 2000 ms first" in body
    assert "rate_limited" in body and ">429<" in body and ">404<" in body
    assert "{redacted}" in body and "jo@example.com" not in body
    assert TOKEN not in body and "q-secret" not in body
    assert "Last 24 h: 3 calls, 1 failed, 1 rate limited." in body


@pytest.mark.parametrize(
    ("query", "statuses"),
    [
        ("", [404, 200, 429]),
        ("?outcome=failed", [429]),
        ("?outcome=throttled", [429]),
        ("?outcome=waited", [200]),
        ("?method=POST", []),
    ],
)
def test_it_filters_by_outcome(client, world, viewer, hubspot, query, statuses):
    call_vendor(hubspot)
    client.force_login(viewer)

    response = client.get(calls_url(world, hubspot) + query)

    shown = [c.status for c in response.context["page"]]
    assert shown == statuses


def test_it_shows_only_this_connections_calls(client, world, owner, hubspot):
    google = Connection.objects.create(client=world.client_a, provider="google", kind="calendar")
    ApiCall.objects.create(
        client=world.client_a, connection=google, provider="google", method="GET",
        path="/calendar/v3/freeBusy", status=200, created_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    call_vendor(hubspot)
    client.force_login(owner)

    body = client.get(calls_url(world, hubspot)).content.decode()

    assert "freeBusy" not in body and "/crm/v3/objects/contacts/1" in body


def test_another_clients_connection_is_not_found(client, world, owner):
    theirs = Connection.objects.create(client=world.client_b, provider="salesforce", kind="crm")
    client.force_login(owner)

    url = f"/console/clients/{world.client_a.public_id}/connections/{theirs.pk}/calls/"
    assert client.get(url).status_code == 404
