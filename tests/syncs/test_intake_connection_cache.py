"""The intake's cache of a client's connections: a hit needs no query, and every change to a
connection's existence, status or provider reaches the next lead at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors import connection_cache
from connectors.connection_cache import ConnectionRow
from connectors.models import Connection, ConnectionStatus
from connectors.oauth import TokenSet
from connectors.services import (
    connection_connect,
    connection_disconnect,
    connection_mark_needs_reauth,
)
from syncs.engine.outbox import connections_of_kind
from syncs.intake.services import lead_connections
from syncs.models import AiEvent, EventStatus, JobStatus, SyncJob

from ..conftest import bearer
from .conftest import LEAD

pytestmark = pytest.mark.django_db


def post_lead(api, world) -> SyncJob:  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    assert response.status_code == 202, response.content
    return SyncJob.objects.get(event__public_id=response.json()["id"])


def entry(client_id: int) -> object:
    return cache.get(connection_cache.cache_name(client_id))


def settled(client_id: int) -> None:
    """The tombstone of the fixture's connection create has expired."""
    cache.delete(connection_cache.cache_name(client_id))


def test_it_reads_the_clients_connections_from_the_cache(api, world, crm_a):
    settled(world.client_a.pk)
    post_lead(api, world)
    with CaptureQueriesContext(connection) as captured:
        job = post_lead(api, world)
    assert (job.connection, job.status) == (crm_a, JobStatus.QUEUED)
    assert [q for q in captured.captured_queries if "connectors_connection" in q["sql"]] == []


def test_a_new_connection_takes_the_next_lead(api, world):
    assert post_lead(api, world).status == JobStatus.WAITING_CONNECTION
    assert entry(world.client_a.pk) == []
    made = connection_connect(
        client=world.client_a,
        provider="hubspot",
        tokens=TokenSet(access_token="t"),
        tenant_settings={},
    )
    job = post_lead(api, world)
    assert (job.connection, job.status) == (made, JobStatus.QUEUED)


def test_a_connection_needing_reauth_holds_the_next_lead(api, world, crm_a):
    settled(world.client_a.pk)
    assert post_lead(api, world).status == JobStatus.QUEUED
    connection_mark_needs_reauth(crm_a, "invalid_grant")
    job = post_lead(api, world)
    assert (job.connection, job.status) == (crm_a, JobStatus.WAITING_CONNECTION)


def test_a_disconnected_connection_holds_the_next_lead(api, world, crm_a):
    settled(world.client_a.pk)
    assert post_lead(api, world).status == JobStatus.QUEUED
    connection_disconnect(crm_a)
    assert post_lead(api, world).status == JobStatus.WAITING_CONNECTION


def test_a_deleted_connection_is_forgotten_at_once(api, world, crm_a):
    settled(world.client_a.pk)
    assert post_lead(api, world).status == JobStatus.QUEUED
    crm_a.delete()
    job = post_lead(api, world)
    assert (job.connection_id, job.status) == (None, JobStatus.WAITING_CONNECTION)


def test_a_client_delete_forgets_its_connections(api, world, crm_a):
    settled(world.client_a.pk)
    post_lead(api, world)
    client_id = world.client_a.pk
    assert isinstance(entry(client_id), list)
    world.client_a.delete()
    assert entry(client_id) == connection_cache.TOMBSTONE


def test_a_new_crm_choice_takes_the_next_lead(api, world, crm_a):
    Connection.objects.create(client=world.client_a, provider="zoho", kind="crm")
    settled(world.client_a.pk)
    assert post_lead(api, world).provider == "hubspot"
    world.client_a.crm_provider = "zoho"
    world.client_a.save()
    job = post_lead(api, world)
    assert (job.provider, job.status) == ("zoho", JobStatus.QUEUED)


def test_a_token_refresh_keeps_the_entry(api, world, crm_a):
    settled(world.client_a.pk)
    post_lead(api, world)
    crm_a.access_token = "refreshed"
    crm_a.save(update_fields=["access_token", "updated_at"])
    assert isinstance(entry(world.client_a.pk), list)
    crm_a.status = ConnectionStatus.DISABLED
    crm_a.save(update_fields=["status", "updated_at"])
    assert entry(world.client_a.pk) == connection_cache.TOMBSTONE


def test_it_never_puts_back_rows_read_before_a_change(world, crm_a):
    connection_cache.invalidate(world.client_a.pk)
    assert connection_cache.client_connections(world.client_a.pk) == [
        ConnectionRow(crm_a.pk, "crm", "hubspot", ConnectionStatus.ACTIVE)
    ]
    assert entry(world.client_a.pk) == connection_cache.TOMBSTONE


def test_it_tombstones_again_after_commit(world, crm_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        crm_a.status = ConnectionStatus.NEEDS_REAUTH
        crm_a.save()
        cache.delete(connection_cache.cache_name(world.client_a.pk))  # an entry expired
    assert entry(world.client_a.pk) == connection_cache.TOMBSTONE


@pytest.mark.django_db(transaction=True)
def test_a_cached_connection_deleted_meanwhile_is_no_error(api, world):
    """A lead whose cached rows name a connection deleted since fails its commit on the foreign
    key; it is stored all the same, from the database."""
    gone = ConnectionRow(pk=987654, kind="crm", provider="hubspot", status="active")
    cache.set(connection_cache.cache_name(world.client_a.pk), [gone])
    job = post_lead(api, world)
    assert (job.connection_id, job.status) == (None, JobStatus.WAITING_CONNECTION)
    assert job.event.status == EventStatus.WAITING_CONNECTION
    assert AiEvent.objects.count() == 1 and SyncJob.objects.count() == 1


@pytest.mark.parametrize("chosen", ["hubspot", "zoho", ""])
def test_the_cached_choice_is_the_querysets(world, crm_a, chosen):
    """The cache path chooses exactly the connections ``connections_of_kind`` selects."""
    Connection.objects.create(client=world.client_a, provider="zoho", kind="crm", status="disabled")
    Connection.objects.create(client=world.client_a, provider="google", kind="calendar")
    Connection.objects.create(client=world.client_b, provider="pipedrive", kind="crm")
    world.client_a.crm_provider = chosen
    settled(world.client_a.pk)
    plain = connections_of_kind(world.client_a, "crm", chosen)
    expected = [(c.pk, c.provider, c.status) for c in plain]
    for _ in range(2):  # filling the cache, then from it
        rows = lead_connections(world.client_a)
        assert [(r.pk, r.provider, r.status) for r in rows] == expected
    assert isinstance(entry(world.client_a.pk), list)
