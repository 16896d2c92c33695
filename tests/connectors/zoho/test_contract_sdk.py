"""Contract: Zoho's own CRM v8 Python SDK (``zohocrmsdk8-0``, a test-only pin) drives the Zoho
emulator over the operations the product uses and their error paths. The SDK is pointed at
the emulator through its public ``DataCenter.Environment`` (API URL, accounts URL), as it is
pointed at any data centre; its own validation is on (it reads the module's fields metadata
from the emulator before a write, and checks picklist values). Each answer must parse into
the SDK's models: a body the SDK cannot read fails here."""

from __future__ import annotations

import pytest
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam
from zohocrmsdk.src.com.zoho.crm.api.fields import ResponseWrapper as FieldsWrapper
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.record import (
    ActionWrapper,
    APIException,
    BodyWrapper,
    Field,
    GetRecordsParam,
    Record,
    RecordOperations,
    ResponseWrapper,
    SearchRecordsParam,
)
from zohocrmsdk.src.com.zoho.crm.api.related_records import (
    GetRelatedRecordsParam,
    RelatedRecordsOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.tags import (
    ExistingTag,
    ExistingTagRequestWrapper,
    NewTagRequestWrapper,
    Tag,
    TagsOperations,
)
from zohocrmsdk.src.com.zoho.crm.api.util import Choice

from emulators.auth import issue_token_for_tests
from emulators.crm import control

pytestmark = pytest.mark.django_db(transaction=True)
V = "zoho"
ACCOUNT = "zoho-sdk"


@pytest.fixture
def sdk(live_server, tmp_path):
    """``sdk(lifetime_s=3600)``: the SDK initialised on a fresh access token of ACCOUNT."""

    def start(lifetime_s: int = 3600, pick_list_validation: bool = True) -> None:
        base = f"{live_server.url}/emulators/zoho"
        environment = DataCenter.Environment(base, f"{base}/oauth/v2/token", base)
        token = OAuthToken(access_token=issue_token_for_tests(V, ACCOUNT, lifetime_s),
                           find_user=False)  # fmt: skip
        Initializer.initialize(
            environment=environment, token=token,
            store=FileStore(str(tmp_path / "sdk_tokens.csv")),
            sdk_config=SDKConfig(auto_refresh_fields=False,
                                 pick_list_validation=pick_list_validation),
            resource_path=str(tmp_path),
        )  # fmt: skip

    start()
    return start


def _contact(last_name: str, email: str, **more: str) -> BodyWrapper:
    record = Record()
    record.add_field_value(Field.Contacts.last_name(), last_name)
    record.add_field_value(Field.Contacts.email(), email)
    for name, value in more.items():
        record.add_key_value(name, value)
    body = BodyWrapper()
    body.set_data([record])
    return body


def _one_action(response):
    """The single per-record result of a write, as the SDK's model."""
    wrapper = response.get_object()
    assert isinstance(wrapper, ActionWrapper), wrapper
    (entry,) = wrapper.get_data()
    return entry


def _create_contact(email: str) -> str:
    response = RecordOperations("Contacts").create_records(_contact("Lovelace", email))
    assert response.get_status_code() == 201
    entry = _one_action(response)
    assert (entry.get_status().get_value(), entry.get_code().get_value()) == ("success", "SUCCESS")
    return str(entry.get_details()["id"])


def test_the_sdk_creates_finds_updates_and_deletes_a_contact(sdk):
    contact_id = _create_contact("ada@example.com")
    assert control.record(V, ACCOUNT, contact_id) is not None
    params = ParameterMap()
    params.add(SearchRecordsParam.email, "ADA@example.com")
    found = RecordOperations("Contacts").search_records(params)
    assert found.get_status_code() == 200 and isinstance(found.get_object(), ResponseWrapper)
    assert [r.get_id() for r in found.get_object().get_data()] == [int(contact_id)]
    record = Record()
    record.add_field_value(Field.Contacts.first_name(), "Augusta")
    body = BodyWrapper()
    body.set_data([record])
    updated = RecordOperations("Contacts").update_record(int(contact_id), body)
    assert _one_action(updated).get_code().get_value() == "SUCCESS"
    read = RecordOperations("Contacts").get_record(int(contact_id))
    assert read.get_object().get_data()[0].get_key_value("First_Name") == "Augusta"
    deleted = RecordOperations("Contacts").delete_record(int(contact_id))
    assert _one_action(deleted).get_code().get_value() == "SUCCESS"
    assert control.record(V, ACCOUNT, contact_id) is None


def test_an_empty_search_is_204_and_no_object(sdk):
    params = ParameterMap()
    params.add(SearchRecordsParam.email, "nobody@example.com")
    response = RecordOperations("Contacts").search_records(params)
    assert response.get_status_code() == 204 and response.get_object() is None


def test_the_sdk_creates_a_deal_and_a_note_and_reads_the_contacts_notes(sdk):
    contact_id = _create_contact("deal@example.com")
    deal = Record()
    deal.add_field_value(Field.Deals.deal_name(), "Ada: demo")
    deal.add_field_value(Field.Deals.stage(), Choice("Qualification"))
    contact = Record()
    contact.set_id(int(contact_id))
    deal.add_field_value(Field.Deals.contact_name(), contact)
    body = BodyWrapper()
    body.set_data([deal])
    created = RecordOperations("Deals").create_records(body)
    assert _one_action(created).get_code().get_value() == "SUCCESS"
    note = Record()
    note.add_field_value(Field.Notes.note_content(), "Asked about pricing.")
    parent = Record()
    parent.set_id(int(contact_id))
    parent.add_key_value("module", {"api_name": "Contacts"})
    note.add_field_value(Field.Notes.parent_id(), parent)
    body = BodyWrapper()
    body.set_data([note])
    assert _one_action(RecordOperations("Notes").create_records(body)).get_code().get_value() == (
        "SUCCESS"
    )
    params = ParameterMap()
    params.add(GetRelatedRecordsParam.fields, "Note_Title,Note_Content")
    notes = RelatedRecordsOperations("Notes", "Contacts").get_related_records(
        int(contact_id), params
    )
    assert notes.get_status_code() == 200
    contents = [r.get_key_value("Note_Content") for r in notes.get_object().get_data()]
    assert contents == ["Asked about pricing."]


def test_the_sdk_tags_a_contact_and_removes_the_tag(sdk):
    contact_id = _create_contact("tag@example.com")
    tag = Tag()
    tag.set_name("AI_Chatbot")
    request = NewTagRequestWrapper()
    request.set_tags([tag])
    response = TagsOperations().add_tags("Contacts", int(contact_id), request)
    assert response.get_status_code() == 200
    assert control.record(V, ACCOUNT, contact_id)["links"]["tags"][0]["name"] == "AI_Chatbot"
    existing = ExistingTag()
    existing.set_name("AI_Chatbot")
    removal = ExistingTagRequestWrapper()
    removal.set_tags([existing])
    response = TagsOperations().remove_tags("Contacts", int(contact_id), removal)
    assert response.get_status_code() == 200
    assert control.record(V, ACCOUNT, contact_id)["links"]["tags"] == []


def test_the_sdk_finds_by_criteria_and_pages_a_list_by_page_token(sdk):
    ids = [_create_contact(f"p{n}@example.com") for n in range(3)]
    params = ParameterMap()
    params.add(SearchRecordsParam.criteria, "(Email:equals:p1@example.com)")
    found = RecordOperations("Contacts").search_records(params)
    assert [str(r.get_id()) for r in found.get_object().get_data()] == [ids[1]]
    seen: list[str] = []
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Last_Name,Email")
    params.add(GetRecordsParam.per_page, 2)
    while True:
        page = RecordOperations("Contacts").get_records(params)
        seen += [str(r.get_id()) for r in page.get_object().get_data()]
        info = page.get_object().get_info()
        if not info.get_more_records():
            break
        params.add(GetRecordsParam.page_token, info.get_next_page_token())
    assert seen == ids


def test_the_sdk_reads_the_fields_metadata(sdk):
    params = ParameterMap()
    params.add(GetFieldsParam.module, "Contacts")
    response = FieldsOperations().get_fields(params)
    assert isinstance(response.get_object(), FieldsWrapper)
    names = {f.get_api_name() for f in response.get_object().get_fields()}
    assert {"Last_Name", "Email", "Lead_Source"} <= names and "AI_Company" not in names


def test_a_duplicate_names_the_existing_record(sdk):
    control.configure(V, ACCOUNT, unique_fields={"Contacts": ["Email"]})
    first = _create_contact("dup@example.com")
    response = RecordOperations("Contacts").create_records(_contact("Again", "DUP@example.com"))
    assert response.get_status_code() == 400
    entry = _one_action(response)
    assert isinstance(entry, APIException) and entry.get_code().get_value() == "DUPLICATE_DATA"
    assert str(entry.get_details()["duplicate_record"].get_id()) == first  # the SDK's model


def _search(email: str):
    params = ParameterMap()
    params.add(SearchRecordsParam.email, email)
    return RecordOperations("Contacts").search_records(params)


def test_a_value_outside_the_picklist_is_refused_by_the_sdk_and_by_the_emulator(sdk):
    body = _contact("Pick", "pick@example.com", Lead_Source=Choice("AI_Chatbot"))
    with pytest.raises(SDKException) as raised:  # the SDK checks the emulator's metadata
        RecordOperations("Contacts").create_records(body)
    assert "Chat" in raised.value.details["accepted_values"]
    sdk(pick_list_validation=False)
    response = RecordOperations("Contacts").create_records(body)
    assert response.get_status_code() == 400
    entry = _one_action(response)
    assert entry.get_code().get_value() == "INVALID_DATA"
    assert entry.get_details()["api_name"] == "Lead_Source"


def test_an_expired_token_is_401_invalid_token(sdk):
    assert _search("ada@example.com").get_status_code() == 204  # fields metadata read
    sdk(lifetime_s=-60)
    response = _search("ada@example.com")
    assert response.get_status_code() == 401
    assert isinstance(response.get_object(), APIException)
    assert response.get_object().get_code().get_value() == "INVALID_TOKEN"


def test_the_rate_limit_is_429_too_many_requests(sdk):
    assert _search("ada@example.com").get_status_code() == 204
    control.inject_fault(V, ACCOUNT, "rate_limit", retry_after=7, path="/search")
    response = _search("ada@example.com")
    assert response.get_status_code() == 429
    assert response.get_object().get_code().get_value() == "TOO_MANY_REQUESTS"
    assert response.get_headers()["Retry-After"] == "7"


def test_an_unknown_module_is_invalid_module(sdk):
    with pytest.raises(SDKException) as raised:  # the SDK asks for its fields first
        RecordOperations("Widgets").get_record(1)
    assert raised.value.details["code"] == "INVALID_MODULE"
