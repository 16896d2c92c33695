"""The HubSpot emulator driven by HubSpot's own SDK (``hubspot-api-client``, a test-only
dependency), with the SDK's client-side validation on: every answer must deserialise into the
SDK's generated models (their required fields and enumerations), over every operation the
product uses and its error paths. Where the SDK and the emulator disagree, the emulator is
wrong: the SDK is generated from HubSpot's own OpenAPI specs.

The SDK (12.0.0) still calls the v1 OAuth and v4 associations paths, which the emulator serves
until their cut-over dates (test_deadlines.py covers the dated replacements).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hubspot import HubSpot
from hubspot.crm.associations.v4.models import BatchResponsePublicDefaultAssociation
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactCreate
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealCreate
from hubspot.crm.objects.notes import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
)
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteCreate
from hubspot.crm.properties import ApiException as PropertiesError
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyUpdate

from emulators.auth import issue_token_for_tests
from emulators.crm import control
from emulators.models import EmulatorToken

pytestmark = pytest.mark.django_db(transaction=True)
V = "hubspot"


@pytest.fixture
def portal(live_server):
    """``portal(account)`` -> the SDK, validating, pointed at the emulator with a fresh token."""

    def make(account: str = "4242", token: str = "") -> HubSpot:
        token = token or issue_token_for_tests(V, account, 3600)
        return HubSpot(
            access_token=token,
            host=f"{live_server.url}/emulators/hubspot",
            client_side_validation=True,
        )

    return make


def _contact(api: HubSpot, email: str = "ada@example.com") -> str:
    made = api.crm.contacts.basic_api.create(
        ContactCreate(properties={"email": email, "firstname": "Ada"}, associations=[])
    )
    return made.id


def _link(to_id: str, type_id: int) -> PublicAssociationsForObject:
    spec = AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=type_id)
    return PublicAssociationsForObject(to=PublicObjectId(id=to_id), types=[spec])


def test_contacts_create_read_update_list_search_and_archive(portal):
    api = portal()
    contacts = api.crm.contacts
    contact_id = _contact(api)
    read = contacts.basic_api.get_by_id(contact_id, properties=["email", "firstname"])
    assert (read.properties["email"], read.properties["firstname"]) == ("ada@example.com", "Ada")
    assert read.created_at is not None and read.archived is False
    updated = contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"lastname": "Lovelace"})
    )
    assert updated.properties["lastname"] == "Lovelace"
    page = contacts.basic_api.get_page(limit=10, properties=["email", "lastname"])
    assert [(r.id, r.properties["lastname"]) for r in page.results] == [(contact_id, "Lovelace")]
    found = contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[Filter(property_name="email", operator="EQ", value="ada@example.com")]
                )
            ],
            properties=["email"],
            sorts=[],
            limit=1,
            after="0",
        )
    )
    assert (found.total, found.results[0].id) == (1, contact_id)
    contacts.basic_api.archive(contact_id)
    with pytest.raises(ContactsError) as gone:
        contacts.basic_api.get_by_id(contact_id)
    assert gone.value.status == 404


def test_an_empty_search_is_a_valid_answer(portal):
    answer = portal().crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="email", operator="EQ", value="nobody@example.com")
                    ]
                )
            ],
            properties=["email"],
            sorts=[],
            limit=10,
            after="0",
        )
    )
    assert (answer.total, answer.results) == (0, [])


def test_a_second_contact_with_the_email_is_409_with_the_existing_id(portal):
    api = portal()
    first = _contact(api)
    with pytest.raises(ContactsError) as conflict:
        _contact(api, "ADA@example.com")
    body = json.loads(conflict.value.body)
    assert conflict.value.status == 409 and body["category"] == "CONFLICT"
    assert f"Existing ID: {first}" in body["message"]


def test_deals_notes_and_associations_as_the_product_uses_them(portal):
    api = portal()
    contact_id = _contact(api)
    deal = api.crm.deals.basic_api.create(
        DealCreate(
            properties={"dealname": "Ada (booking)", "dealstage": "qualifiedtobuy",
                        "pipeline": "default"},
            associations=[_link(contact_id, 3)],
        )
    )  # fmt: skip
    note = api.crm.objects.notes.basic_api.create(
        NoteCreate(
            properties={"hs_timestamp": "2026-12-04T10:00:00.000Z", "hs_note_body": "Hello"},
            associations=[_link(contact_id, 202)],
        )
    )
    linked = api.crm.associations.v4.basic_api.get_page("contacts", contact_id, "deals")
    assert [str(r.to_object_id) for r in linked.results] == [deal.id]
    notes = api.crm.associations.v4.basic_api.get_page("contacts", contact_id, "notes")
    assert [str(r.to_object_id) for r in notes.results] == [note.id]
    read = api.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            properties=["dealname"], properties_with_history=[],
            inputs=[SimplePublicObjectId(id=deal.id), SimplePublicObjectId(id="999")],
        )
    )  # fmt: skip
    assert [r.properties["dealname"] for r in read.results] == ["Ada (booking)"]
    assert read.errors[0].category == "OBJECT_NOT_FOUND"  # a StandardError, fully formed
    second = api.crm.deals.basic_api.create(
        DealCreate(properties={"dealname": "Other", "dealstage": "qualifiedtobuy"},
                   associations=[])
    )  # fmt: skip
    made = api.crm.associations.v4.basic_api.create_default(
        "deals", second.id, "contacts", contact_id
    )
    assert isinstance(made, BatchResponsePublicDefaultAssociation)
    assert made.results[0].association_spec.association_type_id == 3


def test_properties_upsert_by_a_unique_key_and_tag_options(portal):
    api = portal()
    core = api.crm.properties.core_api
    created = core.create("deals", PropertyCreate(
        name="switchboard_write_key", label="Key", type="string", field_type="text",
        group_name="dealinformation", has_unique_value=True, description="d",
    ))  # fmt: skip
    assert (created.group_name, created.has_unique_value) == ("dealinformation", True)
    assert core.get_by_name("deals", "switchboard_write_key").name == "switchboard_write_key"
    with pytest.raises(PropertiesError) as taken:
        core.create("deals", PropertyCreate(name="switchboard_write_key", label="Key",
                                            type="string", field_type="text",
                                            group_name="dealinformation"))  # fmt: skip
    assert taken.value.status == 409
    core.create("contacts", PropertyCreate(
        name="switchboard_tags", label="Tags", type="enumeration", field_type="checkbox",
        group_name="contactinformation", options=[],
    ))  # fmt: skip
    updated = core.update("contacts", "switchboard_tags", PropertyUpdate(
        options=[OptionInput(label="hot", value="hot", hidden=False, display_order=0)]
    ))  # fmt: skip
    assert [(o.value, o.hidden) for o in updated.options] == [("hot", False)]
    names = {p.name for p in core.get_all("contacts").results}
    assert {"email", "lifecyclestage", "switchboard_tags"} <= names
    row = SimplePublicObjectBatchInputUpsert(
        id_property="switchboard_write_key", id="sb-1",
        properties={"dealname": "Keyed", "dealstage": "qualifiedtobuy", "pipeline": "default"},
    )  # fmt: skip
    batch = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[row])
    first = api.crm.deals.batch_api.upsert(batch)
    again = api.crm.deals.batch_api.upsert(batch)
    assert (first.results[0].new, again.results[0].new) == (True, False)
    assert first.results[0].id == again.results[0].id
    [pipeline] = api.crm.pipelines.pipelines_api.get_all("deals").results
    assert "qualifiedtobuy" in [s.id for s in pipeline.stages]


def test_an_expired_token_is_401_with_hubspots_body(portal):
    token = issue_token_for_tests(V, "4242", 3600)
    EmulatorToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ContactsError) as refused:
        _contact(portal(token=token))
    body = json.loads(refused.value.body)
    assert refused.value.status == 401 and body["category"] == "INVALID_AUTHENTICATION"


def test_the_rate_limit_is_429_with_hubspots_headers(portal):
    api = portal("4243")
    control.inject_fault(V, "4243", "rate_limit", count=1, retry_after=7)
    with pytest.raises(ContactsError) as limited:
        _contact(api)
    body = json.loads(limited.value.body)
    assert (limited.value.status, body["errorType"], body["policyName"]) == (
        429, "RATE_LIMIT", "SECONDLY",
    )  # fmt: skip
    assert limited.value.headers["Retry-After"] == "7"
    assert limited.value.headers["X-HubSpot-RateLimit-Max"] == "110"


def test_a_refused_property_value_reaches_the_sdk_as_hubspots_400(portal):
    with pytest.raises(ContactsError) as refused:
        portal().crm.contacts.basic_api.create(
            ContactCreate(properties={"email": "x@example.com", "ai_source_tag": "t"},
                          associations=[])
        )  # fmt: skip
    body = json.loads(refused.value.body)
    assert refused.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "PROPERTY_DOESNT_EXIST" in body["message"]


def test_the_access_token_info_fits_the_sdks_model(portal):
    token = issue_token_for_tests(V, "4244", 3600)
    info = portal(token=token).oauth.access_tokens_api.get(token)
    assert (info.hub_id, info.token) == (4244, token)
    assert isinstance(info.user_id, int) and isinstance(info.scopes, list)
