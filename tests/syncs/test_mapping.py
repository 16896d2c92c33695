"""Field mapping: transformations, and rules refused at save when the CRM lacks a field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors import registry
from connectors.base import ConnectorError
from syncs.crm.mapping import (
    apply_rules,
    default_rules,
    field_mapping_save,
    rules_for,
    validate_rules_shape,
)
from syncs.models import AuditEntry, FieldMapping

from .crm_double import MemoryCrm

LEAD = {
    "full_name": "Maria de la Cruz",
    "first_name": "Maria",
    "email": "Maria@example.com",
    "phone": "+14155552671",
    "intent": "booking",
    "company": "Cruz Co",
    "extra": {"mobile": "(415) 555-2672", "location": "Downtown"},
    "_region": "US",
}


def rule(source, target, transform="copy", **args):
    return {"source": source, "target": target, "transform": transform, "args": args}


@pytest.mark.parametrize(
    "r, expected",
    [
        (rule("full_name", "first_name", "split_full_name", part="first"), "Maria"),
        (rule("full_name", "last_name", "split_full_name", part="last"), "de la Cruz"),
        (rule("email", "email", "lower"), "maria@example.com"),
        (rule("extra.mobile", "phone", "e164"), "+14155552672"),
        (rule("", "lifecyclestage", "constant", value="lead"), "lead"),
        (
            rule("intent", "lifecyclestage", "value_map", map={"booking": "opportunity"}),
            "opportunity",
        ),
        (rule("intent", "lifecyclestage", "value_map", map={}, default="lead"), "lead"),
        (
            rule("", "company", "template", template="{first_name} @ {extra.location}"),
            "Maria @ Downtown",
        ),
        (rule("", "company", "template", template="{first_name.__class__}"), None),
        (rule("", "company", "template", template="{company} ({intent})"), "Cruz Co (booking)"),
        (rule("extra.location", "chatbot_location"), "Downtown"),
    ],
)
def test_it_applies_each_transform(r, expected):
    if expected is None:  # attribute-style names are refused when the rules are saved
        with pytest.raises(ValidationError):
            validate_rules_shape([r])
        return
    validate_rules_shape([r])
    mapped, problems = apply_rules([r], LEAD)
    assert problems == [] and mapped == {r["target"]: expected}


def test_a_transform_that_refuses_a_value_is_a_problem_not_a_write():
    mapped, problems = apply_rules([rule("extra.location", "phone", "e164")], LEAD)
    assert mapped == {} and "Downtown" in problems[0]


def test_empty_values_never_blank_a_crm_field():
    mapped, _ = apply_rules([rule("company", "company")], {"company": ""})
    assert mapped == {}


@pytest.mark.parametrize(
    "rules, message",
    [
        ("not a list", "list"),
        ([rule("email", "email", "shout")], "unknown transform"),
        ([rule("nickname", "first_name")], "unknown source"),
        ([{"source": "email"}], "target"),
        ([rule("intent", "x", "value_map")], "value_map"),
        ([rule("", "x", "template", template="{__class__}")], "template"),
        ([rule("", "x", "template", template="{unclosed")], "unbalanced"),
        ([rule("", "x", "template", template="")], "empty"),
    ],
)
def test_it_refuses_malformed_rules_with_a_clear_reason(rules, message):
    with pytest.raises(ValidationError, match=message):
        validate_rules_shape(rules)


@pytest.mark.django_db
def test_it_refuses_at_save_a_field_the_crm_does_not_have(world, crm_a):
    rules = [rule("email", "email"), rule("extra.location", "chatbot_locaton")]
    with pytest.raises(ValidationError, match="chatbot_locaton"):
        field_mapping_save(connection=crm_a, rules=rules, actor="staff:x", crm=MemoryCrm())
    assert not FieldMapping.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_it_saves_rules_whose_fields_exist_including_custom_ones(world, crm_a):
    rules = [rule("email", "email"), rule("extra.location", "chatbot_location")]
    field_mapping_save(connection=crm_a, rules=rules, actor="staff:x", crm=MemoryCrm())
    assert rules_for(crm_a) == rules
    assert AuditEntry.objects.get().action == "mapping.saved"


@pytest.mark.django_db
def test_it_saves_nothing_when_the_catalogue_cannot_be_read(world, crm_a):
    crm = MemoryCrm()
    crm.failures.append(ConnectorError("503", status=503))
    with pytest.raises(ConnectorError):
        field_mapping_save(connection=crm_a, rules=[], actor="staff:x", crm=crm)
    assert not FieldMapping.objects.exists()


@pytest.mark.django_db
def test_without_a_saved_mapping_the_providers_defaults_apply(world, crm_a):
    assert rules_for(crm_a) == default_rules("hubspot")
    targets = {r["target"] for r in default_rules("no-such-crm")}
    assert targets == {"email", "phone", "first_name", "last_name", "company"}


@pytest.mark.django_db
def test_a_saved_mapping_shapes_what_is_sent(world, crm_a, run_job):
    from .helpers import lead_job

    rules = [
        rule("email", "email"),
        rule("phone", "phone"),
        rule("", "lifecyclestage", "constant", value="lead"),
        rule("extra.location", "chatbot_location"),
    ]
    crm = MemoryCrm()
    field_mapping_save(connection=crm_a, rules=rules, actor="staff:x", crm=crm)
    run_job(lead_job(world.client_a, extra={"location": "Uptown"}), crm)
    (contact,) = crm.contacts.values()
    assert contact.fields["lifecyclestage"] == "lead"
    assert contact.fields["chatbot_location"] == "Uptown"
    assert contact.fields["first_name"] == "Mary"  # the person always goes with a create


@pytest.mark.django_db
def test_the_model_refuses_a_connection_of_another_client(world, crm_a):
    mapping = FieldMapping(client=world.client_b, connection=crm_a, rules=[])
    with pytest.raises(ValidationError):
        mapping.clean()


def test_a_providers_default_field_map_becomes_copy_rules(monkeypatch):
    import sys
    import types

    module = types.ModuleType("connectors.testcrm.mapping")
    module.DEFAULT_FIELD_MAP = {"first_name": "FirstName", "summary": "AI_Summary__c"}
    monkeypatch.setitem(sys.modules, "connectors.testcrm.mapping", module)
    monkeypatch.setitem(registry.PROVIDERS, "testcrm", "connectors.testcrm")
    rules = default_rules("testcrm")
    assert [(r["source"], r["target"], r["transform"]) for r in rules] == [
        ("first_name", "FirstName", "copy"),
        ("summary", "AI_Summary__c", "copy"),
    ]
    validate_rules_shape(rules)
    mapped, _ = apply_rules(rules, {"first_name": "Ada", "summary": "Hi"})
    assert mapped == {"FirstName": "Ada", "AI_Summary__c": "Hi"}
