"""What a rate-limit token costs per vendor call, by backend.

Prints microseconds per ``acquire`` for the file backend (embedded default) and, with
REDIS_URL set, the Redis backend, each as a ratio to the same grant rule run on a plain list in
this process (the floor: no lock, no I/O).

    DJANGO_SETTINGS_MODULE=tests.settings python benchmarks/ratelimit_overhead.py [calls]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from connectors import ratelimit  # noqa: E402
from connectors.base import RateLimit  # noqa: E402

LIMIT = RateLimit(requests=1_000_000, per_seconds=1.0)  # never waits: measures the bookkeeping


def per_call(fn, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def floor(calls: int) -> float:
    bucket = ratelimit.Bucket(None, LIMIT)

    def take() -> None:
        now = time.time()
        bucket.settle(now)
        bucket.reserve(now, 0.0, 0.0, instant=True)
        bucket.settle(now)

    return per_call(take, calls)


def backend(calls: int) -> float:
    key = f"rl:bench:{uuid.uuid4().hex}"
    try:
        return per_call(lambda: ratelimit.acquire(key, LIMIT, max_wait=0), calls)
    finally:
        ratelimit.reset(key)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    base = floor(calls)
    print(f"in-process floor: {base:8.1f} us/acquire")
    redis_url = settings.REDIS_URL
    with tempfile.TemporaryDirectory() as tmp:
        settings.REDIS_URL, settings.VAR_DIR = "", Path(tmp)
        files = backend(calls)
        print(f"file + flock:     {files:8.1f} us/acquire  ({files / base:6.1f}x floor)")
    if redis_url:
        settings.REDIS_URL = redis_url
        red = backend(calls)
        print(f"redis lua:        {red:8.1f} us/acquire  ({red / base:6.1f}x floor)")
    else:
        print("redis lua:        skipped (REDIS_URL not set)")


if __name__ == "__main__":
    main()
