"""Connecting and disconnecting are audited (who, which system, never a token), and a
disconnect asks first, saying what will happen, behind a button that looks destructive."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from connectors.models import Connection
from syncs.models import AuditEntry

from .conftest import stored

pytestmark = pytest.mark.django_db


def url(world, suffix: str = "") -> str:
    return f"/console/clients/{world.client_a.public_id}/connections/{suffix}"


def test_a_client_connecting_through_the_link_is_audited(dance, world):
    flow = dance("hubspot")
    flow.run()
    connection = stored(world.client_a, "hubspot")
    entry = AuditEntry.objects.get(action="connection.connected")
    assert entry.client == world.client_a and entry.actor == "client:connect-link"
    assert entry.target == f"connection:{connection.pk}"
    assert entry.details["provider"] == "hubspot" and entry.details["scopes"] == connection.scopes
    assert connection.access_token not in str(entry.details)


def test_staff_connecting_for_the_client_are_audited_by_name(dance, world, owner):
    browser = BrowserClient()
    browser.force_login(owner)
    dance("hubspot", browser=browser).run()
    entry = AuditEntry.objects.get(action="connection.connected")
    assert entry.actor == "staff:owner@northwind.example"


def test_disconnect_asks_first_and_says_what_will_happen(client, world, owner):
    connection = Connection.objects.create(
        client=world.client_a, provider="hubspot", kind="crm", access_token="tok-secret-1"
    )
    client.force_login(owner)
    listing = client.get(url(world)).content.decode()
    assert 'class="button danger"' in listing and "Disconnect…" in listing
    page = client.get(url(world, f"{connection.pk}/disconnect"))
    body = page.content.decode()
    assert page.status_code == 200 and "Disconnect HubSpot from Alpha Dental?" in body
    assert "revoked at HubSpot" in body and "waits, nothing lost" in body
    assert '<button type="submit" class="danger">Disconnect HubSpot</button>' in body
    assert "tok-secret-1" not in body
    # A POST that did not come from the confirmation only shows it again.
    again = client.post(url(world, f"{connection.pk}/disconnect"))
    assert again.status_code == 200 and "This is what will happen" in again.content.decode()
    connection.refresh_from_db()
    assert connection.status == "active" and not AuditEntry.objects.exists()


def test_a_confirmed_disconnect_is_audited(client, world, owner):
    connection = Connection.objects.create(client=world.client_a, provider="pipedrive", kind="crm")
    client.force_login(owner)
    response = client.post(url(world, f"{connection.pk}/disconnect"), {"confirm": "yes"})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == "disabled"
    entry = AuditEntry.objects.get(action="connection.disconnected")
    assert entry.actor == "staff:owner@northwind.example"
    assert entry.details == {"provider": "pipedrive", "revoked_at_vendor": False}


def test_a_connection_without_a_consent_page_is_audited_too(emulators, world):
    from .test_manual_connect import GUID, manual_post

    assert manual_post(world.client_a, "toast", {"restaurant_guid": GUID}).status_code == 302
    entry = AuditEntry.objects.get(action="connection.connected")
    assert entry.actor == "client:connect-link" and entry.details["account"] == GUID


def test_a_refused_connection_audits_nothing(emulators, world):
    from .test_manual_connect import manual_post

    manual_post(world.client_a, "toast", {"restaurant_guid": "not-a-guid"})
    assert not AuditEntry.objects.exists()
