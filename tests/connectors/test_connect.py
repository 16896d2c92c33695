"""The connect flow for every OAuth provider, through its emulator, and every way it can fail.

Oracle: the emulator's own token store (``account_for_token``) and the raw connection table.
"""

from __future__ import annotations

import pytest
from django.db import connection as db

from connectors.models import ConnectionStatus
from emulators import control
from emulators.auth import account_for_token
from emulators.models import EmulatorGrant

from .conftest import OAUTH_PROVIDERS, stored


@pytest.mark.parametrize("provider", OAUTH_PROVIDERS)
def test_it_connects_each_oauth_provider_end_to_end(dance, world, provider):
    flow = dance(provider)
    response = flow.run()
    assert response.status_code == 302 and response["Location"] == f"/connect/{flow.link}/"
    connection = stored(world.client_a, provider)
    assert connection is not None and connection.status == ConnectionStatus.ACTIVE
    account = account_for_token(provider, connection.access_token)
    assert account is not None, "the stored access token is not one the vendor issued"
    grant = EmulatorGrant.objects.get(provider=provider)
    assert connection.external_account_id in ("", grant.account_id)
    if provider not in ("shopify",):
        assert connection.refresh_token, "the refresh token must be kept"
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM connectors_connection WHERE id = %s",
            [connection.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert connection.access_token not in raw_access
    assert not connection.refresh_token or connection.refresh_token not in raw_refresh
    page = flow.browser.get(f"/connect/{flow.link}/")
    assert "Connected" in page.content.decode()


def test_it_stores_the_per_tenant_hosts_the_vendor_gave(dance, world):
    dance("salesforce").run(account="acme")
    sf = stored(world.client_a, "salesforce")
    assert sf.settings["api_base"].startswith("https://00dacme")
    dance("zoho", client=world.client_b).run(dc="eu")
    zoho = stored(world.client_b, "zoho")
    assert zoho.settings == {
        "accounts_server": "https://accounts.zoho.eu",
        "api_base": "https://www.zohoapis.eu",
    }


@pytest.mark.parametrize(
    "app_scopes", [None, ["base", "contacts:full", "deals:full", "search:read"]]
)
def test_it_records_the_scopes_of_pipedrives_token_answer(dance, world, app_scopes):
    """Pipedrive's scopes are the app's (Marketplace settings), not asked for in the URL; the
    token answer lists them comma-separated. They decide whether person fields are created."""
    from emulators.oauth_views import PIPEDRIVE_APP_SCOPES

    if app_scopes is not None:
        control.configure("pipedrive", app_scopes=app_scopes)
    flow = dance("pipedrive").start()
    assert "scope=" not in flow.authorize_url
    flow.consent().finish()
    expected = app_scopes or list(PIPEDRIVE_APP_SCOPES)
    assert stored(world.client_a, "pipedrive").scopes == expected


def test_it_shows_a_clear_page_and_stores_nothing_when_consent_is_denied(dance, world):
    flow = dance("google").start().consent(deny=True)
    response = flow.finish()
    assert response.status_code == 400 and b"Access was not granted" in response.content
    assert stored(world.client_a, "google") is None


def test_it_refuses_a_replayed_state(dance, world):
    flow = dance("hubspot").start().consent()
    assert flow.finish().status_code == 302
    stored(world.client_a, "hubspot").delete()
    replay = flow.finish()
    assert replay.status_code == 400 and b"cannot be completed" in replay.content
    assert stored(world.client_a, "hubspot") is None


def test_it_refuses_a_state_from_another_browser(dance, world):
    from django.test import Client as BrowserClient

    flow = dance("pipedrive").start().consent()
    flow.browser = BrowserClient()  # same callback URL, different session
    assert flow.finish().status_code == 400
    assert stored(world.client_a, "pipedrive") is None


def test_it_refuses_an_expired_link(dance, world, settings):
    flow = dance("square").start().consent()
    settings.CONNECT_LINK_MAX_AGE = -1
    response = flow.finish()
    assert response.status_code == 410 and b"expired" in response.content
    assert flow.browser.get(f"/connect/{flow.link}/").status_code == 410
    assert stored(world.client_a, "square") is None


def test_it_shows_an_exchange_error_and_stores_nothing(dance, world):
    flow = dance("outlook").start().consent()
    control.configure("outlook", fail_500=1)
    response = flow.finish()
    assert response.status_code == 400 and b"did not confirm" in response.content
    assert stored(world.client_a, "outlook") is None


def test_it_fails_the_exchange_when_pkce_verifier_is_lost(dance, world):
    flow = dance("google").start().consent()
    session = flow.browser.session
    states = session["connect_states"]
    for entry in states.values():
        entry["verifier"] = "x" * 64
    session["connect_states"] = states
    session.save()
    assert flow.finish().status_code == 400
    assert stored(world.client_a, "google") is None


def test_it_rejects_a_forged_shopify_callback(dance, world):
    flow = dance("shopify").start().consent()
    flow.callback = flow.callback.replace("hmac=", "hmac=0")
    response = flow.finish()
    assert response.status_code == 400 and b"did not check out" in response.content
    assert stored(world.client_a, "shopify") is None


def test_it_rejects_a_shop_other_than_the_one_started(dance, world):
    flow = dance("shopify").start(shop="acme").consent(shop="evil.myshopify.com")
    assert flow.finish().status_code == 400
    assert stored(world.client_a, "shopify") is None


def test_it_never_sends_the_code_to_a_forged_zoho_accounts_server(dance, world):
    flow = dance("zoho").start().consent()
    flow.callback = flow.callback.replace("accounts.zoho.eu", "attacker.example")
    assert flow.finish().status_code == 400
    assert stored(world.client_a, "zoho") is None
    assert EmulatorGrant.objects.get(provider="zoho").token_calls == 0


def test_it_only_connects_the_provider_chosen_for_the_client(dance, world):
    flow = dance("hubspot")
    from connectors import links

    token = links.make_token(world.client_a)
    assert flow.browser.post(f"/connect/{token}/start/zoho").status_code == 404


@pytest.mark.parametrize("provider", [p for p in OAUTH_PROVIDERS if p != "shopify"])
def test_it_refreshes_each_oauth_provider_through_its_quirks(dance, world, provider):
    from datetime import timedelta

    from django.utils import timezone

    from connectors import tokens
    from connectors.models import Connection

    dance(provider).run()
    connection = stored(world.client_a, provider)
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=1)
    )
    connection = Connection.objects.get(pk=connection.pk)
    calls, old = control.token_calls(provider), connection.access_token
    new = tokens.access_token(connection)
    assert new != old and account_for_token(provider, new) is not None
    assert control.token_calls(provider) == calls + 1
    row = Connection.objects.get(pk=connection.pk)
    assert row.status == ConnectionStatus.ACTIVE and row.refresh_token
    assert row.token_expires_at is None or row.token_expires_at > timezone.now()


def test_a_shopify_token_rejected_by_the_shop_needs_reconnecting(dance, world):
    from connectors import tokens
    from connectors.base import ConnectorError

    dance("shopify").run()
    connection = stored(world.client_a, "shopify")
    with pytest.raises(ConnectorError) as dead:
        tokens.refresh(connection, rejected_token=connection.access_token)
    assert dead.value.needs_reauth
    assert stored(world.client_a, "shopify").status == ConnectionStatus.NEEDS_REAUTH


def test_the_redirect_uri_must_match_exactly(dance, world, settings):
    flow = dance("hubspot").start().consent()
    settings.PUBLIC_BASE_URL = settings.PUBLIC_BASE_URL + "/x"  # not the registered URI
    assert flow.finish().status_code == 400
    assert stored(world.client_a, "hubspot") is None
