"""The OAuth emulator behaves like a strict vendor: the connector tests are only as good as it."""

from __future__ import annotations

import requests

from connectors import oauth
from emulators import control
from emulators.models import EmulatorGrant, EmulatorToken
from tests.connectors.conftest import stored


def token_url(emulators: str, provider: str, path: str) -> str:
    return f"{emulators}/emulators/{provider}/{path}"


def test_presenting_a_rotated_refresh_token_again_revokes_the_grant(dance, world, emulators):
    dance("outlook").run()
    connection = stored(world.client_a, "outlook")
    first = oauth.refresh_grant("outlook", refresh_token=connection.refresh_token, tenant={})
    assert first.refresh_token != connection.refresh_token
    try:
        oauth.refresh_grant("outlook", refresh_token=connection.refresh_token, tenant={})
    except oauth.OAuthError as exc:
        assert exc.code == "invalid_grant" and exc.needs_reauth
    else:
        raise AssertionError("a reused refresh token must be refused")
    assert EmulatorGrant.objects.get(provider="outlook").revoked_reason == "refresh_reuse"
    try:  # the whole family is dead, the newest token included
        oauth.refresh_grant("outlook", refresh_token=first.refresh_token, tenant={})
    except oauth.OAuthError as exc:
        assert exc.needs_reauth
    else:
        raise AssertionError("the grant must be revoked")


def test_an_authorization_code_works_once(dance, world, emulators):
    flow = dance("google").start().consent()
    code = dict(p.split("=", 1) for p in flow.callback.split("?", 1)[1].split("&"))["code"]
    assert flow.finish().status_code == 302
    answer = requests.post(
        token_url(emulators, "google", "token"),
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "demo-google-client",
            "client_secret": "demo-google-secret",
            "redirect_uri": oauth.redirect_uri("google"),
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert EmulatorGrant.objects.get(provider="google").revoked_reason == "code_reuse"


def test_it_answers_with_each_vendors_error_shape(emulators):
    zoho = requests.post(
        token_url(emulators, "zoho", "oauth/v2/token"),
        data={"grant_type": "refresh_token", "refresh_token": "nope", "client_id": "x"},
        timeout=10,
    )
    assert zoho.status_code == 200 and zoho.json() == {"error": "invalid_client"}
    square = requests.post(
        token_url(emulators, "square", "oauth2/token"),
        json={
            "grant_type": "refresh_token",
            "refresh_token": "nope",
            "client_id": "demo-square-client",
            "client_secret": "demo-square-secret",
        },
        timeout=10,
    )
    assert square.status_code == 401 and square.json()["errors"][0]["code"] == "UNAUTHORIZED"
    pipedrive = requests.post(
        token_url(emulators, "pipedrive", "oauth/token"),
        data={"grant_type": "refresh_token", "refresh_token": "nope"},
        auth=("demo-pipedrive-client", "wrong"),
        timeout=10,
    )
    assert pipedrive.status_code == 401 and pipedrive.json()["error"] == "invalid_client"


def test_the_control_endpoint_sets_faults_and_reports_token_calls(emulators):
    url = token_url(emulators, "hubspot", "_control")
    assert requests.post(url, json={"fail_429": 1, "retry_after": 7}, timeout=10).ok
    assert requests.post(url, json={"bogus": 1}, timeout=10).status_code == 400
    throttled = requests.post(token_url(emulators, "hubspot", "oauth/v1/token"), timeout=10)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    state = requests.get(url, timeout=10).json()
    assert state["switches"]["fail_429"] == 0 and state["token_calls"] == 0


def test_token_lifetime_is_configurable(dance, world, emulators):
    control.configure("hubspot", access_lifetime_s=90)
    dance("hubspot").run()
    connection = stored(world.client_a, "hubspot")
    left = (connection.token_expires_at - connection.last_refreshed_at).total_seconds()
    assert 80 <= left <= 95
    access = EmulatorToken.objects.filter(kind="access", grant__provider="hubspot").get()
    assert access.expires_at is not None


def test_disconnect_revokes_at_the_vendor(dance, world, client, owner):
    for provider in ("google", "hubspot", "square", "salesforce"):
        dance(provider).run()
        connection = stored(world.client_a, provider)
        client.force_login(owner)
        url = f"/console/clients/{world.client_a.public_id}/connections/{connection.pk}/disconnect"
        page = client.post(url, {"confirm": "yes"}, follow=True)
        assert b"revoked at the vendor" in page.content
        assert EmulatorGrant.objects.get(provider=provider).revoked_at is not None
        connection.refresh_from_db()
        assert connection.status == "disabled" and connection.access_token == ""
