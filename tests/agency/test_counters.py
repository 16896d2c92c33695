"""agency.counters: shared counters that stay exact under concurrent increments."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.test import override_settings

from agency.counters import add_to_counter


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
