"""agency.broker: kombu's Redis transport with one publishing client per channel."""

from __future__ import annotations

import json
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


def test_it_lists_a_tasks_waiting_messages_without_consuming_them():
    """What the outbox sweeper reads to tell a message behind a backlog from a lost one."""
    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    from celery import Celery

    from agency.broker import Channel, TaskPublisher

    queue = f"test-waiting-{uuid.uuid4().hex}"
    app = Celery("waiting-test", broker=settings.REDIS_URL, set_as_current=False)
    app.conf.update(broker_transport="agency.broker:Transport", task_default_queue=queue)

    def run(job_id: int) -> int:
        return job_id

    job = TaskPublisher(app.task(name="test.job")(run))
    other = TaskPublisher(app.task(name="test.other")(run))
    try:
        for n in (1, 2, 3):
            job.send((n,))
        other.send((4,))
        job.send((5,), countdown=60)  # apply_async's path: the same queue, with an eta
        assert sorted(job.waiting_args()) == [[1], [2], [3], [5]]
        assert job.waiting_args() == job.waiting_args()  # nothing was consumed
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            assert isinstance(channel, Channel)
            taken = conn.SimpleQueue(queue).get(timeout=5)  # a worker takes the oldest
            assert taken.headers["task"] == "test.job"
            assert sorted(job.waiting_args()) == [[2], [3], [5]]
            taken.ack()
            channel.client.lpush(queue, b"not json", b'{"headers": {"task": "test.job"}}')
            assert sorted(job.waiting_args()) == [[2], [3], [5]]
        expiring = TaskPublisher(app.task(name="test.expiring", expires=60)(run))
        expiring.send((6,))  # not the plain case: apply_async sends it, with its expiry
        with app.connection_for_write() as conn:
            [raw] = [
                r for r in conn.default_channel.client.lrange(queue, 0, -1) if b"expiring" in r
            ]
        assert json.loads(raw)["headers"]["expires"] and expiring.waiting_args() is None
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)
