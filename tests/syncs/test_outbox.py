"""The transactional outbox: published equals committed, and the sweeper finds lost messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agency.celery import app as celery_app
from connectors.models import Connection
from syncs.engine.outbox import on_connection_reconnected, outbox_sweep
from syncs.engine.tasks import sweep_outbox
from syncs.intake.services import event_create
from syncs.models import AiEvent, JobStatus, SyncJob

from .conftest import LEAD, memory_messages


class Rollback(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_half_the_transactions_rolled_back_publish_exactly_the_committed_jobs(world, crm_a, broker):
    for n in range(40):
        try:
            with transaction.atomic():
                event_create(client=world.client_a, kind="lead.captured", payload={**LEAD, "n": n})
                if n % 2:
                    raise Rollback
        except Rollback:
            pass
    committed = sorted(SyncJob.objects.values_list("pk", flat=True))
    published = sorted(p.job_id for p in broker.drain())
    assert len(committed) == 20 and published == committed
    assert AiEvent.objects.count() == 20
    assert set(SyncJob.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}
    assert not SyncJob.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_republishes_messages_that_were_lost(world, crm_a, broker):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    job = SyncJob.objects.get()
    broker.drain()  # the broker lost it (Redis restarted empty)
    assert outbox_sweep()["republished"] == 0  # too recent to call lost
    SyncJob.objects.filter(pk=job.pk).update(published_at=timezone.now() - timedelta(minutes=10))
    assert sweep_outbox()["republished"] == 1
    assert [p.job_id for p in broker.drain()] == [job.pk]
    assert outbox_sweep()["republished"] == 0  # published_at was renewed


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_publishes_a_job_whose_first_publish_failed(world, crm_a, broker):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    broker.drain()
    long_ago = timezone.now() - timedelta(minutes=10)
    SyncJob.objects.update(published_at=None, status=JobStatus.PENDING, created_at=long_ago)
    assert outbox_sweep()["republished"] == 1
    assert len(broker.drain()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_republishes_lost_retries_and_jobs_of_dead_workers(world, crm_a, broker):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    broker.drain()
    first, second = SyncJob.objects.order_by("pk")
    old = timezone.now() - timedelta(hours=1)
    SyncJob.objects.filter(pk=first.pk).update(
        status=JobStatus.FAILED, next_attempt_at=old, published_at=old
    )
    SyncJob.objects.filter(pk=second.pk).update(
        status=JobStatus.RUNNING, started_at=old, published_at=old
    )
    assert outbox_sweep()["republished"] == 2
    assert sorted(p.job_id for p in broker.drain()) == [first.pk, second.pk]


@pytest.mark.django_db(transaction=True)
def test_a_running_job_within_its_lease_is_left_alone(world, crm_a, broker):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    old = timezone.now() - timedelta(hours=1)
    SyncJob.objects.update(status=JobStatus.RUNNING, started_at=timezone.now(), published_at=old)
    broker.drain()
    assert outbox_sweep()["republished"] == 0


@pytest.mark.django_db(transaction=True)
def test_jobs_waiting_for_a_connection_are_released_when_it_exists(world, broker):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    assert broker.drain() == []
    assert outbox_sweep()["released"] == 0
    Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    assert outbox_sweep()["released"] == 1
    job = SyncJob.objects.get()
    assert job.status == JobStatus.QUEUED and job.provider == "hubspot"
    assert [p.job_id for p in broker.drain()] == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_a_reconnected_connection_releases_its_clients_jobs_only(world, crm_a, crm_b, broker):
    for connection in (crm_a, crm_b):
        connection.status = "needs_reauth"
        connection.save()
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    event_create(client=world.client_b, kind="lead.captured", payload=LEAD)
    Connection.objects.update(status="active")
    crm_a.refresh_from_db()
    on_connection_reconnected(sender=Connection, connection=crm_a)
    statuses = dict(SyncJob.objects.values_list("client_id", "status"))
    assert statuses == {
        world.client_a.pk: JobStatus.QUEUED,
        world.client_b.pk: JobStatus.WAITING_CONNECTION,
    }
    assert len(broker.drain()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_does_not_fail_the_request(world, crm_a, broker, monkeypatch):
    from syncs.engine import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.run_sync_job_publisher, "send", down)
    event = event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    assert AiEvent.objects.filter(pk=event.pk).exists()
    job = SyncJob.objects.get()
    assert job.published_at is None  # the sweeper will publish it
    assert job.status == JobStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_the_reconnected_signal_releases_waiting_jobs(world, crm_a, broker):
    from connectors import signals

    crm_a.status = "needs_reauth"
    crm_a.save()
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    crm_a.status = "active"
    crm_a.save()
    signals.connection_reconnected.send(sender=Connection, connection=crm_a)
    assert SyncJob.objects.get().status == JobStatus.QUEUED
    assert len(broker.drain()) == 1


@pytest.mark.django_db
def test_intake_reads_the_same_connections_as_the_orm_without_their_tokens(world, crm_a, crm_b):
    from syncs.engine.outbox import crm_connections, crm_connections_for_intake

    other = Connection.objects.create(
        client=world.client_a, provider="salesforce", kind="crm", status="error"
    )
    Connection.objects.create(client=world.client_a, provider="google", kind="calendar")
    for client, provider in [
        (world.client_a, ""),
        (world.client_a, "salesforce"),
        (world.client_b, ""),
    ]:
        expected = [(c.pk, c.provider, c.status) for c in crm_connections(client, provider)]
        found = crm_connections_for_intake(client, provider)
        assert [(c.pk, c.provider, c.status) for c in found] == expected
        assert all({"access_token", "refresh_token"} <= c.get_deferred_fields() for c in found)
    assert [c.is_usable for c in crm_connections_for_intake(world.client_a)] == [True, False]
    assert other.pk in [c.pk for c in crm_connections_for_intake(world.client_a, "salesforce")]


@pytest.mark.django_db(transaction=True)
def test_a_published_intake_job_needs_no_update_after_the_send(world, crm_a, broker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    assert [p.job_id for p in broker.drain()] == [SyncJob.objects.get().pk]
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    job = SyncJob.objects.get()
    assert job.status == JobStatus.QUEUED and job.published_at is not None


@pytest.mark.django_db
def test_a_client_with_several_crm_connections_gets_one_job_each(world, crm_a, broker):
    world.client_a.crm_provider = ""
    world.client_a.save()
    other = Connection.objects.create(client=world.client_a, provider="salesforce", kind="crm")
    event = event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    jobs = SyncJob.objects.filter(event=event).order_by("pk")
    assert [(j.connection_id, j.provider) for j in jobs] == [
        (crm_a.pk, "hubspot"),
        (other.pk, "salesforce"),
    ]


def test_the_job_publisher_sends_the_message_apply_async_sends(broker):
    from syncs.engine.tasks import run_sync_job, run_sync_job_publisher

    run_sync_job.apply_async((7,))
    run_sync_job_publisher.send((7,))
    (ours_h, ours_p, ours_b), (theirs_h, theirs_p, theirs_b) = reversed(memory_messages())
    for headers, properties in ((ours_h, ours_p), (theirs_h, theirs_p)):
        assert headers["id"] == headers["root_id"] == properties.pop("correlation_id")
        for varying in ("id", "root_id"):
            headers.pop(varying)
        properties.pop("delivery_tag")
    assert ours_h == theirs_h and ours_p == theirs_p and ours_b == theirs_b
    assert ours_h["task"] == "syncs.engine.tasks.run_sync_job" and ours_b[0] == [7]
    assert ours_h["timelimit"] == [
        settings.CELERY_TASK_TIME_LIMIT,
        settings.CELERY_TASK_SOFT_TIME_LIMIT,
    ]
    assert ours_p["delivery_info"] == {"exchange": "", "routing_key": "celery"}


def test_the_job_publisher_keeps_one_connection_per_thread(broker):
    import threading

    from syncs.engine.tasks import run_sync_job_publisher as publisher

    def held() -> object:
        return publisher._held._local.connection

    publisher.send((1,))
    first = held()
    publisher.send((2,))
    assert held() is first
    seen = []
    other = threading.Thread(target=lambda: (publisher.send((3,)), seen.append(held())))
    other.start()
    other.join()
    assert seen and seen[0] is not first  # each thread its own
    assert [p.job_id for p in broker.drain()] == [1, 2, 3]


def test_a_forked_child_publishes_on_its_own_connection_and_leaves_the_parents(redis_celery):
    """A real fork on real Redis: the child must neither write on the parent's socket (their
    replies would interleave) nor close it; the parent goes on with the same connection."""
    import os

    from syncs.engine.tasks import run_sync_job_publisher as publisher

    job_id = 876_543_210
    publisher.send((job_id,))
    parent_channel = publisher._held._local.channel
    parent_socket = parent_channel.client.client_id()
    try:
        child = os.fork()
        if child == 0:  # the child: publish once, report whether it used its own connection
            try:
                publisher.send((job_id,))
                own = publisher._held._local.channel is not parent_channel
                os._exit(0 if own else 3)
            except BaseException:
                os._exit(4)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        publisher.send((job_id,))
        assert publisher._held._local.channel is parent_channel  # not dropped: it still works
        assert parent_channel.client.client_id() == parent_socket  # the same Redis client
        assert _lose_messages_of(job_id) == 3  # parent, child, parent
    finally:
        _lose_messages_of(job_id)


def test_a_failed_send_on_the_held_connection_goes_the_pooled_way_once(broker, monkeypatch):
    from kombu.transport.virtual import Channel

    from syncs.engine.tasks import run_sync_job_publisher as publisher

    publisher.send((1,))
    broken = publisher._held._local.channel

    def fail(self: Channel, *args: object, **kwargs: object) -> None:
        if self is broken:
            raise ConnectionError("connection reset by peer")
        return real(self, *args, **kwargs)

    real = Channel.basic_publish
    monkeypatch.setattr(Channel, "basic_publish", fail)
    publisher.send((2,))  # fails held, then sent through the producer pool
    assert getattr(publisher._held._local, "channel", None) is None  # the broken one dropped
    publisher.send((3,))  # a new held connection
    assert publisher._held._local.channel is not broken
    assert [p.job_id for p in broker.drain()] == [1, 2, 3]


@pytest.mark.django_db
def test_the_job_publisher_leaves_a_countdown_and_eager_mode_to_apply_async(broker):
    from celery.signals import task_prerun

    from syncs.engine import tasks

    tasks.run_sync_job_publisher.send((8,), countdown=30)
    [(headers, _, body)] = memory_messages()
    assert body[0] == [8] and headers["eta"]  # the delayed message, as apply_async sends it
    ran = []

    def record(task_id: str, task: object, args: tuple, **_: object) -> None:
        ran.append(args[0])

    task_prerun.connect(record, weak=False)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        tasks.run_sync_job_publisher.send((9,))  # run here, for real (no such job: skipped)
    finally:
        celery_app.conf.task_always_eager = eager
        task_prerun.disconnect(record)
    assert ran == [9] and memory_messages() == []


@pytest.fixture
def redis_celery(broker):
    """Celery on the real Redis broker (over the in-memory one the module's tests use)."""
    from tests.conftest import require

    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    conf = celery_app.conf
    conf.broker_url, conf.broker_transport = settings.REDIS_URL, "agency.broker:Transport"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield celery_app
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _lose_messages_of(job_id: int) -> int:
    """Take ``job_id``'s messages out of the Redis queue, as a Redis restart would lose them."""
    from agency.broker import message_task_args

    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        raws = [r for r in client.lrange("celery", 0, -1) if message_task_args(r, TASK) == [job_id]]
        return sum(client.lrem("celery", 0, raw) for raw in raws)


TASK = "syncs.engine.tasks.run_sync_job"


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_leaves_a_job_whose_message_waits_behind_a_backlog(world, crm_a, redis_celery):
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    job = SyncJob.objects.get()
    long_ago = timezone.now() - timedelta(minutes=10)
    SyncJob.objects.filter(pk=job.pk).update(published_at=long_ago)
    try:
        assert outbox_sweep()["republished"] == 0  # its message is still in the queue
        assert _lose_messages_of(job.pk) == 1
        assert outbox_sweep()["republished"] == 1  # now it was lost
        assert _lose_messages_of(job.pk) == 1  # exactly one new message
    finally:
        _lose_messages_of(job.pk)


def test_the_held_connection_survives_redis_closing_it(redis_celery):
    """Redis restarted (or killed idle clients): the next publish on the held connection still
    delivers, exactly once."""
    from syncs.engine.tasks import run_sync_job_publisher as publisher

    job_id = 987_654_321
    publisher.send((job_id,))
    held = publisher._held._local.channel.client
    own_id = held.client_id()
    with celery_app.connection_for_write() as conn:
        admin = conn.default_channel.client
        assert admin.client_kill_filter(_id=own_id) == 1
    try:
        publisher.send((job_id,))
        assert _lose_messages_of(job_id) == 2  # the first and this one, nothing doubled
    finally:
        _lose_messages_of(job_id)
