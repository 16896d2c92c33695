"""Pipedrive opt-out and merge against recorded Pipedrive responses (``responses``)."""

from __future__ import annotations

import pytest
import responses

from connectors.base import ConnectorError
from connectors.pipedrive.client import build
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://acme.pipedrive.com"
V = "pipedrive"


@responses.activate
def test_an_opt_out_pipedrive_did_not_take_is_an_error(recorded):
    """The status may change once; a later change is answered 200 and ignored."""
    replay(responses, "GET", f"{API}/api/v2/persons/5", V, "get_person_200_no_consent")
    replay(responses, "PATCH", f"{API}/api/v2/persons/5", V, "update_person_200_status_kept")
    with pytest.raises(ConnectorError) as refused:
        build(recorded(V)).opt_out("5")
    assert sent_json(responses.calls[1]) == {"marketing_status": "unsubscribed"}
    assert refused.value.code == "marketing_status_locked" and refused.value.permanent


@responses.activate
def test_it_merges_the_other_person_into_merge_with_id(recorded):
    replay(responses, "PUT", f"{API}/api/v1/persons/5/merge", V, "merge_persons_200")
    merged = build(recorded(V)).merge_contacts("2", "5")
    assert sent_json(responses.calls[0]) == {"merge_with_id": 2}
    assert merged.id == "2"


@responses.activate
def test_merging_a_missing_person_is_permanent(recorded):
    replay(responses, "PUT", f"{API}/api/v1/persons/5/merge", V, "merge_persons_404")
    with pytest.raises(ConnectorError) as refused:
        build(recorded(V)).merge_contacts("2", "5")
    assert refused.value.permanent and refused.value.status == 404
