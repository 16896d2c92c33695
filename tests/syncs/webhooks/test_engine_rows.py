"""Webhook deliveries as rows of the engine's state machine: a dead worker's lease released,
a last allowed attempt that died dead-lettered, the receiver's Retry-After honoured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.engine import jobs
from syncs.webhooks import delivery, services
from syncs.webhooks import models as webhook_models
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def _emit(world) -> WebhookDelivery:
    return services.emit(world.client_a, "lead.synced", {"lead_id": "ev_1"}).deliveries.get()


def test_a_dead_workers_lease_on_a_delivery_is_released_for_its_redelivery(world, endpoint_a):
    d = _emit(world)
    assert delivery.claim(d.pk, timezone.now(), holder="task-1") is not None
    assert not jobs.release(WebhookDelivery, d.pk, holder="task-2")  # not its lease
    assert jobs.release(WebhookDelivery, d.pk, holder="task-1")
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and d.last_error == jobs.WORKER_LOST
    assert delivery.claim(d.pk, timezone.now(), holder="task-1-again") is not None


def test_a_delivery_whose_last_allowed_attempt_died_is_dead_lettered(world, peer, endpoint_a):
    d = _emit(world)
    last = webhook_models.MAX_ATTEMPTS - 1
    WebhookDelivery.objects.filter(pk=d.pk).update(attempts=last)
    assert delivery.claim(d.pk, timezone.now()) is not None  # the worker dies here
    after_lease = timezone.now() + webhook_models.CLAIM_LEASE + timedelta(seconds=1)
    assert delivery.deliver(d.pk, now=after_lease) is None
    d.refresh_from_db()
    assert d.status == DeliveryStatus.DEAD and d.last_error == delivery.RUNS_DIED
    assert peer.requests == []


def test_a_receivers_retry_after_is_honoured(world, peer, endpoint_a):
    peer.answer(429, b"slow down", **{"Retry-After": "120"})
    d = _emit(world)
    now = timezone.now()
    delivery.deliver(d.pk, now=now)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED
    assert d.next_attempt_at == now + timedelta(seconds=120)  # not the schedule's 5 s


def test_a_retry_without_retry_after_follows_the_tables_backoff(world, peer, endpoint_a):
    peer.answer(503)
    d = _emit(world)
    now = timezone.now()
    delivery.deliver(d.pk, now=now)
    d.refresh_from_db()
    assert d.next_attempt_at == now + webhook_models.RETRY_SCHEDULE[0]
