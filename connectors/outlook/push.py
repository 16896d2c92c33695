"""Microsoft Graph change and lifecycle notifications read as ours (``connectors.push``).

Sources, read 2026-12-05: "Receive change notifications through webhooks"
(https://learn.microsoft.com/graph/change-notifications-delivery-webhooks): a new
subscription's URL first gets ``POST ?validationToken=…``, answered within 10 s with 200,
``text/plain`` and the URL-decoded token; notifications are ``{"value": [...]}`` whose
``clientState`` must be the secret we set (otherwise discarded), answered 202 when queued.
"Reduce missing subscriptions and change notifications" (https://learn.microsoft.com/graph/
change-notifications-lifecycle-events): lifecycle notifications carry ``lifecycleEvent``
``reauthorizationRequired`` (renew the subscription), ``subscriptionRemoved`` (create it
again) or ``missed`` (resynchronise the resource).
"""

from __future__ import annotations

import json
from typing import Any

from common.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from connectors.push import (
    CHANGED,
    RECREATE,
    RENEW,
    RESYNC,
    BadPush,
    Inbound,
    Notice,
    Reading,
    storable,
)

ACCEPTED = 202
UNKNOWN = 404
# Graph creates a subscription only after our endpoint echoed its validation request.
VALIDATES_ON_OPEN = True
LIFECYCLE = {
    "reauthorizationRequired": RENEW,
    "subscriptionRemoved": RECREATE,
    "missed": RESYNC,
}
MAX_TOKEN = 4096
MAX_NOTICES = 1000


def read(inbound: Inbound) -> Reading:
    """The validation handshake, or each item of ``value``; raises ``BadPush`` for a body
    that is not a Graph notification collection."""
    token = inbound.query.get("validationToken")
    if token is not None:
        if not token or len(token) > MAX_TOKEN:
            raise BadPush("validationToken empty or too long")
        return Reading(echo=token)
    # Graph's notifications nest four levels; a deeper body would recurse in the decoder
    # (``RecursionError``, a 500), so it is refused as the API refuses it (``common.parsers``).
    if json_depth_exceeds(inbound.body):
        raise BadPush(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        body: Any = json.loads((inbound.body or b"null").decode("utf-8-sig"))
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadPush("the body is not UTF-8 JSON") from None
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or len(items) > MAX_NOTICES:
        raise BadPush("no notifications in value[]")
    return Reading(notices=tuple(_notice(item) for item in items))


def _notice(item: Any) -> Notice:
    watch_id = item.get("subscriptionId") if isinstance(item, dict) else None
    if not isinstance(watch_id, str) or len(watch_id) > MAX_TOKEN or not storable(watch_id):
        raise BadPush("a notification without subscriptionId")
    state = item.get("clientState")
    if isinstance(state, str) and not storable(state):
        raise BadPush("clientState is not text")
    event = item.get("lifecycleEvent")
    if event is not None and event not in LIFECYCLE:
        raise BadPush("unknown lifecycleEvent")
    return Notice(
        watch_id=watch_id,
        secret=state if isinstance(state, str) else "",
        action=LIFECYCLE[event] if event is not None else CHANGED,
    )
