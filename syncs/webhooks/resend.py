"""Staff-initiated sends from the delivery log: retry a failed or dead delivery now, or
redeliver one that succeeded (the receiver lost it, or wants to replay it).

The message is the same (same ``webhook-id``, so a receiver that already processed it can
drop the repeat, as Standard Webhooks expects), the attempt is new and goes through the usual
claim, signing and recording (``syncs.webhooks.delivery``). The delivery keeps its attempt
count, so a failed manual attempt goes on with the schedule where it stopped: a delivery that
had spent all its attempts gets this one only, and is dead again if it fails. Each send is
audited.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from syncs.audit.log import audit_log
from syncs.engine import jobs
from syncs.webhooks.models import CLAIM_LEASE, DeliveryStatus, WebhookDelivery, WebhookEndpoint

RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)


class CannotResend(ValueError):
    """Why this delivery cannot be sent again now; the message is for staff."""


def _in_flight(now: datetime) -> Q:
    """An attempt claimed less than a lease ago and not yet recorded (a run past its lease
    died, and may be sent again)."""
    return Q(status=DeliveryStatus.RUNNING, started_at__gte=now - CLAIM_LEASE)


def delivery_resend(*, delivery: WebhookDelivery, actor: str) -> str:
    """Queue one more attempt of ``delivery`` now; returns the audit action
    (``webhook.retried`` or ``webhook.redelivered``).

    Raises ``CannotResend`` when the endpoint is disabled, the delivery has not been attempted
    yet, or an attempt is under way.
    """
    now = timezone.now()
    endpoint = delivery.endpoint
    if not endpoint.is_enabled:
        raise CannotResend("The endpoint is disabled; enable it first.")
    if delivery.status == DeliveryStatus.PENDING:
        raise CannotResend("This delivery has not been attempted yet; it is on its way.")
    redeliver = delivery.status == DeliveryStatus.SUCCEEDED
    new_status = DeliveryStatus.PENDING if redeliver else DeliveryStatus.FAILED
    with transaction.atomic():
        reopened = (
            WebhookDelivery.objects.filter(pk=delivery.pk, status=delivery.status)
            .exclude(_in_flight(now))
            .update(status=new_status, next_attempt_at=now)
        )
        if not reopened:
            raise CannotResend("An attempt is under way; look again in a moment.")
        action = "webhook.redelivered" if redeliver else "webhook.retried"
        audit_log(
            client=delivery.client,
            actor=actor,
            action=action,
            target=f"webhook-delivery:{delivery.pk}",
            details={
                "message": delivery.message.public_id,
                "event_type": delivery.message.event_type,
                "endpoint": str(endpoint.public_id),
                "previous_status": delivery.status,
                "attempts": delivery.attempts,
            },
        )
        jobs.publish_on_commit(WebhookDelivery, [delivery.pk])
    delivery.status, delivery.next_attempt_at = new_status, now
    return action


RECOVER_LIMIT = 1000


def endpoint_recover(*, endpoint: WebhookEndpoint, since: datetime, actor: str) -> int:
    """Retry now every failed or dead delivery of ``endpoint`` created since ``since`` (after
    the receiver was down, say), at most ``RECOVER_LIMIT``; returns how many were queued.

    One audit entry for the lot. Raises ``CannotResend`` when the endpoint is disabled.
    """
    if not endpoint.is_enabled:
        raise CannotResend("The endpoint is disabled; enable it first.")
    now = timezone.now()
    candidates = (
        WebhookDelivery.objects.filter(
            client=endpoint.client, endpoint=endpoint, status__in=RETRYABLE, created_at__gte=since
        )
        .exclude(_in_flight(now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RECOVER_LIMIT]
    )
    with transaction.atomic():
        ids = list(candidates)
        # The same conditions again: a delivery claimed since it was read is left alone.
        WebhookDelivery.objects.filter(pk__in=ids, status__in=RETRYABLE).exclude(
            _in_flight(now)
        ).update(status=DeliveryStatus.FAILED, next_attempt_at=now)
        if ids:
            audit_log(
                client=endpoint.client,
                actor=actor,
                action="webhook.recovered",
                target=f"webhook-endpoint:{endpoint.public_id}",
                details={"deliveries": len(ids), "since": since.isoformat()},
            )
            jobs.publish_on_commit(WebhookDelivery, ids)
    return len(ids)
