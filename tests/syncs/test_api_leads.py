"""POST /api/v1/leads and /api/v1/events: 202 with the event, jobs stored with it, input
refused as problem+json."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
import pytest

from syncs.models import AiEvent, EventKind, IdempotencyRecord, JobStatus, SyncJob

from ..conftest import bearer, require
from ..tenants.test_api_auth import assert_problem
from .conftest import LEAD

pytestmark = pytest.mark.django_db


def test_it_accepts_a_lead_and_stores_its_crm_job(api, world, crm_a):
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert response.status_code == 202, response.content
    body = response.json()
    event = AiEvent.objects.get(public_id=body["id"])
    assert body["status"] == "accepted"
    assert body["status_url"].endswith(f"/api/v1/events/{event.public_id}")
    assert response["Location"] == body["status_url"]
    assert event.client == world.client_a and event.kind == EventKind.LEAD_CAPTURED
    assert event.payload == LEAD  # kept as received
    assert (event.chatbot_vendor, event.session_id, event.source_tag) == (
        "acme-bot",
        "sess-1",
        "AI_Chatbot",
    )
    job = SyncJob.objects.get(event=event)
    assert (job.connection, job.provider, job.status) == (crm_a, "hubspot", JobStatus.QUEUED)


def test_it_holds_the_job_when_the_client_has_no_crm_connection(api, world):
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert response.json()["status"] == "waiting_connection"
    job = SyncJob.objects.get()
    assert job.status == JobStatus.WAITING_CONNECTION and job.connection is None


def test_it_waits_when_the_connection_needs_reconnecting(api, world, crm_a):
    crm_a.status = "needs_reauth"
    crm_a.save()
    api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert SyncJob.objects.get().status == JobStatus.WAITING_CONNECTION


def test_it_only_uses_the_clients_chosen_crm(api, world, crm_a):
    from connectors.models import Connection

    Connection.objects.create(client=world.client_a, provider="zoho", kind="crm")
    api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert list(SyncJob.objects.values_list("provider", flat=True)) == ["hubspot"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "", "phone": ""}, "email"),
        ({"lead_score": 101}, "lead_score"),
        ({"lead_score": "high"}, "lead_score"),
        ({"transcript_url": "not a url"}, "transcript_url"),
        ({"source_tag": "has spaces"}, "source_tag"),
        ({"extra": "not an object"}, "extra"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(api, world, crm_a, change, field):
    body = {**LEAD, **change}
    response = api.post(
        "/api/v1/leads", body, format="json", HTTP_IDEMPOTENCY_KEY="k1", **bearer(world.key_a)
    )
    problem = assert_problem(response, 400, "validation-error")
    assert field in str(problem["errors"])
    assert not AiEvent.objects.exists() and not IdempotencyRecord.objects.exists()


def test_it_refuses_a_body_that_is_not_json(api, world):
    response = api.post(
        "/api/v1/leads", "{nope", content_type="application/json", **bearer(world.key_a)
    )
    assert_problem(response, 400, "malformed-request")


def test_it_requires_an_api_key(api, world):
    assert_problem(api.post("/api/v1/leads", LEAD, format="json"), 401, "authentication-required")


def test_it_accepts_other_event_kinds(api, world, crm_a):
    body = {"kind": "intent.changed", "payload": {"email": "a@b.example", "intent": "purchase"}}
    response = api.post("/api/v1/events", body, format="json", **bearer(world.key_a))
    assert response.status_code == 202, response.content
    event = AiEvent.objects.get(public_id=response.json()["id"])
    assert event.kind == "intent.changed" and event.payload == body["payload"]
    assert SyncJob.objects.filter(event=event).count() == 1


def test_it_accepts_a_session_id_to_name_the_person_in_other_events(api, world, crm_a):
    body = {"kind": "conversation.ended", "payload": {"chatbot_session_id": "s-9"}}
    response = api.post("/api/v1/events", body, format="json", **bearer(world.key_a))
    assert response.status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "lead.exploded", "payload": {"email": "a@b.example"}},
        {"kind": "opt_out", "payload": {}},
        {"kind": "opt_out", "payload": "a@b.example"},
        {"kind": "opt_out", "payload": {"email": "a@b.example", "bogus": 1}},
        {"payload": {"email": "a@b.example"}},
    ],
)
def test_it_refuses_bad_events(api, world, body):
    response = api.post("/api/v1/events", body, format="json", **bearer(world.key_a))
    assert_problem(response, 400, "validation-error")
    assert not AiEvent.objects.exists()


def test_the_schema_documents_the_operations_with_examples(api):
    schema = api.get("/api/schema/?format=json").json()
    lead_op = schema["paths"]["/api/v1/leads"]["post"]
    assert "202" in lead_op["responses"] and "422" in lead_op["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in lead_op["parameters"])
    assert "24 hours" in lead_op["description"]
    examples = lead_op["requestBody"]["content"]["application/json"]["examples"]
    assert examples
    detail = schema["paths"]["/api/v1/events/{event_id}"]["get"]
    assert any(p["name"] == "wait" for p in detail["parameters"])
    assert "/api/v1/events" in schema["paths"]


def test_it_stores_a_keyed_lead_with_its_completed_record(api, world, crm_a):
    """The idempotency record, event and job are written together; the record holds the
    answer a retry gets again."""
    response = api.post(
        "/api/v1/leads", LEAD, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **bearer(world.key_a)
    )
    assert response.status_code == 202
    record = IdempotencyRecord.objects.get(key="k-1")
    assert record.state == "completed" and record.response_status == 202
    assert record.response_body == response.json()
    event = AiEvent.objects.get(public_id=response.json()["id"])
    assert SyncJob.objects.filter(event=event, status=JobStatus.QUEUED).count() == 1


def test_it_stores_nul_in_extra_as_a_replacement_character(api, world, crm_a):
    """jsonb cannot hold U+0000 (the INSERT would fail, a 500); the schema cannot forbid it in
    nested keys, so it is stored as U+FFFD and the rest of the lead is kept as sent."""
    extra = {"a": [{"key\u0000": "v\u0000"}], "n": 1}
    response = api.post(
        "/api/v1/leads", {**LEAD, "extra": extra}, format="json", **bearer(world.key_a)
    )
    assert response.status_code == 202, response.content
    event = AiEvent.objects.get(public_id=response.json()["id"])
    assert event.payload["extra"] == {"a": [{"key\ufffd": "v\ufffd"}], "n": 1}
    assert event.payload["email"] == LEAD["email"]


def test_it_refuses_an_unpaired_surrogate_in_extra(api, world, crm_a):
    """Valid JSON, but not UTF-8: refused up front instead of failing in the database."""
    import json

    raw = json.dumps({**LEAD, "extra": {"note": "x"}}).replace('"x"', '"\\ud800"')
    response = api.post(
        "/api/v1/leads", raw, content_type="application/json", **bearer(world.key_a)
    )
    assert "extra" in str(assert_problem(response, 400, "validation-error")["errors"])
    assert not AiEvent.objects.exists()


def test_a_lead_without_a_key_writes_its_event_and_a_published_job(api, world, crm_a):
    """No Idempotency-Key: the event and its job are committed together, the job already
    stamped as published, every other column at its model default."""
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert response.status_code == 202
    event = AiEvent.objects.get(public_id=response.json()["id"])
    assert event.status == "accepted"
    job = SyncJob.objects.get(event=event)
    assert (job.client, job.connection, job.status) == (world.client_a, crm_a, JobStatus.QUEUED)
    assert job.published_at is not None
    assert (job.attempts, job.claims, job.overrides, job.external_id) == (0, 0, {}, "")


def test_without_a_chosen_crm_every_crm_connection_gets_a_job(api, world, crm_a):
    from connectors.models import Connection

    zoho = Connection.objects.create(
        client=world.client_a, provider="zoho", kind="crm", status="needs_reauth"
    )
    world.client_a.crm_provider = ""
    world.client_a.save()
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert response.json()["status"] == "accepted"  # one of the two can run
    jobs = list(SyncJob.objects.order_by("pk").values_list("connection", "status"))
    assert jobs == [(crm_a.pk, JobStatus.QUEUED), (zoho.pk, JobStatus.WAITING_CONNECTION)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("idempotent", [False, True])
def test_a_lead_after_postgresql_ended_the_kept_connection_is_accepted(
    api, world, crm_a, idempotent
):
    """After a restart, failover or idle timeout ended the kept backend, the next lead is
    stored (Django's ``CONN_HEALTH_CHECKS`` opens a new connection), not a 500."""
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL ends the backend here")
    first = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert first.status_code == 202
    with _admin_connection() as admin:
        pid = _end_the_kept_backend(admin)
    key = {"HTTP_IDEMPOTENCY_KEY": "after-restart"} if idempotent else {}
    second = api.post(
        "/api/v1/leads", {**LEAD, "email": "second@example.com"}, format="json",
        **bearer(world.key_a), **key,
    )  # fmt: skip
    assert second.status_code == 202, second.content
    assert connection.connection.info.backend_pid != pid
    assert AiEvent.objects.filter(client=world.client_a).count() == 2


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/service-unavailable" and body["retry_after"] == 5
    assert "Traceback" not in response.content.decode() and "redis" not in body["detail"].lower()


@pytest.mark.parametrize(
    "backend", ["django_redis.cache.RedisCache", "django.core.cache.backends.redis.RedisCache"]
)
def test_a_lead_while_the_cache_is_unreachable_gets_503_to_retry(
    api, world, crm_a, settings, backend
):
    """The real cache client against a Redis port nothing listens on: the configured backend
    (django-redis, whose error wraps redis-py's) and Django's own."""
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:1/0"}}
    _assert_unavailable(api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a)))
    assert not AiEvent.objects.exists()


