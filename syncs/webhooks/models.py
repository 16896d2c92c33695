"""Outbound webhooks: where a client wants events sent, what was sent, and how each send went.

``WebhookMessage`` is one event (its id is the Standard Webhooks ``webhook-id``, stable across
retries so receivers can dedupe); ``WebhookDelivery`` is that message's journey to one endpoint
and doubles as the delivery log. Secrets are stored encrypted and never rendered after creation.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone

from connectors.crypto import EncryptedTextField
from syncs.engine.models import EngineRow, Lifecycle
from tenants.models import Client

__all__ = [
    "ALL_EVENTS",
    "CLAIM_LEASE",
    "EVENT_TYPES",
    "MAX_ATTEMPTS",
    "PING",
    "RETRY_SCHEDULE",
    "DeliveryStatus",
    "EndpointStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "delay_after",
]

ALL_EVENTS = "*"
PING = "ping"
# What a vendor may subscribe to; ``ping`` is only sent by the test operation.
EVENT_TYPES: tuple[str, ...] = (
    "lead.synced",
    "lead.needs_review",
    "lead.failed",
    "lead.rolled_back",
    "connection.needs_reauth",
    "booking.created",
    "booking.updated",
    "booking.cancelled",
    # The calendar took a booking's time (a change made there that we refused, or a foreign
    # event found after our write): the booking is ``conflict``, with alternatives; its CRM
    # meeting stays as it was.
    "booking.conflict",
    "booking.reminder",  # due: a chatbot may turn it into an SMS (syncs.appointments)
    "booking.outcome",  # attended / no-show recorded (syncs.appointments)
)


# The gap after each failed attempt: 10 attempts over about 3 days 3 hours (Svix's schedule,
# immediately then growing gaps, stretched; see syncs.webhooks.delivery).
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# A claimed attempt owns the delivery this long; a worker that died mid-send frees it after.
CLAIM_LEASE = timedelta(minutes=5)


def delay_after(attempts: int) -> timedelta | None:
    """The wait after the ``attempts``-th failed attempt; None when the schedule is spent."""
    if attempts >= MAX_ATTEMPTS or attempts < 1:
        return None
    return RETRY_SCHEDULE[attempts - 1]


def _backoff(attempts: int) -> float | None:
    delay = delay_after(attempts)
    return None if delay is None else delay.total_seconds()


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # not attempted yet
    RUNNING = "running", "Sending"  # an attempt is under way
    FAILED = "failed", "Failed"  # the last attempt failed; another is scheduled
    SUCCEEDED = "succeeded", "Succeeded"
    DEAD = "dead", "Dead"  # no further attempts (schedule exhausted, 410, endpoint disabled)


class WebhookEndpoint(models.Model):
    """A URL of the client's chatbot vendor and the events it wants."""

    # Indexed by (client, status) below, which it leads.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="webhook_endpoints", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    event_types = models.JSONField(default=list)
    secret = EncryptedTextField()
    # During a rotation the previous secret signs too, until it expires.
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED
    )
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"

    @property
    def is_enabled(self) -> bool:
        return self.status == EndpointStatus.ENABLED

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.event_types or event_type in self.event_types

    def signing_secrets(self) -> list[str]:
        """The current secret, then the previous one while its grace period lasts."""
        secrets = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > timezone.now():
            secrets.append(self.previous_secret)
        return secrets


class WebhookMessage(models.Model):
    """One event for one client; sent to every endpoint that subscribed to its type."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="webhook_messages")
    public_id = models.CharField(max_length=40, unique=True, default=_message_id, editable=False)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.public_id} {self.event_type}"


class WebhookDelivery(EngineRow):
    """A message's delivery to one endpoint: its state, and the delivery log line staff read."""

    lifecycle = Lifecycle(
        task="syncs.webhooks.tasks.deliver_webhook",
        ready=(DeliveryStatus.PENDING,),
        running=DeliveryStatus.RUNNING,
        retry=DeliveryStatus.FAILED,
        dead=DeliveryStatus.DEAD,
        max_attempts=lambda: MAX_ATTEMPTS,
        lease=lambda: CLAIM_LEASE,
        backoff=_backoff,
    )

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="webhook_deliveries")
    # Indexed by one_delivery_per_target (endpoint, message), which it leads.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    response_time_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message"], name="one_delivery_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.endpoint_id} ({self.status})"
