"""Celery tasks for outbound webhooks: thin, they load by id and call ``delivery``."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from syncs.engine import jobs
from syncs.webhooks import delivery
from syncs.webhooks.models import WebhookDelivery


# As a sync job's: the worker's parent releases the delivery's lease when its process dies.
# Request= and engine_model= are task options celery-types do not declare.
@shared_task(  # type: ignore[call-overload]
    name="syncs.webhooks.deliver",
    Request="syncs.engine.leases:EngineRequest",
    engine_model="syncs.WebhookDelivery",
)
def deliver_webhook(delivery_id: int) -> str:
    """Make the due attempt of one delivery (a no-op if it is not due or already taken)."""
    result = delivery.deliver(delivery_id, holder=deliver_webhook.request.id or "")
    return "skipped" if result is None else result.status


@shared_task(name="syncs.webhooks.sweep")
def sweep_webhook_deliveries() -> int:
    """Enqueue overdue deliveries: long retry delays, lost messages, workers that died."""
    due = delivery.due_for_sweep(timezone.now())
    return jobs.publish_now(WebhookDelivery, due)
