"""HubSpot's OAuth as sent to the real host (recorded answers): the dated 2026-03 endpoints,
tokens in form bodies only, the granted scopes read from the token answer."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import responses

from connectors import oauth

API = "https://api.hubapi.com"
TOKEN_ANSWER = {
    "token_use": "access_token", "token_type": "bearer", "access_token": "at-1",
    "refresh_token": "rt-1", "expires_in": 1800, "hub_id": 62515, "user_id": 123,
    "scopes": ["oauth", "crm.objects.contacts.write", "crm.schemas.deals.read"],
}  # fmt: skip
INTROSPECTION = {
    "token_use": "access_token", "active": True, "token": "at-1", "hub_id": 62515,
    "user_id": 123, "client_id": "cid", "app_id": 1, "scopes": TOKEN_ANSWER["scopes"],
    "expires_in": 1799, "token_type": "access", "is_private_distribution": False,
    "signed_access_token": {},
}  # fmt: skip


@pytest.fixture
def app(settings):
    settings.VENDOR_BASE_URL = ""
    settings.HUBSPOT_CLIENT_ID, settings.HUBSPOT_CLIENT_SECRET = "cid", "secret-1"


def form(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


@responses.activate
def test_it_exchanges_and_introspects_at_the_2026_03_endpoints(app):
    responses.add(responses.POST, f"{API}/oauth/2026-03/token", json=TOKEN_ANSWER)
    responses.add(responses.POST, f"{API}/oauth/2026-03/token/introspect", json=INTROSPECTION)
    tokens = oauth.exchange_code("hubspot", code="c-1", code_verifier="", tenant={})
    assert [c.request.url for c in responses.calls] == [
        f"{API}/oauth/2026-03/token", f"{API}/oauth/2026-03/token/introspect",
    ]  # fmt: skip
    assert form(responses.calls[0])["grant_type"] == "authorization_code"
    assert form(responses.calls[1]) == {
        "token": "at-1", "token_type_hint": "access_token", "client_id": "cid",
        "client_secret": "secret-1",
    }  # fmt: skip
    assert "at-1" not in responses.calls[1].request.url  # never in the URL
    assert tokens.account_id == "62515"
    assert tokens.scopes == tuple(TOKEN_ANSWER["scopes"])  # granted, not what we asked for


@responses.activate
def test_it_revokes_with_a_form_body_not_a_path(app):
    responses.add(responses.POST, f"{API}/oauth/2026-03/token/revoke", status=200)
    assert oauth.revoke("hubspot", access_token="at-1", refresh_token="rt-1", tenant={})
    [call] = responses.calls
    assert call.request.url == f"{API}/oauth/2026-03/token/revoke"
    assert form(call) == {"token": "rt-1", "token_type_hint": "refresh_token",
                          "client_id": "cid", "client_secret": "secret-1"}  # fmt: skip
