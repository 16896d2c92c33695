"""What the emulated Graph sends to a subscriber: the validation request a new subscription
must answer, change notifications, and lifecycle notifications (learn.microsoft.com/graph/
change-notifications-delivery-webhooks and -lifecycle-events; checked 2026-12-05).

- Validation: ``POST {notificationUrl}?validationToken=<token>`` (``Content-Type: text/plain``);
  the endpoint must answer 200 with the token, URL-decoded, as a ``text/plain`` body within
  10 seconds, or the subscription is refused. The lifecycle URL is validated the same way.
- Change notifications: ``{"value": [{"subscriptionId", "clientState", "changeType",
  "resource", "resourceData", "subscriptionExpirationDateTime", "tenantId"}]}``, sent after
  the change is committed, from a thread (Graph delivers asynchronously).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC
from typing import TYPE_CHECKING, Any

import requests
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from emulators.graph.models import Event, Subscription

logger = logging.getLogger(__name__)
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"  # the consumer-accounts tenant's id
VALIDATION_TIMEOUT_S = 10.0


def validation_passes(url: str, timeout: float = VALIDATION_TIMEOUT_S) -> bool:
    """Send the validation request; True when the endpoint echoed the token in time."""
    token = "Validation: Testing client application reachability for subscription Request-Id: " + (
        secrets.token_hex(8)
    )
    try:
        answer = requests.post(
            url,
            params={"validationToken": token},
            headers={"Content-Type": "text/plain"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException:
        return False
    content_type = answer.headers.get("Content-Type", "")
    return (
        answer.status_code == 200
        and content_type.startswith("text/plain")
        and (answer.text == token)
    )


def _stamp(subscription: Subscription) -> str:
    moment = subscription.expires_at.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}0000Z"


def changed(row: Event, change_type: str) -> None:
    """Queue a change notification for every live subscription that covers the event."""
    from emulators.graph.models import Subscription

    subscriptions = Subscription.objects.filter(
        mailbox_id=row.mailbox_id, expires_at__gt=timezone.now()
    )
    user = row.mailbox.account_id
    batches = []
    for sub in subscriptions:
        if sub.calendar_id not in (None, row.calendar_id):
            continue
        if change_type not in sub.change_type.split(","):
            continue
        resource = f"Users/{user}/Events/{row.ext_id}"
        item = {
            "subscriptionId": sub.ext_id,
            "subscriptionExpirationDateTime": _stamp(sub),
            "changeType": change_type,
            "resource": resource,
            "clientState": sub.client_state or None,
            "tenantId": TENANT_ID,
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Event",
                "@odata.id": resource,
                "@odata.etag": f'W/"{row.change_key}"',
                "id": row.ext_id,
            },
        }
        batches.append((sub.notification_url, {"value": [item]}))
    if batches:
        transaction.on_commit(lambda: _send_later(batches))


def lifecycle(subscription: Subscription, event: str) -> None:
    """Send a lifecycle notification (``reauthorizationRequired``, ``subscriptionRemoved``,
    ``missed``) to the subscription's lifecycle URL, if it gave one."""
    if not subscription.lifecycle_url:
        return
    item = {
        "subscriptionId": subscription.ext_id,
        "subscriptionExpirationDateTime": _stamp(subscription),
        "tenantId": TENANT_ID,
        "clientState": subscription.client_state or None,
        "lifecycleEvent": event,
    }
    _send_later([(subscription.lifecycle_url, {"value": [item]})])


def _send_later(batches: list[tuple[str, dict[str, Any]]]) -> None:
    threading.Thread(target=_send, args=(batches,), daemon=True).start()


def _send(batches: list[tuple[str, dict[str, Any]]]) -> None:
    for url, payload in batches:
        try:
            requests.post(url, json=payload, timeout=VALIDATION_TIMEOUT_S, allow_redirects=False)
        except requests.RequestException as exc:
            logger.info("graph emulator: notification not delivered (%s)", type(exc).__name__)
