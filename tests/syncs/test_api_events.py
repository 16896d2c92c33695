"""GET /api/v1/events/{id}: per-target state, ?wait=N, and tenant isolation."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection as db_connection

from syncs.engine.runs import sync_job_run
from syncs.models import JobStatus, SyncJob

from ..conftest import bearer
from ..tenants.test_api_auth import assert_problem
from .conftest import LEAD
from .crm_double import MemoryCrm


def post_lead(api, key) -> dict:
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(key))
    assert response.status_code == 202
    return response.json()


@pytest.mark.django_db
def test_it_shows_each_targets_state_and_the_crm_id(api, world, crm_a):
    accepted = post_lead(api, world.key_a)
    body = api.get(accepted["status_url"], **bearer(world.key_a)).json()
    assert body["id"] == accepted["id"] and body["status"] == "accepted"
    assert body["crm_id"] is None
    assert body["targets"] == [
        {
            "target": "crm",
            "provider": "hubspot",
            "status": "queued",  # as after the commit published it
            "crm_id": "",
            "attempts": 0,
            "next_attempt_at": None,
            "reason": "",
            "rolled_back": None,
        }
    ]
    sync_job_run(SyncJob.objects.get().pk, vendor=MemoryCrm())
    body = api.get(accepted["status_url"], **bearer(world.key_a)).json()
    assert body["status"] == "synced" and body["crm_id"] == body["targets"][0]["crm_id"] != ""


@pytest.mark.django_db
def test_it_shows_the_review_reason(api, world, crm_a):
    response = api.post(
        "/api/v1/leads", {**LEAD, "phone": "12"}, format="json", **bearer(world.key_a)
    )
    sync_job_run(SyncJob.objects.get().pk, vendor=MemoryCrm())
    body = api.get(response.json()["status_url"], **bearer(world.key_a)).json()
    assert body["status"] == "needs_review" and "'12'" in body["targets"][0]["reason"]


@pytest.mark.django_db
def test_another_clients_event_is_not_found_and_leaks_nothing(api, world, crm_a, crm_b):
    theirs = post_lead(api, world.key_b)
    response = api.get(f"/api/v1/events/{theirs['id']}", **bearer(world.key_a))
    assert_problem(response, 404, "not-found")
    text = response.content.decode()
    assert "salesforce" not in text and world.client_b.name not in text
    own = api.get(f"/api/v1/events/{theirs['id']}", **bearer(world.key_b))
    assert own.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("wait", ["31", "-1", "soon"])
def test_it_refuses_a_wait_out_of_bounds(api, world, crm_a, wait):
    accepted = post_lead(api, world.key_a)
    response = api.get(f"{accepted['status_url']}?wait={wait}", **bearer(world.key_a))
    assert_problem(response, 400, "validation-error")


@pytest.mark.django_db
def test_a_settled_event_answers_a_wait_at_once(api, world):
    accepted = post_lead(api, world.key_a)  # no CRM connection: waiting_connection
    response = api.get(f"{accepted['status_url']}?wait=30", **bearer(world.key_a))
    assert response.json()["status"] == "waiting_connection"


@pytest.mark.django_db(transaction=True)
def test_wait_returns_the_crm_id_once_a_worker_synced_it(api, world, crm_a, monkeypatch):
    accepted = post_lead(api, world.key_a)
    job_id = SyncJob.objects.get().pk
    crm = MemoryCrm()
    polling = threading.Event()
    real_sleep = time.sleep

    def sleep_and_tell(seconds: float) -> None:  # lets the worker start once the GET waits
        polling.set()
        real_sleep(seconds)

    monkeypatch.setattr("syncs.intake.selectors.time.sleep", sleep_and_tell)

    def worker() -> None:
        try:
            assert polling.wait(timeout=20)
            sync_job_run(job_id, vendor=crm)
        finally:
            db_connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    response = api.get(f"{accepted['status_url']}?wait=20", **bearer(world.key_a))
    thread.join()
    body = response.json()
    assert body["status"] == "synced"
    assert body["crm_id"] == next(iter(crm.contacts))
    assert SyncJob.objects.get().status == JobStatus.SYNCED


def test_it_refuses_an_empty_wait(api, world):
    """``?wait=`` is not an integer: 400 problem+json, never the default (a silent zero)."""
    accepted = post_lead(api, world.key_a)
    response = api.get(f"{accepted['status_url']}?wait=", **bearer(world.key_a))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
