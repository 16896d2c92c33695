"""Which sync outcomes become webhooks, and what they carry.

A vendor acts on an event's outcome (synced, held for review, failed, and rolled back: what was
synced has been undone), so these fire when the event's status changes to one of those, once per
change, with the ids the vendor already holds (the event id from ``POST /api/v1/leads`` and its
chatbot session id).
"""

from __future__ import annotations

from typing import Any

from syncs.intake.selectors import rolled_back_of
from syncs.models import AiEvent, SyncJob
from syncs.webhooks.models import WebhookMessage
from syncs.webhooks.services import emit

EVENT_FOR_STATUS = {
    "synced": "lead.synced",
    "needs_review": "lead.needs_review",
    "failed": "lead.failed",
    "rolled_back": "lead.rolled_back",
}


def announce_event_status(
    event: AiEvent, jobs: list[SyncJob] | None = None, **signal: Any
) -> WebhookMessage | None:
    """Emit the webhook for the status ``event`` just changed to, if vendors care about it.

    ``jobs`` are the event's jobs in id order when the caller has just read them. Connected to
    ``syncs.engine.events.event_status_changed`` (whose ``sender`` arrives in ``signal``).
    """
    webhook_type = EVENT_FOR_STATUS.get(event.status)
    # A booking's own webhooks (booking.*) say what became of it (syncs.calendar.bookings).
    if webhook_type is None or event.kind.startswith("booking."):
        return None
    if jobs is None or event.status == "rolled_back":
        # Read again for a rollback: the caller's jobs lack whom it was undone by.
        jobs = list(
            SyncJob.objects.filter(event=event).select_related("rolled_back_by").order_by("pk")
        )
    payload: dict[str, Any] = {
        "event_id": str(event.public_id),
        "kind": event.kind,
        "status": event.status,
        "chatbot_session_id": _session_id(event),
        "targets": [
            {"target": j.kind, "provider": j.provider, "status": j.status, "crm_id": j.external_id}
            for j in jobs
        ],
    }
    reasons = [j.review_reason for j in jobs if j.review_reason]
    if event.status == "needs_review" and reasons:
        payload["reason"] = reasons[0][:500]
    if event.status == "rolled_back":
        undone = [r for j in jobs if (r := rolled_back_of(j))]
        latest = max(undone, key=lambda r: r["at"])
        payload["rolled_back"] = {**latest, "at": latest["at"].isoformat()}
    return emit(event.client, webhook_type, payload)


def _session_id(event: AiEvent) -> str:
    payload = event.payload if isinstance(event.payload, dict) else {}
    return str(payload.get("chatbot_session_id") or "")
