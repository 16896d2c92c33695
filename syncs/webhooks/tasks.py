"""Celery tasks for outbound webhooks: thin, they load by id and call ``delivery``."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from syncs.webhooks import delivery


@shared_task(name="syncs.webhooks.deliver")
def deliver_webhook(delivery_id: int) -> str:
    """Make the due attempt of one delivery (a no-op if it is not due or already taken)."""
    result = delivery.deliver(delivery_id)
    return "skipped" if result is None else result.status


@shared_task(name="syncs.webhooks.sweep")
def sweep_webhook_deliveries() -> int:
    """Enqueue overdue deliveries: long retry delays, lost messages, workers that died."""
    due = delivery.due_for_sweep(timezone.now())
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
