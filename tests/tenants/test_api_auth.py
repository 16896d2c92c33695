"""API-key authentication: every failure is a 401/400/429 problem+json, never a 500."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tenants.models import ApiKey

from ..conftest import bearer

pytestmark = pytest.mark.django_db


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    return body


def test_it_returns_the_keys_client(api, world):
    response = api.get("/api/v1/me", **bearer(world.key_a))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(world.client_a.public_id)
    assert body["connectors"]["crm"] == "hubspot"
    assert "key" not in str(body).lower() or world.key_a not in str(body)


def test_it_refuses_a_missing_key(api, world):
    response = api.get("/api/v1/me")
    assert_problem(response, 401, "authentication-required")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer sb_live_nope",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a b",
        "Bearer \u00e9\u00e9",
    ],
)
def test_it_refuses_a_malformed_or_unknown_key(api, world, header):
    response = api.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert_problem(response, 401, "invalid-api-key")


def test_it_refuses_a_revoked_key(api, world):
    ApiKey.objects.get(client=world.client_a).revoke()
    assert_problem(api.get("/api/v1/me", **bearer(world.key_a)), 401, "api-key-revoked")


def test_it_refuses_a_key_in_the_query_string(api, world):
    response = api.get(f"/api/v1/me?api_key={world.key_a}")
    assert_problem(response, 400, "api-key-in-query")


def test_it_gives_each_key_only_its_own_client(api, world):
    me_b = api.get("/api/v1/me", **bearer(world.key_b)).json()
    assert me_b["id"] == str(world.client_b.public_id)
    assert str(world.client_a.public_id) not in str(me_b)


def test_it_stores_only_a_hash_of_the_key(world):
    for key in ApiKey.objects.all():
        assert key.key_hash not in (world.key_a, world.key_b)
        assert world.key_a.startswith(ApiKey.objects.get(client=world.client_a).prefix)
    assert not ApiKey.objects.filter(key_hash=world.key_a).exists()


def test_it_records_last_use(api, world):
    assert ApiKey.objects.get(client=world.client_a).last_used_at is None
    api.get("/api/v1/me", **bearer(world.key_a))
    assert ApiKey.objects.get(client=world.client_a).last_used_at is not None


@override_settings(API_AUTH_FAILURES_PER_MINUTE=5)
def test_it_throttles_brute_force(api, world):
    from django.core.cache import cache

    cache.clear()
    for _ in range(5):
        assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sb_live_guess").status_code == 401
    guess = api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer sb_live_guess")
    body = assert_problem(guess, 429, "rate-limited")
    assert body["retry_after"] > 0
    # Failures are throttled, not the address: a valid key is still served (tests/security).
    assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    cache.clear()


def test_it_answers_unknown_api_routes_with_a_problem(api, world):
    assert_problem(api.get("/api/v1/nope", **bearer(world.key_a)), 404, "not-found")


def test_it_documents_problem_types(client):
    assert client.get("/problems/invalid-api-key").status_code == 200
    assert client.get("/problems/no-such-thing").status_code == 404


def test_it_throttles_each_key_at_its_rate(api, world, monkeypatch):
    from django.core.cache import cache

    from tenants.api_rate import ApiKeyRateThrottle

    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "2/min", raising=False)
    for _ in range(2):
        assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    assert_problem(api.get("/api/v1/me", **bearer(world.key_a)), 429, "rate-limited")
    assert api.get("/api/v1/me", **bearer(world.key_b)).status_code == 200  # its own budget
    cache.clear()
