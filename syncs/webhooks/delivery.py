"""Sending one webhook delivery: claim it, sign it, POST it, record what happened, plan the next.

The delivery is a row of the engine's state machine (``syncs.engine.jobs``): claimed with one
conditional UPDATE first, so a duplicated message never sends twice; retried on the schedule
of ``syncs.webhooks.models`` (Svix's, immediately then growing gaps, stretched to about three
days), or when the receiver's ``Retry-After`` says; dead after the last attempt. Delays up to
``CELERY_MAX_COUNTDOWN`` ride on a Celery countdown; longer ones are only stored in
``next_attempt_at`` and the beat sweeper enqueues them when due, because a countdown longer
than the broker's visibility timeout would be delivered twice.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone

from common.logging import redact
from connectors.ssrf import UnresolvableHost, UnsafeUrl, pinned_request
from syncs.engine import jobs
from syncs.webhooks import signing
from syncs.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookDelivery,
    WebhookMessage,
)

logger = logging.getLogger(__name__)

# The sweeper leaves just-due deliveries to their own countdown message for this long.
SWEEP_GRACE = timedelta(seconds=30)
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.RUNNING, DeliveryStatus.FAILED)
ERROR_CAP = 300
RUNS_DIED = "every attempt it was allowed died with its worker"
BODY_SNIPPET = 200


@dataclass(frozen=True)
class Outcome:
    """What one POST came to. ``status_code`` is None when no response arrived; ``permanent``
    means no retry can succeed (the SSRF guard refused the target)."""

    status_code: int | None
    error: str
    elapsed_ms: int
    permanent: bool = False
    retry_after: float | None = None  # the receiver's Retry-After (429, 503), in seconds

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def message_body(message: WebhookMessage) -> bytes:
    """The Standard Webhooks envelope, serialised once per attempt; these bytes are signed."""
    envelope = {
        "type": message.event_type,
        "timestamp": message.created_at.isoformat().replace("+00:00", "Z"),
        "data": message.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def claim(delivery_id: int, now: datetime, *, holder: str = "") -> WebhookDelivery | None:
    """Take the next attempt of a due delivery (the engine's claim), or None if it is not due
    or someone else has it."""
    if not jobs.claim(WebhookDelivery, delivery_id, holder=holder, now=now, last_attempt_at=now):
        return None
    return WebhookDelivery.objects.select_related("endpoint", "message").get(pk=delivery_id)


def deliver(
    delivery_id: int, *, now: datetime | None = None, holder: str = ""
) -> WebhookDelivery | None:
    """Make the due attempt of one delivery; returns it, or None when there was nothing to do.

    ``holder``: the Celery task id of the message running it. A delivery whose last allowed
    attempt died with its worker is dead-lettered instead (``jobs.dead_letter_lost``)."""
    now = now or timezone.now()
    delivery = claim(delivery_id, now, holder=holder)
    if delivery is None:
        jobs.dead_letter_lost(WebhookDelivery, delivery_id, error=RUNS_DIED, now=now)
        return None
    if delivery.endpoint.status != EndpointStatus.ENABLED:
        _close(delivery, DeliveryStatus.DEAD, error="endpoint disabled; not sent")
        return delivery
    outcome = send(delivery, now)
    record(delivery, outcome, now)
    return delivery


def send(delivery: WebhookDelivery, now: datetime) -> Outcome:
    """POST the signed message; never follows a redirect, never raises for network trouble."""
    endpoint, message = delivery.endpoint, delivery.message
    body = message_body(message)
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": settings.VENDOR_USER_AGENT,
        "webhook-id": message.public_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            endpoint.signing_secrets(), message.public_id, timestamp, body
        ),
    }
    started = time.monotonic()
    try:
        response = pinned_request(
            "POST",
            endpoint.url,
            data=body,
            headers=headers,
            timeout=(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS),
            stream=True,
        )
    except UnresolvableHost as exc:  # DNS trouble may pass: retried like a network error
        return Outcome(None, f"connection failed ({exc})", _ms(started))
    except UnsafeUrl as exc:
        # The target now resolves inside (or was never acceptable): three days of retries
        # would only knock on the same door, so the delivery is dead-lettered at once.
        return Outcome(None, f"refused: {exc}", _ms(started), permanent=True)
    except requests.Timeout:
        return Outcome(None, "timed out", _ms(started))
    except requests.RequestException as exc:
        return Outcome(None, f"connection failed ({type(exc).__name__})", _ms(started))
    with response:
        return Outcome(
            response.status_code,
            _error_text(response),
            _ms(started),
            retry_after=_retry_after(response),
        )


def record(delivery: WebhookDelivery, outcome: Outcome, now: datetime) -> None:
    """Store the attempt's result and plan what comes next."""
    logger.info(
        "webhook %s to endpoint %s, attempt %d: %s",
        delivery.message.public_id,
        delivery.endpoint.public_id,
        delivery.attempts,
        outcome.status_code if outcome.ok else outcome.error[:ERROR_CAP],
    )
    delivery.last_status_code = outcome.status_code
    delivery.response_time_ms = outcome.elapsed_ms
    if outcome.ok:
        delivery.delivered_at = now
        _close(delivery, DeliveryStatus.SUCCEEDED, error="")
    elif outcome.permanent:
        _close(delivery, DeliveryStatus.DEAD, error=outcome.error)
    elif outcome.status_code == 410:
        _close(delivery, DeliveryStatus.DEAD, error=outcome.error)
        _disable_gone_endpoint(delivery, now)
    else:
        # The receiver's Retry-After is honoured (up to what a message may carry).
        delivery.save(update_fields=["last_status_code", "response_time_ms"])
        jobs.fail(delivery, outcome.error[:ERROR_CAP], retry_after=outcome.retry_after, now=now)


def due_for_sweep(now: datetime) -> list[int]:
    """Open deliveries whose attempt is overdue (lost message, long delay, dead worker): the
    engine's ``lost`` with a grace of ``SWEEP_GRACE``."""
    return jobs.lost(WebhookDelivery, grace=SWEEP_GRACE, now=now)


def _close(delivery: WebhookDelivery, status: str, *, error: str) -> None:
    delivery.status = status
    delivery.last_error = error[:ERROR_CAP]
    delivery.next_attempt_at = None
    delivery.finished_at = timezone.now()
    delivery.save()


def _retry_after(response: requests.Response) -> float | None:
    """A 429 or 503's ``Retry-After`` in seconds (RFC 9110 §10.2.3: delay-seconds or an
    HTTP date); None when absent, unreadable or on another status."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - timezone.now()).total_seconds(), 0.0)


def _disable_gone_endpoint(delivery: WebhookDelivery, now: datetime) -> None:
    """410 Gone: the receiver asked us to stop. No attempt of any message follows."""
    reason = f"The endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC."
    type(delivery.endpoint).objects.filter(pk=delivery.endpoint_id).update(
        status=EndpointStatus.DISABLED, disabled_reason=reason
    )
    WebhookDelivery.objects.filter(endpoint_id=delivery.endpoint_id, status__in=OPEN).update(
        status=DeliveryStatus.DEAD, next_attempt_at=None, last_error="endpoint disabled (410 Gone)"
    )


def _error_text(response: requests.Response) -> str:
    """A short, secret-free line for the delivery log."""
    code = response.status_code
    if 200 <= code < 300:
        return ""
    if 300 <= code < 400:
        return f"HTTP {code}: redirects are not followed"
    try:
        raw = next(response.iter_content(BODY_SNIPPET), b"")
    except requests.RequestException:
        raw = b""
    snippet = " ".join(redact(raw.decode("utf-8", "replace")).split())[:BODY_SNIPPET]
    return f"HTTP {code}: {snippet}" if snippet else f"HTTP {code}"


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
