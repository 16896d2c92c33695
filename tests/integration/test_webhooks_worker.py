"""Outbound webhooks through the real broker and a real Celery worker process."""

from __future__ import annotations

import pytest
from django.db import transaction

from syncs.webhooks import services
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery

from ..syncs.webhooks.peer import endpoint_a, peer  # noqa: F401 -- fixtures
from ..worker import celery_worker, purge_broker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _settled(pk: int) -> WebhookDelivery | None:
    row = WebhookDelivery.objects.get(pk=pk)
    return row if row.status == DeliveryStatus.SUCCEEDED else None


def test_a_committed_event_reaches_the_peer_and_a_500_is_retried(world, peer, endpoint_a):  # noqa: F811
    purge_broker()
    peer.answer(500, b"not yet")
    with celery_worker(name="webhooks"):
        with transaction.atomic():
            message = services.emit(world.client_a, "lead.synced", {"lead_id": "ev_w"})
        pk = message.deliveries.get().pk
        row = wait_for(lambda: _settled(pk), timeout=60)
    assert row.attempts == 2 and row.last_status_code == 200
    assert [r.headers["webhook-id"] for r in peer.requests] == [message.public_id] * 2
