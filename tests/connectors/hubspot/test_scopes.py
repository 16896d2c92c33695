"""HubSpot's granted scopes: read from the token answer, kept on the connection, and the
optional features (the deal write key, Switchboard's properties) decided from them."""

from __future__ import annotations

import pytest

from connectors.hubspot.client import build
from emulators.crm import control
from tests.connectors.conftest import stored

pytestmark = pytest.mark.django_db(transaction=True)
OPTIONAL = {"crm.schemas.deals.read", "crm.schemas.deals.write", "crm.schemas.contacts.write"}


def test_it_keeps_the_scopes_the_portal_granted_optional_ones_included(dance, world):
    assert dance("hubspot").run().status_code == 302
    connection = stored(world.client_a, "hubspot")
    assert OPTIONAL <= set(connection.scopes)
    assert {"oauth", "crm.objects.contacts.write"} <= set(connection.scopes)
    assert connection.external_account_id.isdigit()  # the hub id, a number at HubSpot


def test_a_grant_without_the_optional_scopes_is_never_asked_for_them(dance, world):
    """The portal installed the app without the optional scopes: the token answer's list says
    so, and the client neither probes the deal property nor tries to add properties."""
    assert dance("hubspot").run(refuse_optional="1").status_code == 302
    connection = stored(world.client_a, "hubspot")
    assert not OPTIONAL & set(connection.scopes)
    assert "crm.objects.contacts.write" in connection.scopes
    account = connection.external_account_id
    crm = build(connection)
    assert crm.ensure_write_key() == "refused"
    assert control.counts("hubspot", account)["api_calls"] == 0  # decided from the grant
    [(change, kind, names)] = crm.ensure_fields()
    assert (change, kind, "ai_source_tag" in names) == ("refused", "contacts", True)
    counts = control.counts("hubspot", account)
    assert (counts["api_calls"], counts["write_calls"]) == (1, 0)  # the catalogue read only


def test_the_emulator_refuses_schema_writes_the_grant_lacks(dance, world, live_server):
    """As HubSpot does: a token whose grant lacks crm.schemas.contacts.write gets 403
    MISSING_SCOPES on a property create, whatever the portal would allow."""
    import requests

    assert dance("hubspot").run(refuse_optional="1").status_code == 302
    token = stored(world.client_a, "hubspot").access_token
    definition = {"name": "x_prop", "label": "X", "type": "string", "fieldType": "text",
                  "groupName": "contactinformation"}  # fmt: skip
    answer = requests.post(
        f"{live_server.url}/emulators/hubspot/crm/v3/properties/contacts",
        json=definition, headers={"Authorization": f"Bearer {token}"}, timeout=10,
    )  # fmt: skip
    body = answer.json()
    assert (answer.status_code, body["category"]) == (403, "MISSING_SCOPES")
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.schemas.contacts.write"]


def test_it_keeps_the_values_of_properties_the_grant_could_not_create(dance, world):
    """No crm.schemas.contacts.write, so the portal has none of our ai_* properties: their
    values go, labelled, to the standard ``message`` textarea instead of vanishing, and an
    update replaces its own lines while keeping what the message already said."""
    from connectors.base import CrmContact

    assert dance("hubspot").run(refuse_optional="1").status_code == 302
    connection = stored(world.client_a, "hubspot")
    crm = build(connection)
    extra = {"ai_intent": "book a demo", "ai_summary": "Wants 40 seats\nby March"}
    contact = CrmContact(email="ann@example.com", first_name="Ann", extra=extra)
    created = crm.create_contact(contact, source_tag="sb-1")
    props = control.record("hubspot", connection.external_account_id, created.id)["data"]
    assert "ai_intent" not in props
    summary = "AI conversation summary: Wants 40 seats by March"  # one line, spaces kept
    assert props["message"].splitlines() == ["Source tag: sb-1", "AI intent: book a demo", summary]
    previous = crm.update_contact(created.id, {"ai_intent": "pricing"})
    assert previous.fields == {"message": props["message"]}  # for a rollback to restore
    props = control.record("hubspot", connection.external_account_id, created.id)["data"]
    assert props["message"].splitlines() == ["Source tag: sb-1", summary, "AI intent: pricing"]
