"""Connections without a consent page: Toast machine login, CalDAV against a real Radicale."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.utils import timezone

from connectors import links, tokens
from connectors.models import Connection, ConnectionStatus
from emulators import control
from emulators.auth import account_for_token
from tests.radicale import radicale_server

from .conftest import choose, stored

GUID = "8f0b2b4e-5a41-4b7a-9f2e-0c1d2e3f4a5b"


def manual_post(client, provider: str, data: dict):
    choose(client, provider)
    browser = BrowserClient()
    token = links.make_token(client)
    assert browser.get(f"/connect/{token}/manual/{provider}").status_code == 200
    return browser.post(f"/connect/{token}/manual/{provider}", data)


def test_it_connects_toast_with_the_machine_login(emulators, world):
    response = manual_post(world.client_a, "toast", {"restaurant_guid": GUID})
    assert response.status_code == 302
    connection = stored(world.client_a, "toast")
    assert connection.settings == {"restaurant_guid": GUID}
    assert connection.external_account_id == GUID and connection.refresh_token == ""
    assert account_for_token("toast", connection.access_token) is not None


def test_it_logs_in_to_toast_again_when_the_token_expires(emulators, world):
    manual_post(world.client_a, "toast", {"restaurant_guid": GUID})
    Connection.objects.update(token_expires_at=timezone.now() + timedelta(minutes=1))
    connection = stored(world.client_a, "toast")
    calls, old = control.token_calls("toast"), connection.access_token
    new = tokens.access_token(connection)
    assert new != old and control.token_calls("toast") == calls + 1
    assert account_for_token("toast", new) is not None


def test_it_refuses_a_bad_toast_guid_and_stores_nothing(emulators, world):
    response = manual_post(world.client_a, "toast", {"restaurant_guid": "not-a-guid"})
    assert response.status_code == 200 and stored(world.client_a, "toast") is None


def test_it_shows_the_toast_login_failure_and_stores_nothing(emulators, world):
    control.configure("toast", fail_500=1)
    response = manual_post(world.client_a, "toast", {"restaurant_guid": GUID})
    assert b"Could not connect" in response.content
    assert stored(world.client_a, "toast") is None


@pytest.fixture
def radicale(tmp_path):
    """A real Radicale CalDAV server with one user (plain htpasswd) on a free port."""
    with radicale_server(tmp_path, "dentist", "app-specific-pw") as url:
        yield url


def test_it_connects_caldav_after_discovering_the_calendar_home(db, world, radicale):
    data = {"server_url": radicale, "username": "dentist", "password": "app-specific-pw"}
    response = manual_post(world.client_a, "caldav", data)
    assert response.status_code == 302, response.content[:500]
    connection = stored(world.client_a, "caldav")
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.settings["principal_url"] == f"{radicale}dentist/"
    assert connection.settings["calendar_home_url"] == f"{radicale}dentist/"
    assert connection.access_token == "app-specific-pw"  # decrypted; stored encrypted
    assert tokens.access_token(connection) == "app-specific-pw"


def test_it_refuses_wrong_caldav_credentials_and_stores_nothing(db, world, radicale):
    data = {"server_url": radicale, "username": "dentist", "password": "wrong"}
    response = manual_post(world.client_a, "caldav", data)
    assert response.status_code == 200 and b"user name or password" in response.content
    assert stored(world.client_a, "caldav") is None


def test_it_refuses_a_private_caldav_server_unless_allowed(db, world, radicale, settings):
    settings.ALLOW_PRIVATE_URLS = False
    settings.DEBUG = True  # so plain http is not what refuses it
    data = {"server_url": radicale, "username": "dentist", "password": "app-specific-pw"}
    response = manual_post(world.client_a, "caldav", data)
    assert response.status_code == 200 and b"private" in response.content
    assert stored(world.client_a, "caldav") is None


def test_the_connect_pages_need_a_valid_link(db, world):
    choose(world.client_a, "caldav")
    forged = links.make_token(world.client_a)[:-2] + "xx"
    assert BrowserClient().get(f"/connect/{forged}/manual/caldav").status_code == 404
    assert BrowserClient().get(f"/connect/{uuid.uuid4()}/").status_code == 404
