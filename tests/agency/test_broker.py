"""agency.broker: kombu's Redis transport with one publishing client per channel."""

from __future__ import annotations

import uuid

import kombu
from django.conf import settings

from tests.conftest import require


def redis_broker() -> kombu.Connection:
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    return kombu.Connection(settings.REDIS_URL, transport="agency.broker:Transport")


def test_it_publishes_and_delivers_with_one_client_object():
    queue_name = f"test-broker-{uuid.uuid4().hex}"
    with redis_broker() as conn:
        queue = kombu.Queue(queue_name, kombu.Exchange(queue_name), routing_key=queue_name)
        producer = conn.Producer()
        clients = []  # the objects themselves: ids of freed objects repeat
        for n in range(3):
            producer.publish(
                {"n": n}, exchange=queue.exchange, routing_key=queue_name, declare=[queue]
            )
            with producer.channel.conn_or_acquire() as client:
                clients.append(client)
        assert all(client is clients[0] for client in clients)
        got = []
        with conn.Consumer(
            queue, callbacks=[lambda body, message: (got.append(body["n"]), message.ack())]
        ):
            while len(got) < 3:
                conn.drain_events(timeout=5)
        assert got == [0, 1, 2]
        queue(conn.default_channel).delete()


def test_it_is_celerys_transport_when_the_broker_is_redis():
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    from agency.celery import app

    assert type(app.connection_for_write().transport).__module__ == "agency.broker"
