"""The transactional outbox: published equals committed, and the sweeper finds lost messages."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agency.celery import app as celery_app
from connectors.models import Connection
from syncs.engine.outbox import lost_jobs, on_connection_reconnected, outbox_sweep
from syncs.engine.tasks import sweep_outbox
from syncs.intake.services import event_create
from syncs.models import AiEvent, JobStatus, SyncJob

from .conftest import LEAD


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
def test_a_job_put_off_for_a_quota_is_not_republished_before_it_is_due(world, crm_a, broker):
    """A throttled job is a retry with a future ``next_attempt_at`` (its message carries the
    countdown): the sweeper leaves it alone until it is due and its grace has passed, however
    long ago it was published; only then is its message presumed lost."""
    event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    broker.drain()
    now = timezone.now()
    due = now + timedelta(minutes=15)
    SyncJob.objects.update(
        status=JobStatus.FAILED, next_attempt_at=due, published_at=now - timedelta(minutes=10)
    )
    assert outbox_sweep()["republished"] == 0
    grace = timedelta(seconds=settings.SYNC_REPUBLISH_AFTER_SECONDS)
    assert lost_jobs(now=due + grace - timedelta(seconds=1)) == []
    assert lost_jobs(now=due + grace + timedelta(seconds=1)) == [SyncJob.objects.get().pk]


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

    monkeypatch.setattr(tasks.run_sync_job, "apply_async", down)
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
def test_intake_makes_jobs_of_its_connections_kind_only(world, crm_a, broker):
    from syncs.engine.outbox import connections_of_kind

    Connection.objects.create(client=world.client_a, provider="google", kind="calendar")
    other = Connection.objects.create(client=world.client_a, provider="salesforce", kind="crm")
    assert list(connections_of_kind(world.client_a, "crm")) == [crm_a, other]
    assert list(connections_of_kind(world.client_a, "crm", "salesforce")) == [other]
    event = event_create(client=world.client_a, kind="lead.captured", payload=LEAD)
    assert [(j.kind, j.provider) for j in event.jobs.all()] == [("crm", "hubspot")]


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


@pytest.fixture
def redis_celery(broker):
    """Celery on the real Redis broker (over the in-memory one the module's tests use)."""
    from tests.conftest import require

    require(bool(settings.REDIS_URL), "REDIS_URL is not set")
    conf = celery_app.conf
    conf.broker_url, conf.broker_transport = settings.REDIS_URL, None
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield celery_app
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _lose_messages_of(job_id: int) -> int:
    """Take ``job_id``'s messages out of the Redis queue, as a Redis restart would lose them."""
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        raws = [r for r in client.lrange("celery", 0, -1) if message_task_args(r, TASK) == [job_id]]
        return sum(client.lrem("celery", 0, raw) for raw in raws)


TASK = "syncs.engine.tasks.run_sync_job"


def message_task_args(raw: bytes, task: str) -> list | None:
    """A kombu Redis envelope's task arguments if it is a ``task`` message, else None."""
    message = json.loads(raw)
    if message.get("headers", {}).get("task") != task:
        return None
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    return json.loads(body)[0]


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
