"""The Pipedrive client end to end against the Pipedrive emulator (live server)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django import db

from connectors.base import ConnectorError, CrmContact
from connectors.pipedrive.client import build
from connectors.pipedrive.fields import OWN_FIELDS
from emulators.crm import control
from emulators.crm.pipedrive import custom_key, person_labels
from tests.conftest import close_kept_alive_sessions
from tests.connectors.crm_fixtures import find_or_create

pytestmark = pytest.mark.django_db(transaction=True)
V = "pipedrive"


def test_it_runs_the_whole_lead_lifecycle(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    crm.ensure_fields("contact")  # a new company: Switchboard's fields are added first
    keys = {f.label: f.name for f in crm.field_catalogue() if f.custom}
    assert crm.find_contact(email="ada@example.com", phone="+14155550100") is None
    created = crm.create_contact(
        CrmContact(email="Ada@example.com", first_name="Ada", last_name="Lovelace",
                   phone="+1 415 555 0100", extra={"AI intent": "pricing"}),
        source_tag="AI_Chatbot",
    )  # fmt: skip
    stored = control.record(V, account, created.id)["data"]
    assert stored["emails"] == [{"value": "ada@example.com", "primary": True, "label": "work"}]
    assert stored["custom_fields"] == {keys["Source tag"]: "AI_Chatbot",
                                       keys["AI intent"]: "pricing"}  # fmt: skip
    assert crm.find_contact(email="ada@example.com").id == created.id
    assert crm.find_contact(phone="+14155550100").id == created.id  # matched on digits
    previous = crm.update_contact(created.id, {"first_name": "Augusta", "AI intent": "demo"})
    assert previous.fields == {"first_name": "Ada", "AI intent": "pricing"}
    assert control.record(V, account, created.id)["data"]["name"] == "Augusta Lovelace"
    crm.restore_fields("contact", created.id, previous.fields)
    assert control.record(V, account, created.id)["data"]["name"] == "Ada Lovelace"
    deal = crm.create_deal(contact_id=created.id, name="Ada: demo", stage="Qualified")
    assert crm.move_deal(deal.id, "Demo Scheduled").fields == {"stage_id": "1"}
    note = crm.add_note(contact_id=created.id, body="Asked about <pricing>.")
    assert control.record(V, account, note.id)["data"]["content"] == "Asked about &lt;pricing&gt;."
    for kind, record_id in (("note", note.id), ("deal", deal.id), ("contact", created.id)):
        crm.delete(kind, record_id)
        crm.delete(kind, record_id)  # 404: fine
    assert control.counts(V, account)["objects"] == {}


def test_it_searches_before_creating_so_a_retry_never_duplicates(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    first = find_or_create(crm, CrmContact(email="bob@example.com", last_name="Smith"))
    again = find_or_create(crm, CrmContact(email="BOB@example.com"))
    assert again.id == first.id
    assert control.counts(V, account)["objects"] == {"persons": 1}
    assert control.write_calls(V, account) == 1


def test_it_labels_contacts_and_refuses_unknown_labels(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="l@example.com"), source_tag="x")
    previous = crm.tag_contact(person.id, ["Hot lead"])
    assert previous.fields == {"label_ids": ""}
    assert control.record(V, account, person.id)["data"]["label_ids"] == [2]
    with pytest.raises(ConnectorError) as raised:
        crm.tag_contact(person.id, ["VIP"])
    assert raised.value.permanent
    crm.restore_fields("contact", person.id, previous.fields)
    assert control.record(V, account, person.id)["data"]["label_ids"] == []


def test_it_adds_the_labels_a_company_lacks_once(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="v@example.com"), source_tag="x")
    assert crm.ensure_tags(["Hot lead", "AI_Chatbot", "ai_chatbot", "acme-bot"]) == [
        "AI_Chatbot", "acme-bot",
    ]  # fmt: skip
    writes = control.write_calls(V, account)
    assert crm.ensure_tags(["AI_Chatbot", "Hot lead"]) == []  # known now: no call at all
    assert build(connection).ensure_tags(["ai_chatbot"]) == []  # a new client reads them
    assert control.write_calls(V, account) == writes
    crm.tag_contact(person.id, ["AI_Chatbot", "Hot lead"])
    options = {label: i for i, label in person_labels(account)}
    assert sorted(control.record(V, account, person.id)["data"]["label_ids"]) == sorted(
        [options["AI_Chatbot"], options["Hot lead"]]
    )


def test_a_company_that_keeps_its_fields_to_admins_refuses_new_labels(emulated):
    connection, account = emulated(V)
    control.configure(V, account, fields_admin=False)
    with pytest.raises(ConnectorError) as raised:
        build(connection).ensure_tags(["AI_Chatbot"])
    assert raised.value.permanent and raised.value.status == 403
    assert raised.value.code == "unknown_label"
    assert build(connection).ensure_tags(["Customer"]) == []  # existing labels still do


def test_workers_adding_the_same_label_at_once_add_it_once(emulated):
    connection, account = emulated(V)
    start = threading.Barrier(4)

    def add() -> list[str]:
        crm = build(connection)
        crm._person_fields()  # all read "no such label" before any adds it
        start.wait()
        try:
            return crm.ensure_tags(["AI_Chatbot"])
        finally:
            close_kept_alive_sessions()
            db.connection.close()

    with ThreadPoolExecutor(4) as pool:
        added = list(pool.map(lambda _: add(), range(4)))
    assert sorted(added) == [[], [], [], ["AI_Chatbot"]]
    assert [label for _, label in person_labels(account)].count("AI_Chatbot") == 1


def test_it_pages_v2_persons_with_the_cursor(emulated):
    connection, account = emulated(V)
    control.seed(V, account, "persons", [{"name": f"P{i}"} for i in range(7)])
    seen = [r.fields["name"] for r in build(connection).iter_contacts(page_size=3)]
    assert seen == [f"P{i}" for i in range(7)]


def test_it_lists_custom_fields_in_the_catalogue(emulated):
    connection, account = emulated(V)
    control.add_custom_field(V, account, "person", "Source tag", "Source tag")  # by an admin
    catalogue = {f.label: f for f in build(connection).field_catalogue()}
    assert catalogue["Source tag"].custom and catalogue["Source tag"].name == custom_key(
        "Source tag"
    )
    assert not catalogue["Email"].custom


def _custom_fields(crm) -> dict[str, str]:
    return {f.label: f.name for f in crm.field_catalogue() if f.custom}


def test_a_new_company_has_only_pipedrives_own_person_fields(emulated):
    connection, _ = emulated(V)
    catalogue = build(connection).field_catalogue()
    assert not [f for f in catalogue if f.custom]
    assert {"name", "email", "phone", "label_ids"} <= {f.name for f in catalogue}


def test_a_bare_company_gets_switchboards_person_fields_once(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    assert crm.ensure_fields("contact") == [("created", "person", list(OWN_FIELDS))]
    assert sorted(_custom_fields(build(connection))) == sorted(OWN_FIELDS)  # Pipedrive has them
    writes = control.write_calls(V, account)
    assert crm.ensure_fields("contact") == []  # once a day per connection and connect
    assert build(connection).ensure_fields("contact") == []
    assert crm.ensure_fields("deal") == []
    assert control.write_calls(V, account) == writes
    person = crm.create_contact(CrmContact(email="f@example.com", extra={"AI intent": "demo"}),
                                source_tag="AI_Chatbot")  # fmt: skip
    keys = _custom_fields(crm)
    assert control.record(V, account, person.id)["data"]["custom_fields"] == {
        keys["Source tag"]: "AI_Chatbot", keys["AI intent"]: "demo"}  # fmt: skip
    assert control.counts(V, account)["objects"] == {"persons": 1}  # no note: nothing left over


def test_a_company_with_some_of_the_fields_gets_only_the_missing_ones(emulated):
    connection, account = emulated(V)
    control.add_custom_field(V, account, "person", "AI intent", "AI intent")
    changes = build(connection).ensure_fields("contact")
    assert changes == [("created", "person", [n for n in OWN_FIELDS if n != "AI intent"])]
    assert list(_custom_fields(build(connection))).count("AI intent") == 1


def _notes(account: str) -> list[str]:
    from emulators.crm import common

    return [r.data["content"] for r in common.records_of(V, account, "notes")]


@pytest.mark.parametrize("why", ["no_scope", "not_allowed"])
def test_a_company_refusing_new_fields_still_gets_the_whole_person(emulated, why):
    """A grant without ``admin`` / ``contact-fields:full`` is not tried at all; a company
    that refuses (403 Scope and URL mismatch) is asked once. Either way the person lands with
    its own fields and the values for the missing ones are lines of a note on it."""
    connection, account = emulated(V)
    if why == "no_scope":
        connection.scopes = ["base", "contacts:full", "deals:full", "search:read"]
        connection.save()
    else:
        control.configure(V, account, fields_admin=False)
    crm = build(connection)
    assert crm.ensure_fields("contact") == [("refused", "person", list(OWN_FIELDS))]
    assert control.write_calls(V, account) == (0 if why == "no_scope" else 1)
    assert crm.ensure_fields("contact") == []  # not asked again today
    person = crm.create_contact(
        CrmContact(email="r@example.com", first_name="Rae", last_name="Roe",
                   extra={"AI intent": "pricing", "AI lead score": "82"}),
        source_tag="AI_Chatbot",
    )  # fmt: skip
    data = control.record(V, account, person.id)["data"]
    assert (data["name"], data.get("custom_fields")) == ("Rae Roe", None)
    (note,) = _notes(account)
    assert "AI intent: pricing<br>AI lead score: 82" in note
    assert control.record(V, account, person.id) is not None
    previous = crm.update_contact(person.id, {"AI intent": "demo", "first_name": "Ray"})
    assert previous.fields == {"first_name": "Rae"}  # only what was written is put back
    assert "AI intent: demo" in _notes(account)[-1]


def test_a_value_too_long_for_a_text_field_goes_to_the_note(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    crm.ensure_fields("contact")
    contact = CrmContact(email="t@example.com", extra={"AI intent": "x" * 300})
    person = crm.create_contact(contact, source_tag="")
    assert not control.record(V, account, person.id)["data"].get("custom_fields")
    assert "AI intent: " + "x" * 300 in _notes(account)[0]


def test_a_field_deleted_since_the_catalogue_was_read_does_not_lose_the_person(emulated):
    connection, account = emulated(V)
    crm = build(connection)
    crm.ensure_fields("contact")
    control.configure(V, account, custom_fields={"person": []})  # an admin deletes them all
    person = build(connection).create_contact(
        CrmContact(email="d@example.com", extra={"AI intent": "pricing"}), source_tag="x"
    )  # the catalogue still remembered lists them: refused once, read again, sent again
    assert not control.record(V, account, person.id)["data"].get("custom_fields")
    assert "AI intent: pricing" in _notes(account)[0]


def test_it_gives_up_after_repeated_server_errors(emulated, settings):
    settings.VENDOR_BACKOFF_BASE_SECONDS = 0.01
    connection, account = emulated(V)
    control.inject_fault(V, account, "server_error", count=10)
    with pytest.raises(ConnectorError) as raised:
        build(connection).find_contact(email="a@example.com")
    assert raised.value.status == 500 and not raised.value.permanent


def test_it_finds_a_stage_past_the_first_page_of_stages(emulated):
    connection, account = emulated(V)
    control.configure(V, account, stages=[[100 + n, f"Pipeline 2 step {n}"] for n in range(150)])
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="s@example.com"), source_tag="")
    deal = crm.create_deal(contact_id=person.id, name="Late stage", stage="pipeline 2 STEP 140")
    assert control.record(V, account, deal.id)["data"]["stage_id"] == 240


def test_it_reads_the_stages_once_and_again_only_for_a_name_it_does_not_know(emulated):
    """Stages are remembered per connection: a second deal and a move by name cost only their
    own calls; a stage an admin adds later is found by reading the stages once more."""
    connection, account = emulated(V)
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="t@example.com"), source_tag="")
    first = crm.create_deal(contact_id=person.id, name="One", stage="Qualified")
    calls = control.counts(V, account)["api_calls"]
    crm.create_deal(contact_id=person.id, name="Two", stage="qualified")
    build(connection).move_deal(first.id, "Demo Scheduled")  # another worker, same cache
    assert control.counts(V, account)["api_calls"] - calls == 1 + 2  # POST; GET + PATCH
    control.configure(V, account, stages=[[77, "Booked by the chatbot"]])
    calls = control.counts(V, account)["api_calls"]
    third = crm.create_deal(contact_id=person.id, name="Three", stage="Booked by the chatbot")
    assert control.record(V, account, third.id)["data"]["stage_id"] == 77
    assert control.counts(V, account)["api_calls"] - calls == 1 + 1  # the stages, the POST
    with pytest.raises(ConnectorError) as unknown:
        crm.create_deal(contact_id=person.id, name="Four", stage="No such stage")
    assert unknown.value.code == "unknown_stage"


def test_a_stage_made_again_under_its_name_is_read_again_after_the_refusal(emulated):
    """The remembered id is of a stage an admin deleted and made again (a new id): Pipedrive
    refuses the deal (400), the stages are read again and the deal sent once more. A refusal
    over something else (a person gone) stands, after that one read."""
    connection, account = emulated(V)
    control.configure(V, account, stages=[[77, "Booked by the chatbot"]])
    crm = build(connection)
    person = crm.create_contact(CrmContact(email="u@example.com"), source_tag="")
    first = crm.create_deal(contact_id=person.id, name="One", stage="Booked by the chatbot")
    control.configure(V, account, stages=[[78, "Booked by the chatbot"]])
    second = crm.create_deal(contact_id=person.id, name="Two", stage="Booked by the chatbot")
    assert control.record(V, account, second.id)["data"]["stage_id"] == 78
    control.configure(V, account, stages=[[79, "Booked by the chatbot"]])
    crm.move_deal(first.id, "Booked by the chatbot")
    assert control.record(V, account, first.id)["data"]["stage_id"] == 79
    calls = control.counts(V, account)["api_calls"]
    with pytest.raises(ConnectorError) as refused:
        crm.create_deal(contact_id="999999", name="Three", stage="Booked by the chatbot")
    assert refused.value.status == 400 and "person" in str(refused.value)
    assert control.counts(V, account)["api_calls"] - calls == 1 + 1  # the POST, the stages


@pytest.mark.parametrize(
    ("field_type", "value", "stored"),
    [("double", "82", 82.0), ("double", "high", None), ("text", "x" * 300, "x" * 300),
     ("enum", "hot", None)],
)  # fmt: skip
def test_a_field_an_admin_made_of_another_type_gets_only_what_it_holds(
    emulated, field_type, value, stored
):
    """An admin may have made "AI lead score" as a number, a long text or an options field:
    a number is sent as a number (v2 does not convert strings), anything the field cannot
    hold goes to the note instead of refusing the whole person."""
    connection, account = emulated(V)
    control.add_custom_field(V, account, "person", "AI lead score", "AI lead score", field_type)
    crm = build(connection)
    contact = CrmContact(email="n@example.com", extra={"AI lead score": value})
    person = crm.create_contact(contact, source_tag="")
    custom = control.record(V, account, person.id)["data"].get("custom_fields") or {}
    assert custom.get(custom_key("AI lead score")) == stored
    notes = _notes(account)
    assert (f"AI lead score: {value}" in "".join(notes)) == (stored is None)


def test_workers_adding_the_fields_at_once_add_each_once(emulated):
    """Pipedrive would take a second field of the same name: the per-connection lock and the
    read under it keep concurrent first leads from making two."""
    connection, _account = emulated(V)
    start = threading.Barrier(3)

    def add() -> list:
        crm = build(connection)
        crm._person_fields()  # all read "no such field" before any adds one
        start.wait()
        try:
            return crm.ensure_fields("contact")
        finally:
            close_kept_alive_sessions()
            db.connection.close()

    with ThreadPoolExecutor(3) as pool:
        changes = list(pool.map(lambda _: add(), range(3)))
    assert sorted(changes) == [[], [], [("created", "person", list(OWN_FIELDS))]]
    names = [f.label for f in build(connection).field_catalogue() if f.custom]
    assert sorted(names) == sorted(OWN_FIELDS)


def test_it_reads_the_person_fields_once_for_many_leads(emulated):
    """A client is built per job: the person fields (custom field keys, labels) are read once
    an hour per connection, not on every lead; a label added in between is in what is kept."""
    from connectors.models import ApiCall

    connection, _ = emulated(V)
    reads = ApiCall.objects.filter(connection=connection, path__endswith="/personFields")
    build(connection).ensure_tags(["AI_Chatbot"])  # reads them, and again under its lock
    before = reads.count()
    for n in range(3):
        crm = build(connection)
        contact = crm.create_contact(
            CrmContact(email=f"p{n}@example.com", last_name="P"), source_tag="AI_Chatbot"
        )
        crm.tag_contact(contact.id, ["AI_Chatbot"])
    assert reads.count() == before == 2
