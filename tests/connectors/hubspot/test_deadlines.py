"""HubSpot's deadlines: the v1 OAuth endpoints shut off on 16 February 2027 and the v4
associations API loses support on 30 March 2027 (docs/vendors/hubspot.md). The connector
uses the dated 2026-03 API; the emulator serves both until each cut-over, then answers the old
paths as retired, so these tests stand on the far side of both dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from connectors import tokens
from connectors.base import CrmContact
from connectors.hubspot.client import build
from connectors.models import Connection
from connectors.services import connection_disconnect
from emulators import control as oauth_control
from emulators.crm import control
from emulators.models import EmulatorGrant
from tests.connectors.conftest import stored

pytestmark = pytest.mark.django_db(transaction=True)
V = "hubspot"
AFTER_BOTH = "2027-04-01"


def test_it_connects_refreshes_and_disconnects_after_the_v1_sunset(dance, world):
    oauth_control.configure(V, clock=AFTER_BOTH)
    assert dance(V).run().status_code == 302  # token exchange and introspection: 2026-03
    connection = stored(world.client_a, V)
    grant = EmulatorGrant.objects.get(provider=V)
    assert connection.external_account_id == grant.account_id  # the introspected hub_id
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=connection.token_expires_at - timedelta(hours=1)
    )
    old = connection.access_token
    assert tokens.access_token(Connection.objects.get(pk=connection.pk)) != old  # refreshed
    assert connection_disconnect(Connection.objects.get(pk=connection.pk)) is True
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_the_emulator_serves_v1_token_info_until_the_sunset_only(dance, world, live_server):
    dance(V).run()
    token = stored(world.client_a, V).access_token
    url = f"{live_server.url}/emulators/hubspot/oauth/v1/access-tokens/{token}"
    oauth_control.configure(V, clock="2027-02-15")
    info = requests.get(url, timeout=10).json()
    assert isinstance(info["hub_id"], int) and isinstance(info["user_id"], int)
    assert "crm.objects.contacts.write" in info["scopes"]
    oauth_control.configure(V, clock="2027-02-16")
    gone = requests.get(url, timeout=10)
    assert gone.status_code == 404 and gone.json()["status"] == "error"


def test_deals_and_notes_are_linked_and_read_after_the_v4_sunset(emulated):
    oauth_control.configure(V, clock=AFTER_BOTH)
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="late@example.com"), source_tag="t")
    deal = crm.create_deal(contact_id=contact.id, name="Late (booking)", stage="qualifiedtobuy",
                           source_tag="t", write_key="sb-late-1")  # fmt: skip
    note = crm.add_note(contact_id=contact.id, body="After the cut-over.")
    assert control.record(V, account, deal.id)["links"]["associations"] == [
        {"toObjectId": contact.id, "typeId": 3}
    ]  # the write-key upsert's association: the 2026-03 default association
    assert crm.find_deal(contact_id=contact.id, name="Late (booking)", source_tag="t").id == deal.id
    assert crm.find_note(contact_id=contact.id, body="After the cut-over.").id == note.id
    old = requests.get(
        f"{connection_url()}/crm/v4/objects/contacts/{contact.id}/associations/deals",
        headers={"Authorization": f"Bearer {connection.access_token}"}, timeout=10,
    )  # fmt: skip
    assert old.status_code == 404


def connection_url() -> str:
    from django.conf import settings

    return f"{settings.VENDOR_BASE_URL}/hubspot"
