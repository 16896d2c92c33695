"""Outbound webhook services: emit events, manage endpoints and their secrets.

``emit`` writes in the caller's transaction (a message and its deliveries are part of the same
unit of work as whatever caused the event) and queues the first attempts on commit, so a
rolled-back change never announces itself and a committed one always does (the sweeper covers a
lost queue message).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.ssrf import UnsafeUrl, check_url, require_https
from syncs.engine import jobs
from syncs.webhooks import signing
from syncs.webhooks.models import (
    EVENT_TYPES,
    PING,
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from tenants.models import Client

ROTATION_GRACE = timedelta(hours=24)


class InvalidTarget(ValueError):
    """The endpoint URL may not be used; the message says why, for the API caller."""


def emit(
    client: Client, event_type: str, payload: dict[str, Any], *, unless_wanting: str = ""
) -> WebhookMessage | None:
    """Record ``event_type`` for every enabled endpoint of ``client`` subscribed to it.

    ``unless_wanting``: a newer event type that says the same thing more precisely; endpoints
    subscribed to it (by name or ``*``) get that one instead, so an endpoint that subscribed
    before it existed still hears of the change under the older name, and none hears twice.
    Returns the message, or None when no endpoint wants it. Raises ValueError for an event type
    that is not in ``EVENT_TYPES`` (a programming error, not input).
    """
    if event_type not in EVENT_TYPES or (unless_wanting and unless_wanting not in EVENT_TYPES):
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(client=client, status=EndpointStatus.ENABLED)
        if e.wants(event_type) and not (unless_wanting and e.wants(unless_wanting))
    ]
    if not endpoints:
        return None
    return _create_message(client, event_type, payload, endpoints)


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` to this one endpoint, whatever it subscribed to."""
    message = _create_message(
        endpoint.client, PING, {"endpoint_id": str(endpoint.public_id)}, [endpoint]
    )
    return message.deliveries.get()


def _create_message(
    client: Client, event_type: str, payload: dict[str, Any], endpoints: list[WebhookEndpoint]
) -> WebhookMessage:
    now = timezone.now()
    with transaction.atomic():
        message = WebhookMessage.objects.create(
            client=client, event_type=event_type, payload=payload, created_at=now
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                client=client,
                endpoint=endpoint,
                message=message,
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        )
        jobs.publish_on_commit(WebhookDelivery, [d.pk for d in deliveries])
    return message


def validate_target_url(url: str) -> None:
    """Raise ``InvalidTarget`` unless ``url`` may receive webhooks.

    HTTPS is required except in development and tests (``DEBUG`` or ``ALLOW_PRIVATE_URLS``);
    the host must resolve to public addresses only.
    """
    try:
        require_https(url, "The URL must use https.")
    except UnsafeUrl as exc:
        raise InvalidTarget(str(exc)) from exc
    try:
        check_url(url)
    except UnsafeUrl as exc:
        raise InvalidTarget(f"The URL is not allowed: {exc}.") from exc


def endpoint_create(
    *, client: Client, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it and its secret (the only time the secret is returned)."""
    validate_target_url(url)
    secret = signing.generate_secret()
    endpoint = WebhookEndpoint.objects.create(
        client=client,
        url=url,
        description=description,
        event_types=list(dict.fromkeys(event_types)),
        secret=secret,
    )
    return endpoint, secret


def endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change url, description, event_types and/or ``enabled``; the URL is re-validated."""
    if "url" in changes:
        validate_target_url(changes["url"])
        endpoint.url = changes["url"]
    if "description" in changes:
        endpoint.description = changes["description"]
    if "event_types" in changes:
        endpoint.event_types = list(dict.fromkeys(changes["event_types"]))
    if "enabled" in changes:
        _set_enabled(endpoint, changes["enabled"], reason="Disabled through the API.")
    endpoint.save()
    return endpoint


def endpoint_set_enabled(*, endpoint: WebhookEndpoint, enabled: bool, reason: str) -> None:
    """Enable or disable an endpoint (console and API)."""
    _set_enabled(endpoint, enabled, reason=reason)
    endpoint.save(update_fields=["status", "disabled_reason", "updated_at"])


def _set_enabled(endpoint: WebhookEndpoint, enabled: bool, *, reason: str) -> None:
    if enabled:
        endpoint.status, endpoint.disabled_reason = EndpointStatus.ENABLED, ""
    elif endpoint.status != EndpointStatus.DISABLED:
        endpoint.status, endpoint.disabled_reason = EndpointStatus.DISABLED, reason[:255]


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """Replace the secret; the old one keeps signing (a second signature) for 24 hours."""
    now = now or timezone.now()
    secret = signing.generate_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_GRACE
    endpoint.secret = secret
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return secret
