"""HubSpot opt-out and merge against recorded HubSpot responses (``responses``)."""

from __future__ import annotations

import pytest
import responses

from connectors.base import ConnectorError
from connectors.hubspot.client import build
from tests.connectors.crm_fixtures import replay, sent_json

pytestmark = pytest.mark.django_db
API = "https://api.hubapi.com"
PREFS = f"{API}/communication-preferences/v4/statuses/bh@hubspot.com"
V = "hubspot"


@responses.activate
def test_it_unsubscribes_from_all_email_and_keeps_what_it_ended(recorded):
    replay(responses, "GET", f"{API}/crm/v3/objects/contacts/51", V, "get_contact_200")
    replay(responses, "GET", f"{PREFS}/unsubscribe-all", V, "unsubscribe_all_status_200_empty")
    replay(responses, "GET", PREFS, V, "subscription_statuses_200")
    replay(responses, "POST", f"{PREFS}/unsubscribe-all", V, "unsubscribe_all_200")
    previous = build(recorded(V)).opt_out("51", email="BH@HubSpot.com")
    # The contact has no address of its own in the reply: the lead's is used.
    assert previous.fields == {"subscriber": "bh@hubspot.com", "subscriptions_ended": "1001"}
    post = responses.calls[3].request
    assert post.method == "POST" and post.url.endswith("/unsubscribe-all?channel=EMAIL")


@responses.activate
def test_it_resubscribes_what_the_opt_out_ended(recorded):
    replay(responses, "POST", PREFS, V, "subscription_statuses_200")
    previous = {"subscriber": "bh@hubspot.com", "subscriptions_ended": "1001"}
    build(recorded(V)).undo_opt_out("51", previous)
    body = sent_json(responses.calls[0])
    assert (body["statusState"], body["subscriptionId"], body["channel"]) == (
        "SUBSCRIBED", 1001, "EMAIL",
    )  # fmt: skip
    assert body["legalBasis"] and body["legalBasisExplanation"]


@responses.activate
def test_it_merges_and_takes_the_merged_contacts_new_id(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts/merge", V, "merge_contacts_200")
    merged = build(recorded(V)).merge_contacts("51", "52")
    assert sent_json(responses.calls[0]) == {"primaryObjectId": "51", "objectIdToMerge": "52"}
    assert merged.id == "77" and merged.fields["email"] == "bh@hubspot.com"


@responses.activate
def test_a_refused_merge_is_permanent(recorded):
    replay(responses, "POST", f"{API}/crm/v3/objects/contacts/merge", V, "merge_contacts_400")
    with pytest.raises(ConnectorError) as refused:
        build(recorded(V)).merge_contacts("51", "51")
    assert refused.value.permanent and refused.value.status == 400
