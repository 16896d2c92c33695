"""The intake API for chatbot vendors: post leads and other AI events, follow their sync.

One APIView per operation, each with its own input and output serializers. Posting answers
202 as soon as the event and its jobs are durably stored; the CRM write happens in a worker.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.problems import PROBLEM_CONTENT_TYPE, ProblemError
from connectors import connection_cache
from syncs.intake import idempotency
from syncs.intake import long_poll as waits
from syncs.intake.selectors import SETTLED, event_detail_waiting, event_for_client
from syncs.intake.serializers import (
    AcceptedSerializer,
    EventDetailSerializer,
    EventInputSerializer,
    LeadInputSerializer,
    ProblemSerializer,
    WaitQuerySerializer,
    storable_extra,
)
from syncs.intake.services import event_create
from syncs.models import EventKind
from tenants.api_auth import request_client, request_key_hash

IDEMPOTENCY_DOC = (
    "Send a unique key (at most 255 characters, e.g. a UUID) to make retries safe. A retry "
    "with the same key and the same body gets the first response again, with header "
    "`Idempotent-Replayed: true`; the same key with a different body is refused with 422 "
    "`idempotency-key-reused`; while the first request is still running a retry may get 409 "
    "`idempotency-key-in-flight`. Keys are scoped to your client and this operation and are "
    "kept for at least 24 hours."
)
IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    # Printable ASCII, no surrounding spaces (HTTP strips them), at most 255 characters.
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    OpenApiParameter.HEADER,
    required=False,
    description=IDEMPOTENCY_DOC,
)
# The common errors (400, 401, 404, 429 ...) are added by agency.openapi for every operation.
PROBLEMS = {
    (400, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Invalid body, or an Idempotency-Key over 255 characters."
    ),
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="A request with this Idempotency-Key is in flight."
    ),
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="This Idempotency-Key was used with a different body."
    ),
}
WAIT_BOUND_DOC = (
    "Waits are bounded: at most `SYNC_WAIT_MAX_PER_KEY` (default 4) requests of one API key, "
    "and a few per server process, wait at once. A request over a bound is not refused: it is "
    "answered at once with the current status and, when that status is not final, a "
    "`Retry-After` header (seconds, between `SYNC_WAIT_RETRY_AFTER_SECONDS` and twice that, "
    "spread so refused clients do not all come back together) saying when to ask again."
)
WAIT_RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    {"type": "string", "pattern": "^[0-9]+$"},
    OpenApiParameter.HEADER,
    response=[200],
    description="Sent when the wait was not granted (too many open waits) and the status is "
    "not final: seconds until the client should ask again.",
)
LEAD_EXAMPLE = {
    "name": "Mary O'Brien",
    "email": "mary.obrien@example.com",
    "phone": "(415) 555-2671",
    "company": "O'Brien Dental",
    "lead_score": 82,
    "intent": "booking",
    "conversation_summary": "Wants a cleaning next week, prefers mornings.",
    "transcript_url": "https://chat.example.com/t/abc123",
    "chatbot_session_id": "sess_7f3a",
    "chatbot_vendor": "acme-bot",
    "extra": {"preferred_location": "Downtown"},
}
ACCEPTED_EXAMPLE = OpenApiExample(
    "Accepted",
    value={
        "id": "6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f",
        "status": "accepted",
        "status_url": "https://switchboard.example.com/api/v1/events/6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f",
    },
    response_only=True,
    status_codes=["202"],
)


def _accept(request: Request, route: str, kind: str, payload: dict[str, Any]) -> Response:
    """Store the event (once per Idempotency-Key) and answer 202 with where to follow it."""
    client = request_client(request)
    key = idempotency.check_key(request.headers.get("Idempotency-Key"))
    if "extra" in payload:
        payload["extra"] = storable_extra(payload["extra"])

    def create() -> tuple[int, dict[str, Any]]:
        event = event_create(client=client, kind=kind, payload=payload)
        url = request.build_absolute_uri(reverse("api-event-detail", args=[event.public_id]))
        # The strings AcceptedSerializer documents; a dict, as the response renders it.
        return 202, {"id": str(event.public_id), "status": str(event.status), "status_url": url}

    def once() -> idempotency.Outcome:
        return idempotency.run_once(
            client=client, route=route, key=key, data=request.data, action=create
        )

    try:
        outcome = once()
    except IntegrityError:
        # A job made for a cached connection deleted meanwhile fails its foreign key at commit
        # (all of it rolled back): once more, with the connections read from the database.
        connection_cache.invalidate(client.pk)
        outcome = once()
    response = Response(outcome.body, status=outcome.status)
    response["Location"] = outcome.body.get("status_url", "")
    if outcome.replayed:
        response[idempotency.REPLAY_HEADER] = "true"
    return response


class LeadCreateView(APIView):
    """Post a lead a chatbot captured."""

    @extend_schema(
        operation_id="leads_create",
        tags=["intake"],
        summary="Post a lead",
        description="Stores the lead and answers 202; a worker normalises it and writes it "
        "into the client's CRM. Follow it at `status_url`.\n\n" + IDEMPOTENCY_DOC,
        parameters=[IDEMPOTENCY_PARAM],
        request=LeadInputSerializer,
        responses={202: AcceptedSerializer, **PROBLEMS},
        examples=[
            OpenApiExample("A booking lead", value=LEAD_EXAMPLE, request_only=True),
            ACCEPTED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        LeadInputSerializer(data=request.data).is_valid(raise_exception=True)
        return _accept(request, "leads", EventKind.LEAD_CAPTURED, dict(request.data))


class EventCreateView(APIView):
    """Post another AI event (conversation ended, intent changed, opt-out, or a lead)."""

    @extend_schema(
        operation_id="events_create",
        tags=["intake"],
        summary="Post an AI event",
        description="Like posting a lead, for any event kind. `payload` takes the lead's "
        "fields; events other than `lead.captured` name the person by email, phone or "
        "`chatbot_session_id`.\n\n" + IDEMPOTENCY_DOC,
        parameters=[IDEMPOTENCY_PARAM],
        request=EventInputSerializer,
        responses={202: AcceptedSerializer, **PROBLEMS},
        examples=[
            OpenApiExample(
                "Intent changed",
                value={
                    "kind": "intent.changed",
                    "payload": {"email": "mary.obrien@example.com", "intent": "purchase"},
                },
                request_only=True,
            ),
            ACCEPTED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = EventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The serializer accepted the body, so request.data is a JSON object, not a list.
        return _accept(request, "events", data["kind"], dict(request.data["payload"]))  # type: ignore[call-overload]


class EventDetailView(APIView):
    """An event's progress per target, and the CRM record id once synced."""

    query_params = ("wait",)

    @extend_schema(
        operation_id="events_retrieve",
        tags=["intake"],
        summary="Follow an event",
        description="Each target's state and the CRM record id. With `?wait=N` (0-30 s) the "
        "answer waits until the event is synced, held for review, failed, waiting for a "
        'connection or rolled back, so a simple client gets `{"status": "synced", "crm_id": '
        "...}` in one call. A synced event whose records a rollback later undid says "
        "`rolled_back`, with when and by which rollback.\n\n" + WAIT_BOUND_DOC,
        parameters=[WaitQuerySerializer, WAIT_RETRY_AFTER],
        responses={200: EventDetailSerializer},
        examples=[
            OpenApiExample(
                "Synced",
                value={
                    "id": "6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f",
                    "kind": "lead.captured",
                    "status": "synced",
                    "crm_id": "51",
                    "received_at": "2026-11-25T10:00:00Z",
                    "targets": [
                        {
                            "target": "crm",
                            "provider": "hubspot",
                            "status": "synced",
                            "crm_id": "51",
                            "attempts": 1,
                            "next_attempt_at": None,
                            "reason": "",
                            "rolled_back": None,
                        }
                    ],
                    "rolled_back": None,
                },
                response_only=True,
            ),
            OpenApiExample(
                "Rolled back",
                value={
                    "id": "6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f",
                    "kind": "lead.captured",
                    "status": "rolled_back",
                    "crm_id": "51",
                    "received_at": "2026-11-25T10:00:00Z",
                    "rolled_back": {
                        "at": "2026-11-26T09:30:00Z",
                        "rollback_id": 7,
                        "source_tag": "AI_Chatbot",
                    },
                    "targets": [
                        {
                            "target": "crm",
                            "provider": "hubspot",
                            "status": "rolled_back",
                            "crm_id": "51",
                            "attempts": 1,
                            "next_attempt_at": None,
                            "reason": "",
                            "rolled_back": {
                                "at": "2026-11-26T09:30:00Z",
                                "rollback_id": 7,
                                "source_tag": "AI_Chatbot",
                            },
                        }
                    ],
                },
                response_only=True,
            ),
        ],
    )
    def get(self, request: Request, event_id: uuid.UUID) -> Response:
        query = WaitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        event = event_for_client(request_client(request), event_id)
        if event is None:
            raise ProblemError("not-found", "No such event.")
        wait = query.validated_data["wait"]
        if not wait:
            return Response(EventDetailSerializer(event_detail_waiting(event, 0)).data)
        with waits.wait_slot(request_key_hash(request)) as granted:
            detail = event_detail_waiting(event, wait if granted else 0)
        response = Response(EventDetailSerializer(detail).data)
        if not granted and detail["status"] not in SETTLED:
            response["Retry-After"] = str(waits.retry_after())
        return response
