"""Failed authentications are throttled per address without locking out valid keys: 30 bad
keys from a shared address (a NAT, a vendor's egress) used to refuse every valid key there
for up to 60 s, because the failure counter was checked before the key."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from tenants import api_key_cache
from tenants.models import ApiKey, hash_api_key

pytestmark = pytest.mark.django_db

SHARED = "203.0.113.7"
ELSEWHERE = "198.51.100.9"
LIMIT = 5


def me(api, address: str, authorization: str):
    return api.get("/api/v1/me", REMOTE_ADDR=address, HTTP_AUTHORIZATION=authorization)


def fail_until_throttled(api, address: str = SHARED) -> None:
    for attempt in range(LIMIT):
        response = me(api, address, f"Bearer sb_live_guess{attempt}")
        assert response.status_code == 401, response.content
    response = me(api, address, "Bearer sb_live_guess-more")
    assert response.status_code == 429
    assert response.json()["type"] == "/problems/rate-limited"
    assert response.json()["retry_after"] > 0


@override_settings(API_AUTH_FAILURES_PER_MINUTE=LIMIT)
def test_it_serves_a_valid_key_from_an_address_that_failed_too_often(api, world):
    assert me(api, SHARED, f"Bearer {world.key_a}").status_code == 200  # cached from here on
    fail_until_throttled(api)
    # A key already in the cache, and one read from the database (its first call).
    assert me(api, SHARED, f"Bearer {world.key_a}").status_code == 200
    assert cache.get(api_key_cache.cache_name(hash_api_key(world.key_b))) is None
    response = me(api, SHARED, f"Bearer {world.key_b}")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(world.client_b.public_id)


@override_settings(API_AUTH_FAILURES_PER_MINUTE=LIMIT)
def test_it_keeps_throttling_the_failures_while_valid_keys_pass(api, world):
    fail_until_throttled(api)
    for _ in range(3):
        assert me(api, SHARED, f"Bearer {world.key_a}").status_code == 200
        assert me(api, SHARED, "Bearer sb_live_still-guessing").status_code == 429
        assert me(api, SHARED, "Basic dXNlcjpwYXNz").status_code == 429


@override_settings(API_AUTH_FAILURES_PER_MINUTE=LIMIT)
def test_it_throttles_revoked_keys_as_failures(api, world):
    ApiKey.objects.get(client=world.client_b).revoke()
    fail_until_throttled(api)
    assert me(api, SHARED, f"Bearer {world.key_b}").status_code == 429
    assert me(api, SHARED, f"Bearer {world.key_a}").status_code == 200


@override_settings(API_AUTH_FAILURES_PER_MINUTE=LIMIT)
def test_it_counts_failures_per_address(api, world):
    fail_until_throttled(api)
    response = me(api, ELSEWHERE, "Bearer sb_live_guess")
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/invalid-api-key"


@pytest.mark.parametrize("authorization", ["Bearer sb_live_nope", "Basic dXNlcjpwYXNz", "Bearer"])
def test_it_challenges_an_invalid_key(api, world, authorization):
    response = me(api, ELSEWHERE, authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_it_challenges_a_revoked_key(api, world):
    ApiKey.objects.get(client=world.client_a).revoke()
    response = me(api, ELSEWHERE, f"Bearer {world.key_a}")
    assert response.status_code == 401
    assert response.json()["type"] == "/problems/api-key-revoked"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
