"""The Idempotency-Key matrix from RELIABILITY.md (Stripe's semantics)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection
from django.test import Client as HttpClient

from syncs.models import AiEvent, IdempotencyRecord, SyncJob

from ..conftest import bearer, require
from ..tenants.test_api_auth import assert_problem
from .conftest import LEAD


def post(api, key: str, idem: str | None, body=None, route="/api/v1/leads"):
    headers = bearer(key)
    if idem is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    return api.post(route, body or LEAD, format="json", **headers)


@pytest.mark.django_db
def test_it_creates_one_lead_for_ten_retries_and_replays_the_first_answer(api, world, crm_a):
    first = post(api, world.key_a, "retry-1")
    assert first.status_code == 202 and "Idempotent-Replayed" not in first
    for _ in range(9):
        again = post(api, world.key_a, "retry-1")
        assert again.status_code == 202
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
    assert AiEvent.objects.count() == 1 and SyncJob.objects.count() == 1


@pytest.mark.django_db
def test_it_treats_a_reordered_body_as_the_same_request(api, world, crm_a):
    post(api, world.key_a, "order")
    reordered = dict(reversed(list(LEAD.items())))
    assert post(api, world.key_a, "order", reordered)["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_it_refuses_the_same_key_with_a_different_body_and_writes_nothing(api, world, crm_a):
    post(api, world.key_a, "k")
    response = post(api, world.key_a, "k", {**LEAD, "lead_score": 10})
    assert_problem(response, 422, "idempotency-key-reused")
    assert AiEvent.objects.count() == 1 and SyncJob.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 202


@pytest.mark.django_db
def test_it_refuses_a_key_over_255_characters(api, world, crm_a):
    assert_problem(post(api, world.key_a, "x" * 256), 400, "idempotency-key-invalid")
    assert not AiEvent.objects.exists()
    assert post(api, world.key_a, "x" * 255).status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["", "caf\u00e9", "tab\there"])
def test_it_refuses_an_empty_or_non_ascii_key(api, world, bad):
    assert_problem(post(api, world.key_a, bad), 400, "idempotency-key-invalid")


@pytest.mark.django_db
def test_two_clients_with_one_key_never_see_each_others_answers(api, world, crm_a, crm_b):
    a = post(api, world.key_a, "shared")
    b = post(api, world.key_b, "shared", {**LEAD, "lead_score": 5})
    assert a.status_code == b.status_code == 202 and "Idempotent-Replayed" not in b
    assert a.json()["id"] != b.json()["id"]
    assert AiEvent.objects.filter(client=world.client_b).count() == 1
    assert post(api, world.key_b, "shared", {**LEAD, "lead_score": 5}).json() == b.json()


@pytest.mark.django_db
def test_keys_are_scoped_to_the_operation(api, world, crm_a):
    post(api, world.key_a, "same")
    body = {"kind": "lead.captured", "payload": LEAD}
    response = post(api, world.key_a, "same", body, route="/api/v1/events")
    assert response.status_code == 202 and "Idempotent-Replayed" not in response
    assert AiEvent.objects.count() == 2


@pytest.mark.django_db
def test_the_record_is_written_with_the_event_or_not_at_all(api, world, crm_a, monkeypatch):
    """A failure after the event was inserted rolls back the record too: a retry creates."""
    import syncs.intake.services

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    # Fails once the event and its jobs are written (either write path), before commit.
    monkeypatch.setattr(syncs.intake.services, "publish_on_commit", explode)
    api.raise_request_exception = False
    assert post(api, world.key_a, "atomic").status_code == 500
    assert not AiEvent.objects.exists() and not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert post(api, world.key_a, "atomic").status_code == 202
    assert AiEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_pruner_forgets_keys_older_than_a_day(api, world, crm_a):
    from datetime import timedelta

    from django.utils import timezone

    from syncs.engine.tasks import prune_idempotency_records

    post(api, world.key_a, "old")
    post(api, world.key_a, "new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    IdempotencyRecord.objects.filter(key="new").update(
        created_at=timezone.now() - timedelta(hours=23)
    )
    assert prune_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_requests_with_one_key_create_exactly_one_lead(world, crm_a):
    require(db_connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)")
    barrier = threading.Barrier(50)

    def one(_: int) -> tuple[int, bytes, str]:
        http = HttpClient()
        try:
            barrier.wait()
            response = http.post(
                "/api/v1/leads",
                LEAD,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="storm",
                **bearer(world.key_a),
            )
            return response.status_code, response.content, response.get("Idempotent-Replayed", "")
        finally:
            db_connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    assert AiEvent.objects.count() == 1 and SyncJob.objects.count() == 1
    created = [r for r in results if r[0] == 202 and not r[2]]
    replays = [r for r in results if r[0] == 202 and r[2] == "true"]
    in_flight = [r for r in results if r[0] == 409]
    assert len(created) == 1
    assert len(replays) + len(in_flight) == 49
    assert all(r[1] == created[0][1] for r in replays)


@pytest.mark.django_db
def test_a_key_still_in_flight_gets_409(api, world, crm_a):
    from syncs.intake.idempotency import fingerprint

    IdempotencyRecord.objects.create(
        client=world.client_a, route="leads", key="busy", fingerprint=fingerprint(LEAD)
    )
    assert_problem(post(api, world.key_a, "busy"), 409, "idempotency-key-in-flight")
    assert not AiEvent.objects.exists()
