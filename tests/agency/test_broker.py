"""The Redis broker transport (``agency.broker``): one client object per channel for kombu's
short calls, with messages published, delivered and acknowledged as by kombu's own."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings
from kombu import Connection

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def test_a_channel_builds_one_client_for_its_publishes_deliveries_and_acks():
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    name = f"test-broker-{uuid.uuid4().hex[:8]}"
    with Connection(settings.REDIS_URL, transport="agency.broker:Transport") as conn:
        channel = conn.default_channel
        built: list[object] = []
        build = channel.Client.build  # the class kombu would call for every operation

        def counting(**kwargs: object) -> object:
            client = build(**kwargs)
            built.append(client)
            return client

        channel.Client.build = counting
        with channel.conn_or_acquire() as client:
            unacked = client.hlen(channel.unacked_key)  # other tests' leftovers, if any
        queue = conn.SimpleQueue(name)
        try:
            for n in range(5):
                queue.put({"n": n})
            received = []
            for _ in range(5):
                message = queue.get(timeout=5)
                received.append(message.payload["n"])
                message.ack()
            assert received == [0, 1, 2, 3, 4]
            with channel.conn_or_acquire() as client:
                assert client.llen(name) == 0
                assert client.hlen(channel.unacked_key) == unacked  # every ack removed its own
            # One for the channel's pool (publish, deliver, ack); the consumer's own BRPOP
            # client comes from kombu's other pool and is not counted as shared.
            sync = [c for c in built if c.connection_pool is channel.pool]  # type: ignore[attr-defined]
            assert len(sync) == 1
        finally:
            queue.clear()
            queue.close()


def test_the_redis_broker_uses_this_transport_and_other_brokers_kombus():
    code = "from django.conf import settings as s; print(getattr(s, 'CELERY_BROKER_TRANSPORT', ''))"
    outputs = []
    for url in ("redis://127.0.0.1:6379/0", "filesystem://"):
        env = {"DJANGO_SETTINGS_MODULE": "agency.settings", "CELERY_BROKER_URL": url}
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        outputs.append(result.stdout.strip())
    assert outputs == ["agency.broker:Transport", ""]
