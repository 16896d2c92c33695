"""Console pages for connections: who may do what, and the connect link they hand out."""

from __future__ import annotations

import pytest
from django.test import Client as BrowserClient

from connectors.models import Connection, ConnectionIssue

pytestmark = pytest.mark.django_db


def url(world, suffix: str = "") -> str:
    return f"/console/clients/{world.client_a.public_id}/connections/{suffix}"


def test_it_lists_connections_and_open_issues(client, world, viewer):
    connection = Connection.objects.create(
        client=world.client_a, provider="hubspot", kind="crm", status="needs_reauth"
    )
    ConnectionIssue.objects.create(
        client=world.client_a, connection=connection, kind="needs_reauth", message="revoked"
    )
    client.force_login(viewer)
    page = client.get(url(world)).content.decode()
    assert "Needs reconnecting" in page and "revoked" in page
    assert "Create connect link" not in page and "Disconnect" not in page


def test_a_limited_connection_is_shown_until_the_client_reconnects(client, world, viewer):
    """An optional permission the CRM did not grant (syncs.crm.writes.LIMITED_WRITE_KEY, the
    grant named by the CRM's spec) is shown with what it costs; reconnecting resolves it, as
    it resolves every issue."""
    from connectors.oauth import TokenSet
    from connectors.services import connection_connect, connection_note_limited
    from syncs.crm.writes import limited_write_key

    connection = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    for _ in range(2):  # noted once however often it is found
        connection_note_limited(connection, limited_write_key("hubspot", "refused", "sb_key"))
    client.force_login(viewer)
    page = client.get(url(world)).content.decode()
    assert page.count("Working with less protection") == 1
    assert "crm.schemas.deals.write" in page
    tokens = TokenSet(access_token="a", refresh_token="r")
    connection_connect(client=world.client_a, provider="hubspot", tokens=tokens, tenant_settings={})
    assert "Working with less protection" not in client.get(url(world)).content.decode()


def test_it_hands_out_a_working_connect_link_to_admins(client, world, owner):
    client.force_login(owner)
    page = client.post(url(world, "link")).content.decode()
    link = page.split('id="connect-link"')[1].split("<code>")[1].split("</code>")[0]
    assert "/connect/" in link
    visit = BrowserClient().get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert visit.status_code == 200 and world.client_a.name in visit.content.decode()
    assert "HubSpot" in visit.content.decode()


def test_it_refuses_changes_to_viewers_and_operators(client, world, viewer, operator):
    connection = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    for user in (viewer, operator):
        client.force_login(user)
        assert client.post(url(world, "link")).status_code == 403
        assert client.post(url(world, "connect")).status_code == 403
        assert client.post(url(world, f"{connection.pk}/disconnect")).status_code == 403
    assert Connection.objects.get(pk=connection.pk).status == "active"


def test_it_will_not_disconnect_another_clients_connection(client, world, owner):
    other = Connection.objects.create(client=world.client_b, provider="hubspot", kind="crm")
    client.force_login(owner)
    assert client.post(url(world, f"{other.pk}/disconnect")).status_code == 404
    assert Connection.objects.get(pk=other.pk).status == "active"


def test_staff_connect_opens_the_clients_connect_page(client, world, owner):
    client.force_login(owner)
    response = client.post(url(world, "connect"))
    assert response.status_code == 302 and response["Location"].startswith("/connect/")


def test_it_names_providers_and_states_as_everywhere_else(client, world, viewer):
    Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    Connection.objects.create(client=world.client_a, provider="google", kind="calendar")
    client.force_login(viewer)
    page = client.get(url(world)).content.decode()
    row = page.split('id="connection-hubspot"')[1].split("</tr>")[0]
    assert "<td>CRM</td><td>HubSpot</td>" in row
    assert '<td class="status status-active">Connected' in row
    assert "Active" not in page and "<td>hubspot</td>" not in page
    assert "Google Calendar" in page.split('id="connection-google"')[1].split("</tr>")[0]
    mappings = client.get(f"/console/clients/{world.client_a.public_id}/mappings/").content
    assert b">HubSpot</a>" in mappings and b"Connected" in mappings


def test_the_connect_link_wraps_shows_its_expiry_and_has_a_copy_button(
    client, world, owner, settings
):
    from datetime import timedelta

    from django.utils import timezone

    settings.CONNECT_LINK_MAX_AGE = 3 * 86400
    client.force_login(owner)
    page = client.post(url(world, "link")).content.decode()
    box = page.split('id="connect-link"')[1].split("</div>\n")[0]
    expected = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    expiry = box.split('id="connect-link-expiry">')[1].split("</strong>")[0]
    assert expiry.startswith(expected) and expiry.endswith(timezone.localtime().tzname())
    assert "(in 3\xa0days" in box or "(in 2\xa0days" in box
    assert '<div class="wrap" id="connect-link-url"><code>' in box
    assert 'class="copy" data-copy-target="connect-link-url" hidden' in box
    assert '<script src="/static/copy.js" defer></script>' in page


def test_the_client_sees_until_when_the_link_works(client, world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from connectors import links

    settings.CONNECT_LINK_MAX_AGE = 2 * 86400
    token = links.make_token(world.client_a)
    page = client.get(f"/connect/{token}/").content.decode()
    expected = timezone.localtime(timezone.now() + timedelta(days=2))
    expiry = page.split('id="link-expiry">')[1].split("</p>")[0]
    assert expected.strftime("%Y-%m-%d %H:") in expiry and expiry.count(expected.tzname()) == 1
    assert links.expires_at("not-a-token") is None
