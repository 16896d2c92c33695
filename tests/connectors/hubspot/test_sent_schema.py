"""The request-schema check (``sdk_schema``) that every HubSpot test runs on what the client
sends: it can fail, and it fails on the bodies the client used to send."""

from __future__ import annotations

import pytest

from tests.connectors.hubspot.sdk_schema import SchemaError, check, model_for


def test_it_refuses_a_batch_read_without_properties_with_history():
    """What the client sent before: HubSpot's BatchReadInput requires the field."""
    body = {"properties": ["dealname"], "inputs": [{"id": "1"}]}
    with pytest.raises(SchemaError, match="properties_with_history"):
        check(body, model_for("POST", "/crm/v3/objects/deals/batch/read"))
    check(
        {**body, "propertiesWithHistory": []}, model_for("POST", "/crm/v3/objects/deals/batch/read")
    )


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("/crm/v3/objects/contacts", {"properties": {"email": "a"}, "tags": []}, "no field tags"),
        ("/crm/v3/objects/contacts", {"associations": []}, "properties"),
        ("/crm/v3/objects/contacts", {"properties": {"ai_lead_score": 87}}, "expected str"),
        ("/crm/v3/objects/deals", {"properties": {}, "associations": [
            {"to": {"id": "1"}, "types": [{"associationCategory": "MADE_UP",
                                           "associationTypeId": 3}]}]}, "association_category"),
        ("/crm/v3/properties/contacts", {"name": "x", "label": "X", "type": "string",
                                         "fieldType": "phonenumber", "groupName": "g"},
         "field_type"),
        ("/crm/v3/objects/contacts/search", {"filterGroups": [{"filters": [
            {"propertyName": "email", "value": "a"}]}]}, "operator"),
        ("/crm/v3/objects/contacts/search", {"sorts": [{"propertyName": "createdate",
                                                        "direction": "UP"}]}, "direction"),
    ],
)  # fmt: skip
def test_it_refuses_what_hubspots_schema_refuses(path, body, why):
    with pytest.raises(SchemaError, match=why):
        check(body, model_for("POST", path))


def test_it_takes_the_search_body_the_client_sends():
    body = {
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a"}]}],
        "properties": ["email"],
        "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
        "limit": 1,
    }
    check(body, model_for("POST", "/crm/v3/objects/contacts/search"))


def test_an_operation_without_a_known_schema_is_refused():
    with pytest.raises(SchemaError, match="no SDK model"):
        model_for("POST", "/crm/v3/objects/companies")
