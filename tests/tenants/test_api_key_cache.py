"""The API-key lookup cache: a hit needs no query, and every change takes effect at once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import api_key_cache
from tenants.models import ApiKey, hash_api_key

from ..conftest import bearer

pytestmark = pytest.mark.django_db


def cached_entry(raw_key: str) -> object:
    return cache.get(api_key_cache.cache_name(hash_api_key(raw_key)))


def key_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "tenants_apikey" in q["sql"]]


def test_it_serves_a_known_key_from_the_cache(api, world):
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    assert isinstance(cached_entry(world.key_a), ApiKey)
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/me", **bearer(world.key_a))
    assert response.status_code == 200
    assert response.json()["id"] == str(world.client_a.public_id)
    assert key_queries(captured) == []


def test_it_refuses_a_cached_key_as_soon_as_it_is_revoked(api, world):
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    assert isinstance(cached_entry(world.key_a), ApiKey)
    ApiKey.objects.get(client=world.client_a).revoke()
    response = api.get("/api/v1/me", **bearer(world.key_a))
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/api-key-revoked"
    assert api.get("/api/v1/me", **bearer(world.key_b)).status_code == 200


def test_it_refuses_a_cached_key_once_its_client_is_deleted(api, world):
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    world.client_a.delete()
    response = api.get("/api/v1/me", **bearer(world.key_a))
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/invalid-api-key"


def test_it_shows_a_client_change_at_once(api, world):
    assert api.get("/api/v1/me", **bearer(world.key_a)).json()["connectors"]["crm"] == "hubspot"
    world.client_a.crm_provider = "pipedrive"
    world.client_a.save()
    assert api.get("/api/v1/me", **bearer(world.key_a)).json()["connectors"]["crm"] == "pipedrive"


def test_it_shows_an_agency_change_at_once(api, world):
    assert api.get("/api/v1/me", **bearer(world.key_a)).json()["agency"] == "Northwind Agency"
    world.agency.name = "Southwind Agency"
    world.agency.save()
    assert api.get("/api/v1/me", **bearer(world.key_a)).json()["agency"] == "Southwind Agency"


def test_it_never_puts_back_a_row_read_before_a_revoke(api, world):
    """A request that read the key just before the revoke committed fills the cache late."""
    stale = ApiKey.objects.select_related("client__agency").get(client=world.client_a)
    ApiKey.objects.get(client=world.client_a).revoke()
    api_key_cache.remember(stale)
    assert cached_entry(world.key_a) == api_key_cache.TOMBSTONE
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 401


def test_it_never_caches_an_unknown_or_revoked_key(api, world):
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sb_live_guess").status_code == 401
    assert cached_entry("sb_live_guess") is None
    ApiKey.objects.get(client=world.client_b).revoke()
    cache.clear()
    assert api.get("/api/v1/me", **bearer(world.key_b)).status_code == 401
    assert cached_entry(world.key_b) is None