def _admin_connection() -> psycopg.Connection:
    """A connection of its own to the server's ``postgres`` database (autocommit), for what
    the test's own connection cannot do to itself."""
    from django.db import connection

    settings_dict = connection.settings_dict
    return psycopg.connect(
        host=settings_dict["HOST"] or None, port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None, password=settings_dict["PASSWORD"] or None,
        dbname="postgres", autocommit=True,
    )  # fmt: skip


def _end_the_kept_backend(admin: psycopg.Connection) -> int:
    """End the backend of Django's kept connection, as a restart, failover or idle timeout
    would (waiting up to 5 s until it has ended); returns its pid."""
    from django.db import close_old_connections, connection

    pid = connection.connection.info.backend_pid
    admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    close_old_connections()  # what the next request's start does
    return pid


@contextmanager
def _database_refusing_connections():
    """PostgreSQL refuses every new connection to the test database (``ALLOW_CONNECTIONS
    false``, which binds superusers too) and has ended this one's backend: what a web process
    meets while the database restarts or fails over. Undone on exit, whatever happens."""
    from django.db import connection

    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with _admin_connection() as admin:
        try:
            admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
            _end_the_kept_backend(admin)
            yield
        finally:
            admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
            connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("idempotent", [False, True])
def test_a_lead_while_the_database_refuses_gets_503_and_stores_nothing(
    api, world, crm_a, idempotent
):
    from django.db import connection

    require(connection.vendor == "postgresql", "PostgreSQL refuses connections here")
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-me"} if idempotent else {}
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200  # key cached
    with _database_refusing_connections():
        response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a), **headers)
        _assert_unavailable(response)
    assert not AiEvent.objects.exists() and not IdempotencyRecord.objects.exists()
    # The database is back: the same retry is accepted, once.
    retry = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a), **headers)
    assert retry.status_code == 202 and AiEvent.objects.count() == 1
