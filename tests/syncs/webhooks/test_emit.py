"""emit(): who gets a message, and that queuing waits for the caller's commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from syncs.webhooks import models as webhook_models
from syncs.webhooks import services, signals, tasks
from syncs.webhooks.models import WebhookDelivery, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    sent: list[int] = []

    def publish(args: tuple, countdown: float | None = None) -> None:
        sent.append(args[0])

    # The engine publishes with apply_async (syncs.engine.jobs.publish_now).
    monkeypatch.setattr(tasks.deliver_webhook, "apply_async", publish)
    return sent


def _endpoint(client, events, url="http://127.0.0.1:1/h"):
    return services.endpoint_create(client=client, url=url, event_types=events)[0]


def test_it_creates_one_delivery_per_subscribed_enabled_endpoint(world):
    everything = _endpoint(world.client_a, ["*"])
    synced = _endpoint(world.client_a, ["lead.synced"])
    _endpoint(world.client_a, ["lead.failed"])
    off = _endpoint(world.client_a, ["*"])
    services.endpoint_set_enabled(endpoint=off, enabled=False, reason="test")
    _endpoint(world.client_b, ["*"])

    message = services.emit(world.client_a, "lead.synced", {"lead_id": "ev_9"})
    assert message.public_id.startswith("msg_")
    targets = {d.endpoint_id for d in message.deliveries.all()}
    assert targets == {everything.pk, synced.pk}
    assert all(d.client_id == world.client_a.pk for d in message.deliveries.all())


def test_it_writes_nothing_when_no_endpoint_wants_the_event(world):
    _endpoint(world.client_a, ["lead.failed"])
    assert services.emit(world.client_a, "lead.synced", {}) is None
    assert WebhookMessage.objects.count() == 0


def test_it_refuses_an_unknown_event_type(world):
    with pytest.raises(ValueError, match="unknown webhook event type"):
        services.emit(world.client_a, "lead.exploded", {})


def test_it_queues_the_first_attempt_only_when_the_caller_commits(
    world, queued, django_capture_on_commit_callbacks
):
    _endpoint(world.client_a, ["*"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.emit(world.client_a, "booking.created", {"booking_id": "b1"})
        assert queued == []
    assert len(callbacks) == 1
    assert queued == [message.deliveries.get().pk]


def test_it_writes_and_queues_nothing_when_the_caller_rolls_back(
    world, queued, django_capture_on_commit_callbacks
):
    _endpoint(world.client_a, ["*"])
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.emit(world.client_a, "lead.synced", {})
        raise RuntimeError("the sync failed after all")
    assert queued == [] and WebhookDelivery.objects.count() == 0


def test_the_sweeper_enqueues_overdue_deliveries_only(world, queued):
    _endpoint(world.client_a, ["*"])
    due = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    later = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(hours=1))
    WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=9))
    assert tasks.sweep_webhook_deliveries() == 1
    assert queued == [due.pk]


def test_the_task_delivers_by_id(world, peer):
    services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
    d = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    assert tasks.deliver_webhook(d.pk) == "succeeded"
    assert tasks.deliver_webhook(d.pk) == "skipped"
    assert len(peer.requests) == 1


def test_it_announces_a_connection_that_needs_reauth(world):
    from connectors.models import Connection

    _endpoint(world.client_a, ["connection.needs_reauth"])
    connection = Connection.objects.create(
        client=world.client_a, provider="hubspot", kind="crm", status="needs_reauth"
    )
    signals.on_connection_needs_reauth(sender=Connection, connection=connection)
    message = WebhookMessage.objects.get()
    assert message.event_type == "connection.needs_reauth"
    assert message.payload == {
        "connection": {"provider": "hubspot", "kind": "crm", "status": "needs_reauth"}
    }


def test_it_listens_to_the_connector_signal(world):
    from connectors import signals as signal_module
    from connectors.models import Connection

    _endpoint(world.client_a, ["*"])
    connection = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    signal_module.connection_needs_reauth.send(sender=Connection, connection=connection)
    assert WebhookMessage.objects.filter(event_type="connection.needs_reauth").count() == 1


def test_the_schedule_is_about_three_days():
    total = sum(webhook_models.RETRY_SCHEDULE, timedelta())
    assert timedelta(days=2, hours=12) <= total <= timedelta(days=3, hours=12)
