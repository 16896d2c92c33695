"""The CRM clients' opt-out against the emulators: the refusals each vendor gives, in its own
error body, surface as permanent errors that say why."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmContact
from connectors.registry import client_for
from emulators.crm import control
from tests.connectors.crm_fixtures import emulated  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
ADA = CrmContact(email="ada@example.com", first_name="Ada", last_name="Lovelace")


def test_it_refuses_a_hubspot_opt_out_without_the_scope(emulated):  # noqa: F811
    connection, account = emulated("hubspot")
    crm = client_for(connection)
    contact = crm.create_contact(ADA, source_tag="t")
    control.configure("hubspot", account, communication_preferences=False)
    with pytest.raises(ConnectorError) as refused:
        crm.opt_out(contact.id, email=ADA.email)
    assert (refused.value.status, refused.value.permanent) == (403, True)
    assert "MISSING_SCOPES" in refused.value.code or "scope" in str(refused.value)


def test_it_cannot_opt_out_a_hubspot_contact_without_email(emulated):  # noqa: F811
    connection, _ = emulated("hubspot")
    crm = client_for(connection)
    contact = crm.create_contact(CrmContact(phone="+14155550100", last_name="Lee"), source_tag="t")
    with pytest.raises(ConnectorError) as refused:
        crm.opt_out(contact.id)
    assert refused.value.code == "no_email" and refused.value.permanent


def test_it_says_when_hubspot_has_nothing_to_resubscribe(emulated):  # noqa: F811
    connection, account = emulated("hubspot")
    crm = client_for(connection)
    contact = crm.create_contact(ADA, source_tag="t")
    previous = crm.opt_out(contact.id, email=ADA.email)
    assert previous.fields == {"subscriber": ADA.email, "subscriptions_ended": ""}
    assert crm.opt_out(contact.id, email=ADA.email).fields == {}  # already out: no change
    with pytest.raises(ConnectorError, match="nothing to subscribe them to again"):
        crm.undo_opt_out(contact.id, previous.fields)
    assert control.record("hubspot", account, contact.id)["data"]["hs_email_optout"] == "true"


def test_it_gets_zohos_error_for_a_non_boolean_opt_out(emulated):  # noqa: F811
    connection, _ = emulated("zoho")
    crm = client_for(connection)
    contact = crm.create_contact(ADA, source_tag="t")
    with pytest.raises(ConnectorError) as refused:
        crm.update_contact(contact.id, {"Email_Opt_Out": "yes"})
    assert refused.value.permanent and "INVALID_DATA" in (refused.value.code + str(refused.value))


def test_it_gets_pipedrives_error_for_an_unknown_marketing_status(emulated):  # noqa: F811
    connection, _ = emulated("pipedrive")
    crm = client_for(connection)
    contact = crm.create_contact(ADA, source_tag="t")
    response = crm.http.request(
        "PATCH", f"/api/v2/persons/{contact.id}", json={"marketing_status": "maybe"}, expect=(400,)
    )
    body = response.json()
    assert body["success"] is False and body["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    assert "marketing_status" in body["error"]


def test_it_refuses_a_zoho_opt_out_the_user_cannot_see(emulated):  # noqa: F811
    """A profile without access to Email_Opt_Out gets fields metadata without it; the update
    would leave it out and succeed, so the opt-out is refused instead of reported done."""
    connection, account = emulated("zoho")
    crm = client_for(connection)
    contact = crm.create_contact(ADA, source_tag="t")
    crm._catalogue("Contacts").pop("Email_Opt_Out")  # as the metadata of such a profile reads
    with pytest.raises(ConnectorError) as refused:
        crm.opt_out(contact.id, email=ADA.email)
    assert refused.value.permanent and "Email_Opt_Out" in str(refused.value)
    assert control.record("zoho", account, contact.id)["data"].get("Email_Opt_Out") in (None, False)


def test_it_refuses_to_undo_a_zoho_opt_out_the_user_cannot_see(emulated):  # noqa: F811
    connection, account = emulated("zoho")
    contact = client_for(connection).create_contact(ADA, source_tag="t")
    previous = client_for(connection).opt_out(contact.id, email=ADA.email)
    crm = client_for(connection)
    crm._catalogue("Contacts").pop("Email_Opt_Out")  # the field hidden from the user since
    with pytest.raises(ConnectorError) as refused:
        crm.undo_opt_out(contact.id, previous.fields)
    assert refused.value.permanent and "could not be undone" in str(refused.value)
    assert control.record("zoho", account, contact.id)["data"]["Email_Opt_Out"] is True
