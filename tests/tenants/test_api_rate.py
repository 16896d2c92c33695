"""tenants.api_rate: the sliding-window request counter behind the per-key throttle."""

from __future__ import annotations

import pytest

from tenants import api_rate

pytestmark = pytest.mark.django_db


def test_the_previous_window_counts_by_how_much_of_it_still_overlaps():
    where = api_rate.window("t", 60, now=6000 + 15)  # a quarter into window 100
    assert (where.current, where.previous) == ("t:100", "t:99")
    count = api_rate.Count(previous=40, current=10, where=where)
    assert count.estimate() == pytest.approx(40 * 0.75 + 10)
    assert count.allowed(40) and not count.allowed(39)


def test_wait_is_until_the_previous_windows_weight_has_shrunk_enough():
    where = api_rate.window("t", 60, now=6000 + 15)
    count = api_rate.Count(previous=40, current=20, where=where)  # estimate 50, limit 40
    # 40 * (45 - t) / 60 + 20 <= 40  =>  t >= 15
    assert count.wait(40) == 15
    # Past the limit in this window alone: the next window, until this one weighs little.
    over = api_rate.Count(previous=0, current=60, where=where)
    assert over.wait(40) == 45 + 20  # 60 * (60 - 40) / 60 = 20 s into the next window


def test_counts_add_up_in_the_current_window_and_read_back_as_the_previous_one():
    first = 6000 + 1
    for expected in (1, 2, 3):
        count = api_rate.count_request("k", 60, now=first)
        assert (count.previous, count.current) == (0, expected)
    count = api_rate.count_request("k", 60, now=first + 60)
    assert (count.previous, count.current) == (3, 1)


def test_concurrent_requests_are_each_counted(api, world, monkeypatch):
    """Requests of one key served at once by several threads are all counted: DRF's own
    throttle reads and writes back a list of timestamps, and lost some of them."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections

    def count(_: int) -> int:
        try:
            return api_rate.count_request("burst", 60, now=6000 + 1).current
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = sorted(pool.map(count, range(40)))
    assert seen == list(range(1, 41))


def test_a_throttled_client_is_told_when_to_come_back(api, world, monkeypatch):
    from django.core.cache import cache

    from tenants.api_rate import ApiKeyRateThrottle

    from ..conftest import bearer
    from .test_api_auth import assert_problem

    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "3/hour", raising=False)
    for _ in range(3):
        assert api.get("/api/v1/me", **bearer(world.key_a)).status_code == 200
    response = api.get("/api/v1/me", **bearer(world.key_a))
    body = assert_problem(response, 429, "rate-limited")
    assert 1 <= int(response["Retry-After"]) <= 2 * 3600 and body["retry_after"] >= 1
