"""common.counters: shared counters that stay exact under concurrent increments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import override_settings

from common.counters import add_to_counter


@pytest.fixture
def file_cache(tmp_path):
    """The embedded default's file cache, in a directory of its own."""
    location = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    with override_settings(CACHES=location):
        yield caches["default"]


def test_it_counts_every_concurrent_increment_on_the_file_cache(file_cache):
    # Django's FileBasedCache.incr is a read then a write: unlocked, many of these
    # increments are lost (each thread has its own cache object, as requests do).
    threads, each = 8, 40

    def count(_: int) -> list[int]:
        return [add_to_counter("test:count", 1, timeout=60) for _ in range(each)]

    with ThreadPoolExecutor(threads) as pool:
        seen = [value for values in pool.map(count, range(threads)) for value in values]
    assert file_cache.get("test:count") == threads * each
    # Every increment saw a value of its own: no two takers got the same slot.
    assert sorted(seen) == list(range(1, threads * each + 1))


def test_it_releases_without_recreating_an_expired_counter(file_cache):
    assert add_to_counter("test:gone", -1, timeout=60, create=False) is None
    assert file_cache.get("test:gone") is None
    assert add_to_counter("test:gone", 1, timeout=60) == 1
    assert add_to_counter("test:gone", -1, timeout=60, create=False) == 0


@pytest.fixture(params=["file", "redis"])
def any_cache(request, tmp_path, settings):
    """The two shared caches the product runs on: the embedded file cache, and Redis."""
    if request.param == "file":
        backend, location = "filebased.FileBasedCache", str(tmp_path / "cache")
    else:
        from tests.conftest import require

        require(bool(settings.REDIS_URL), "REDIS_URL is not set")
        backend, location = "redis.RedisCache", settings.REDIS_URL
    caches_setting = {"default": {"BACKEND": f"django.core.cache.backends.{backend}",
                                  "LOCATION": location}}  # fmt: skip
    with override_settings(CACHES=caches_setting):
        caches["default"].clear()
        yield caches["default"]
        caches["default"].clear()


def test_a_window_counts_every_concurrent_request_and_reads_the_previous_one(any_cache):
    from common.counters import count_in_window

    for _ in range(3):
        count_in_window("test:w:1", "test:w:0", timeout=60)

    def count(_: int) -> tuple[int, int]:
        return count_in_window("test:w:2", "test:w:1", timeout=60)

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(count, range(40)))
    assert {previous for previous, _ in seen} == {3}
    assert sorted(current for _, current in seen) == list(range(1, 41))
