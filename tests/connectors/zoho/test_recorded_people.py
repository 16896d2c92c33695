"""Zoho merge against recorded Zoho responses (``responses``)."""

from __future__ import annotations

import pytest
import responses

from connectors.base import ConnectorError
from connectors.zoho.client import build
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
MERGE = "https://www.zohoapis.eu/crm/v8/Contacts/4150868000000224005/actions/merge"
V = "zoho"


@responses.activate
def test_it_merges_the_child_into_the_master(recorded):
    replay(responses, "POST", MERGE, V, "merge_contacts_200")
    merged = build(recorded(V)).merge_contacts("4150868000000224005", "4150868000000224006")
    assert sent_json(responses.calls[0]) == {"merge": [{"data": [{"id": "4150868000000224006"}]}]}
    assert (merged.id, merged.fields) == ("4150868000000224005", {})


@responses.activate
def test_a_scheduled_merge_keeps_its_job_id(recorded):
    replay(responses, "POST", MERGE, V, "merge_contacts_202_scheduled")
    merged = build(recorded(V)).merge_contacts("4150868000000224005", "4150868000000224006")
    assert merged.fields == {"scheduled_job": "2423488000000538055"}


@responses.activate
def test_a_refused_merge_names_zohos_code(recorded):
    replay(responses, "POST", MERGE, V, "merge_contacts_400")
    with pytest.raises(ConnectorError) as refused:
        build(recorded(V)).merge_contacts("4150868000000224005", "4150868000000224006")
    assert refused.value.code == "INVALID_DATA" and refused.value.permanent
    assert "master record ID is invalid" in str(refused.value)
