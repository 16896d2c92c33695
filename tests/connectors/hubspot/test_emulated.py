"""The HubSpot client end to end against the HubSpot emulator (live server)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django import db
from django.utils import timezone

from connectors.base import ConnectorError, CrmContact
from connectors.hubspot.client import WRITE_KEY_PROPERTY, build
from emulators.crm import control
from tests.conftest import close_kept_alive_sessions

pytestmark = pytest.mark.django_db(transaction=True)
V = "hubspot"


def test_it_runs_the_whole_lead_lifecycle(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    assert crm.find_contact(email="ada@example.com") is None
    created = crm.create_contact(
        CrmContact(email="Ada@Example.com", first_name="Ada", last_name="Lovelace",
                   phone="+14155550100"),
        source_tag="AI_Chatbot",
    )  # fmt: skip
    assert created.existed is False
    assert crm.find_contact(email="ada@example.com").id == created.id
    assert crm.find_contact(phone="+14155550100").id == created.id
    previous = crm.update_contact(created.id, {"firstname": "Augusta", "company": "Analytical"})
    assert previous.fields == {"firstname": "Ada", "company": ""}
    deal = crm.create_deal(contact_id=created.id, name="Ada: demo", stage="appointmentscheduled")
    moved = crm.move_deal(deal.id, "qualifiedtobuy")
    assert moved.fields == {"dealstage": "appointmentscheduled"}
    note = crm.add_note(contact_id=created.id, body="Asked about pricing.")
    stored = control.record(V, account, note.id)
    assert stored["links"]["associations"] == [{"toObjectId": created.id, "typeId": 202}]
    for kind, record_id in (("note", note.id), ("deal", deal.id), ("contact", created.id)):
        crm.delete(kind, record_id)
        crm.delete(kind, record_id)  # already gone: fine
    assert control.counts(V, account)["objects"] == {}


def test_it_prefers_the_email_match_over_an_older_phone_match(emulated):
    connection, _ = emulated(V)
    crm = build(connection)
    by_phone = crm.create_contact(
        CrmContact(email="old@example.com", phone="+14155550100"), source_tag="t"
    )
    by_email = crm.create_contact(CrmContact(email="new@example.com"), source_tag="t")
    assert crm.find_contact(email="new@example.com", phone="+14155550100").id == by_email.id
    assert crm.find_contact(email="none@example.com", phone="+14155550100").id == by_phone.id
    assert crm.find_contact(email="none@example.com", phone="+14155550199") is None


def test_it_never_creates_a_second_contact_when_the_email_exists(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    first = crm.create_contact(CrmContact(email="bob@example.com", first_name="Bob"),
                               source_tag="AI_Chatbot")  # fmt: skip
    again = crm.create_contact(CrmContact(email="BOB@example.com", first_name="Robert"),
                               source_tag="AI_Chatbot")  # fmt: skip
    assert again.existed is True and again.id == first.id
    assert again.fields == {"firstname": "Bob"}  # what the 409 path's update replaced
    assert control.counts(V, account)["objects"] == {"contacts": 1}
    assert control.record(V, account, first.id)["data"]["firstname"] == "Robert"


def test_it_keeps_one_clients_crm_invisible_to_another(emulated, world):
    conn_a, _ = emulated(V)
    conn_b, account_b = emulated(V, world.client_b)
    build(conn_a).create_contact(CrmContact(email="a@example.com"), source_tag="t")
    assert build(conn_b).find_contact(email="a@example.com") is None
    assert control.counts(V, account_b)["objects"] == {}


def test_it_reports_the_rate_limit_with_the_vendors_wait(emulated):
    connection, account = emulated(V)
    control.inject_fault(V, account, "rate_limit", count=5, retry_after=7)
    with pytest.raises(ConnectorError) as raised:
        build(connection).find_contact(email="x@example.com")
    assert raised.value.retry_after is not None and raised.value.retry_after >= 7


def test_it_tags_with_lifecycle_stage_and_tag_property_and_restores(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact = crm.create_contact(CrmContact(email="t@example.com"), source_tag="t")
    crm.tag_contact(contact.id, ["lead"])
    assert crm.ensure_tags(["opportunity", "hot", "callback"]) == ["hot", "callback"]
    previous = crm.tag_contact(contact.id, ["opportunity", "hot", "callback"])
    assert previous.fields == {"lifecyclestage": "lead", "switchboard_tags": ""}
    data = control.record(V, account, contact.id)["data"]
    assert (data["lifecyclestage"], data["switchboard_tags"]) == ("opportunity", "hot;callback")
    crm.restore_fields("contact", contact.id, previous.fields)
    data = control.record(V, account, contact.id)["data"]
    assert (data["lifecyclestage"], data["switchboard_tags"]) == ("lead", "")
    crm.delete("contact", contact.id)
    crm.restore_fields("contact", contact.id, previous.fields)  # gone: nothing to do


def test_it_lists_custom_properties_in_the_catalogue(emulated):
    connection, account = emulated(V)
    control.add_custom_field(V, account, "contacts", "shoe_size", "Shoe size", "number")
    fields = {f.name: f for f in build(connection).field_catalogue()}
    assert fields["shoe_size"].custom and not fields["email"].custom


def _contact(crm) -> str:
    return crm.create_contact(CrmContact(email="mary@example.com"), source_tag="t").id


def _deal(crm, contact_id: str, key: str = "sb-key-1", stage: str = "appointmentscheduled"):
    return crm.create_deal(contact_id=contact_id, name="Mary (booking)", stage=stage,
                           source_tag="AI_Chatbot", write_key=key)  # fmt: skip


def test_a_deal_created_twice_with_one_write_key_is_one_deal(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    contact_id = _contact(crm)
    first = _deal(crm, contact_id)
    again = _deal(build(connection), contact_id, stage="qualifiedtobuy")
    other = _deal(crm, contact_id, key="sb-key-2")
    assert (first.existed, again.existed, other.existed) == (False, True, False)
    assert again.id == first.id != other.id
    stored = control.record(V, account, first.id)
    assert stored["data"][WRITE_KEY_PROPERTY] == "sb-key-1"
    assert stored["data"]["dealstage"] == "qualifiedtobuy"  # the upsert updated it
    assert stored["links"]["associations"] == [{"toObjectId": contact_id, "typeId": 3}]
    assert crm.find_deal(contact_id=contact_id, name="Mary (booking)").id == first.id
    [prop] = [p for p in crm.field_catalogue("deal") if p.name == WRITE_KEY_PROPERTY]
    assert prop.custom


def test_workers_creating_one_deal_at_once_make_one(emulated):
    """Four runs send the same keyed create together (a dead run's late create beside its
    re-run's): HubSpot's uniqueness, which the emulator keeps with a lock, makes one deal."""
    connection, account = emulated(V)
    contact_id = _contact(build(connection))
    start = threading.Barrier(4)

    def create() -> tuple[str, bool]:
        crm = build(connection)
        try:
            start.wait()
            deal = _deal(crm, contact_id)
            return deal.id, deal.existed
        finally:
            close_kept_alive_sessions()
            db.connection.close()

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: create(), range(4)))
    assert len({deal_id for deal_id, _ in made}) == 1
    assert sorted(existed for _, existed in made) == [False, True, True, True]
    assert control.counts(V, account)["objects"] == {"contacts": 1, "deals": 1}
    [prop] = [p for p in build(connection).field_catalogue("deal") if p.name == WRITE_KEY_PROPERTY]
    assert prop.custom  # added once: a second add would have been refused with 409


@pytest.mark.parametrize("knob", ["schemas_write", "schemas_read"])
def test_a_portal_that_refuses_the_schema_scope_gets_plain_deals(emulated, knob):
    """Without crm.schemas.deals.write the property cannot be added; without .read it cannot
    even be looked at (403 either way): deals are plain creates, never a failed sync."""
    connection, account = emulated(V)
    control.configure(V, account, **{knob: False})
    crm = build(connection)
    contact_id = _contact(crm)
    assert crm.ensure_write_key() == "refused"
    first, second = _deal(crm, contact_id), _deal(crm, contact_id)
    assert first.id != second.id  # no key to hold them to one: a re-run searches first
    assert WRITE_KEY_PROPERTY not in control.record(V, account, first.id)["data"]
    assert crm.ensure_write_key() == ""  # remembered: not asked again
    control.configure(V, account, **{knob: True})
    assert all(p.name != WRITE_KEY_PROPERTY for p in crm.field_catalogue("deal"))
    assert build(connection).ensure_write_key() == ""  # remembered for a day ...
    connection.connected_at = timezone.now()  # ... unless the client connects again
    connection.save(update_fields=["connected_at"])
    crm = build(connection)
    assert crm.ensure_write_key() == "created"
    assert _deal(crm, contact_id).existed is False
    assert _deal(crm, contact_id).existed is True


# --- a portal has only the properties and options it was given ------------------------------


def test_the_emulator_refuses_a_tag_that_is_not_an_option_with_hubspots_body(emulated):
    """What the connector must never send: HubSpot refuses the whole create (400
    INVALID_OPTION) when a multi-checkbox value is not one of the property's options."""
    import requests

    connection, account = emulated(V)
    from connectors.registry import vendor_url

    build(connection).ensure_fields()  # the portal now has switchboard_tags, without options
    response = requests.post(
        vendor_url(V, "https://api.hubapi.com/crm/v3/objects/contacts"),
        json={"properties": {"email": "x@example.com", "switchboard_tags": "new-tag"}},
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=10,
    )
    body = response.json()
    assert (response.status_code, body["status"], body["category"]) == (
        400, "error", "VALIDATION_ERROR",
    )  # fmt: skip
    assert body["message"].startswith("Property values were not valid: [")
    assert '"error": "INVALID_OPTION"' in body["message"]
    assert control.counts(V, account)["objects"] == {}


def test_a_new_tag_becomes_an_option_before_the_contact_carries_it(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    assert crm.ensure_tags(["AI_Chatbot", "brand-new", "lead"]) == ["AI_Chatbot", "brand-new"]
    assert crm.ensure_tags(["AI_Chatbot"]) == []  # known now: no call
    created = crm.create_contact(CrmContact(email="n@example.com"), source_tag="AI_Chatbot",
                                 tags=["AI_Chatbot", "brand-new", "lead"])  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    assert (data["switchboard_tags"], data["lifecyclestage"]) == ("AI_Chatbot;brand-new", "lead")
    [prop] = [p for p in crm.field_catalogue() if p.name == "switchboard_tags"]
    assert prop.custom


def test_a_portal_that_refuses_new_options_still_gets_the_lead(emulated):
    """Without crm.schemas.contacts.write no option can be added: the contact is created with
    the tags the portal knows (none here), never refused over a tag."""
    connection, account = emulated(V)
    control.configure(V, account, schemas_write=False)
    crm = build(connection)
    with pytest.raises(ConnectorError) as refused:
        crm.ensure_tags(["hot"])
    assert refused.value.permanent
    created = crm.create_contact(CrmContact(email="r@example.com"), source_tag="t",
                                 tags=["hot", "customer"])  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    # The source tag's property could not be created either: kept on a line of the message.
    assert data == {"email": "r@example.com", "lifecyclestage": "customer",
                    "message": "Source tag: t"}  # fmt: skip


def test_a_write_never_names_a_property_the_portal_lacks(emulated):
    """A portal starts with HubSpot's own properties only: the emulator refuses our custom
    ones (PROPERTY_DOESNT_EXIST) until they exist. Where the grant allows, the client adds
    them (and says so, for the audit); where not, the lead goes in without them."""
    connection, account = emulated(V)
    control.configure(V, account, schemas_write=False)
    crm = build(connection)
    assert crm.ensure_fields() == [("refused", "contacts", [
        "ai_source_tag", "ai_lead_score", "ai_intent", "ai_summary", "ai_chatbot_vendor",
        "ai_session_id", "switchboard_tags"])]  # fmt: skip
    contact = CrmContact(email="p@example.com", first_name="Pat", extra={"ai_intent": "buy"})
    created = crm.create_contact(contact, source_tag="AI_Chatbot")
    assert control.record(V, account, created.id)["data"] == {
        "email": "p@example.com", "firstname": "Pat",
        "message": "Source tag: AI_Chatbot\nAI intent: buy"}  # kept, labelled  # fmt: skip
    deal = crm.create_deal(contact_id=created.id, name="Pat (booking)", stage="qualifiedtobuy",
                           source_tag="AI_Chatbot")  # fmt: skip
    stored = control.record(V, account, deal.id)["data"]
    assert "ai_source_tag" not in stored and stored["description"] == "Source tag: AI_Chatbot"
    assert crm.find_deal(contact_id=created.id, name="Pat (booking)",
                         source_tag="AI_Chatbot").id == deal.id  # fmt: skip


def test_the_client_adds_its_properties_where_the_grant_allows(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    [(change, kind, names)] = crm.ensure_fields()
    assert (change, kind, "ai_source_tag" in names) == ("created", "contacts", True)
    assert crm.ensure_fields() == []  # remembered
    contact = CrmContact(email="q@example.com", extra={"ai_lead_score": "87"})
    created = crm.create_contact(contact, source_tag="AI_Chatbot")
    data = control.record(V, account, created.id)["data"]
    assert (data["ai_source_tag"], data["ai_lead_score"]) == ("AI_Chatbot", "87")
    groups = {p["name"]: p["groupName"] for p in _properties(connection, "contacts")}
    assert groups["ai_source_tag"] == "contactinformation"  # the group we asked for


def test_a_property_removed_since_the_catalogue_was_read_costs_one_retry(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    crm.ensure_fields()
    row = control.common.account_row(V, account)
    row.config["custom_fields"]["contacts"] = [
        f for f in row.config["custom_fields"]["contacts"] if f["name"] != "ai_source_tag"
    ]
    row.save(update_fields=["config"])
    control.configure(V, account, schemas_write=False)  # and it may not be added back
    created = crm.create_contact(CrmContact(email="z@example.com"), source_tag="AI_Chatbot")
    assert control.record(V, account, created.id)["data"] == {
        "email": "z@example.com", "message": "Source tag: AI_Chatbot"}  # fmt: skip


def _properties(connection, object_type: str) -> list[dict]:
    import requests

    from connectors.registry import vendor_url

    response = requests.get(
        vendor_url(V, f"https://api.hubapi.com/crm/v3/properties/{object_type}"),
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=10,
    )
    return response.json()["results"]


def test_an_option_another_worker_added_is_kept_when_adding_ours(emulated):
    """HubSpot replaces a property's options whole: a worker whose remembered list is stale
    reads them afresh before adding, so the other worker's option survives."""
    connection, account = emulated(V)
    first, second = build(connection), build(connection)
    first.ensure_fields()
    assert second.schema.tag_options() == []  # read now: stale once the first adds one
    assert first.ensure_tags(["one"]) == ["one"]
    assert second.ensure_tags(["two"]) == ["two"]
    [tags] = [p for p in _properties(connection, "contacts") if p["name"] == "switchboard_tags"]
    assert [o["value"] for o in tags["options"]] == ["one", "two"]
    created = second.create_contact(CrmContact(email="w@example.com"), source_tag="t",
                                    tags=["one", "two"])  # fmt: skip
    assert control.record(V, account, created.id)["data"]["switchboard_tags"] == "one;two"


def test_an_option_removed_since_it_was_read_leaves_the_tag_out_not_the_contact(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    crm.ensure_tags(["gone-soon"])
    row = control.common.account_row(V, account)
    [tags] = [f for f in row.config["custom_fields"]["contacts"] if f["name"] == "switchboard_tags"]
    tags["options"] = []  # an admin deleted the option
    row.save(update_fields=["config"])
    control.configure(V, account, schemas_write=False)  # and we may not add it back
    created = crm.create_contact(CrmContact(email="o@example.com"), source_tag="t",
                                 tags=["gone-soon", "lead"])  # fmt: skip
    data = control.record(V, account, created.id)["data"]
    assert "switchboard_tags" not in data and data["lifecyclestage"] == "lead"
