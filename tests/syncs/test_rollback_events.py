"""A rolled-back lead says so: its targets and event turn `rolled_back` (with when and by which
rollback) in the API, and the client's webhook endpoints get `lead.rolled_back`, once."""

from __future__ import annotations

import pytest

from syncs.models import AiEvent, SyncJob
from syncs.rollback.services import start_rollback
from syncs.webhooks import services as webhooks
from syncs.webhooks.models import WebhookMessage

from ..conftest import bearer
from .helpers import event_of
from .rollback_helpers import UndoCrm, run_rollback, sync_lead

pytestmark = pytest.mark.django_db
STAFF = "staff:operator@northwind.example"
QUIET = {"lead_score": 10, "intent": "", "conversation_summary": ""}


def status_of(api, key, job: SyncJob) -> dict:
    response = api.get(f"/api/v1/events/{event_of(job).public_id}", **bearer(key))
    assert response.status_code == 200
    return response.json()


def test_it_turns_a_rolled_back_lead_and_its_target_rolled_back_with_when_and_which(
    api, world, crm_a
):
    crm = UndoCrm()
    job = sync_lead(world.client_a, crm)
    assert status_of(api, world.key_a, job)["status"] == "synced"

    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    run_rollback(rollback, crm)
    assert crm.contacts == {} and crm.deals == {}

    job.refresh_from_db()
    assert job.status == "rolled_back" and job.rolled_back_by == rollback
    assert AiEvent.objects.get(pk=job.event_id).status == "rolled_back"
    body = status_of(api, world.key_a, job)
    assert body["status"] == "rolled_back"
    (target,) = body["targets"]
    assert target["status"] == "rolled_back"
    expected = {"rollback_id": rollback.pk, "source_tag": "AI_Chatbot"}
    assert {k: target["rolled_back"][k] for k in expected} == expected
    assert target["rolled_back"]["at"] and body["rolled_back"] == target["rolled_back"]


def test_a_wait_on_a_rolled_back_event_answers_at_once(api, world, crm_a):
    crm = UndoCrm()
    job = sync_lead(world.client_a, crm)
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)
    response = api.get(f"/api/v1/events/{event_of(job).public_id}?wait=30", **bearer(world.key_a))
    assert response.json()["status"] == "rolled_back"


def test_only_the_session_rolled_back_changes_status(world, crm_a):
    """Rolling back session 2 undoes its update and note; session 1's lead stays synced."""
    crm = UndoCrm()
    first = sync_lead(world.client_a, crm, chatbot_session_id="sess-1", **QUIET)
    second = sync_lead(
        world.client_a, crm, chatbot_session_id="sess-2", company="Brightsmile", **QUIET
    )
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF, session_id="sess-2")
    run_rollback(rollback, crm)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("synced", "rolled_back")
    assert event_of(first).status == "synced"


def test_a_lead_whose_contact_was_kept_still_says_synced(world, crm_a):
    """Another tag wrote the contact since: the rollback keeps it, so the lead's write stands."""
    crm = UndoCrm()
    job = sync_lead(world.client_a, crm, **QUIET)
    sync_lead(world.client_a, crm, source_tag="Other_Bot", company="Brightsmile", **QUIET)
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)
    job.refresh_from_db()
    assert job.status == "synced" and job.rolled_back_at is None
    assert event_of(job).status == "synced"


def test_another_clients_leads_are_untouched(world, crm_a, crm_b):
    crm_of_a, crm_of_b = UndoCrm(), UndoCrm()
    sync_lead(world.client_a, crm_of_a)
    other = sync_lead(world.client_b, crm_of_b, phone="+14155552671")
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm_of_a)
    other.refresh_from_db()
    assert other.status == "synced" and event_of(other).status == "synced"


def test_the_webhook_consumer_gets_lead_rolled_back_once(world, crm_a):
    endpoint, _ = webhooks.endpoint_create(
        client=world.client_a, url="http://127.0.0.1:1/h", event_types=["lead.rolled_back"]
    )
    crm = UndoCrm()
    job = sync_lead(world.client_a, crm)
    assert not WebhookMessage.objects.exists()  # not subscribed to lead.synced

    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    run_rollback(rollback, crm)
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)

    (message,) = WebhookMessage.objects.all()
    assert message.event_type == "lead.rolled_back"
    assert message.payload["event_id"] == str(event_of(job).public_id)
    assert message.payload["status"] == "rolled_back"
    assert message.payload["rolled_back"]["rollback_id"] == rollback.pk
    assert message.payload["rolled_back"]["source_tag"] == "AI_Chatbot"
    assert [t["status"] for t in message.payload["targets"]] == ["rolled_back"]
    assert list(message.deliveries.values_list("endpoint", flat=True)) == [endpoint.pk]


def test_lead_rolled_back_is_a_subscribable_event_type(api, world):
    response = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://bots.example.com/hooks", "event_types": ["lead.rolled_back"]},
        format="json",
        **bearer(world.key_a),
    )
    assert response.status_code == 201, response.content
    assert response.json()["event_types"] == ["lead.rolled_back"]


def test_the_schema_describes_rolled_back(api):
    schema = api.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    detail, target = components["EventDetail"], components["Target"]
    assert "rolled_back" in detail["properties"]["status"]["description"]
    assert "rolled_back" in target["properties"]["status"]["description"]
    for component in (detail, target):
        assert "rolled_back" in component["required"]
        assert component["properties"]["rolled_back"]["nullable"] is True
    assert set(components["RolledBack"]["properties"]) == {"at", "rollback_id", "source_tag"}
    operation = schema["paths"]["/api/v1/events/{event_id}"]["get"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["RolledBack"]["value"]["status"] == "rolled_back"
    event_types = [c["enum"] for c in components.values() if "lead.synced" in c.get("enum", [])]
    assert event_types and all("lead.rolled_back" in enum for enum in event_types)
