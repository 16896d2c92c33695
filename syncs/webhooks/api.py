"""The webhook-endpoint API for chatbot vendors: endpoints, secrets, the delivery log, a ping.

Every lookup is scoped to the calling key's client; another client's endpoint id is a 404.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import StrictPageNumberPagination
from common.parsers import refuse_body
from common.problems import PROBLEM_CONTENT_TYPE, ProblemError
from syncs.intake.serializers import ProblemSerializer
from syncs.webhooks import serializers as s
from syncs.webhooks import services
from syncs.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants import scoping
from tenants.api_auth import request_client

TAGS = ["webhooks"]
_EP = "11111111-2222-4333-8444-555555555555"
ENDPOINT_EXAMPLE = {
    "id": _EP,
    "url": "https://bots.example.com/switchboard/webhooks",
    "description": "Lead status for the website bot",
    "event_types": ["lead.synced", "lead.needs_review"],
    "status": "enabled",
    "disabled_reason": "",
    "previous_secret_expires_at": None,
    "created_at": "2026-01-15T09:30:00Z",
}
# A response carrying a new signing secret must not be kept by any cache (RFC 9111 §5.2.2.5).
NO_STORE = {"Cache-Control": "no-store"}
# The Standard Webhooks specification's published example secret, not one of ours.
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105


def _endpoint(request: Request, endpoint_id: object) -> WebhookEndpoint:
    return get_object_or_404(
        scoping.for_client(WebhookEndpoint, request_client(request)), public_id=endpoint_id
    )


def _invalid_url(exc: services.InvalidTarget) -> serializers.ValidationError:
    return serializers.ValidationError({"url": [str(exc)]})


class EndpointListView(APIView):
    """Webhook endpoints of the calling client."""

    @extend_schema(
        operation_id="webhook_endpoints_list",
        tags=TAGS,
        responses={200: s.EndpointOutSerializer(many=True)},
        examples=[OpenApiExample("Endpoints", value=[ENDPOINT_EXAMPLE], response_only=True)],
    )
    def get(self, request: Request) -> Response:
        rows = scoping.for_client(WebhookEndpoint, request_client(request))
        return Response(s.EndpointOutSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="webhook_endpoints_create",
        tags=TAGS,
        description="Create an endpoint. The signing secret is in this response only.",
        request=s.EndpointInSerializer,
        responses={201: s.EndpointCreatedSerializer},
        examples=[
            OpenApiExample(
                "New endpoint",
                value={
                    "url": ENDPOINT_EXAMPLE["url"],
                    "description": ENDPOINT_EXAMPLE["description"],
                    "event_types": ["lead.synced", "lead.needs_review"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created", value={**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}, response_only=True
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = s.EndpointInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            endpoint, secret = services.endpoint_create(
                client=request_client(request), **data.validated_data
            )
        except services.InvalidTarget as exc:
            raise _invalid_url(exc) from exc
        body = {**s.EndpointOutSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class EndpointDetailView(APIView):
    """One webhook endpoint."""

    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        tags=TAGS,
        responses={200: s.EndpointOutSerializer},
        examples=[OpenApiExample("Endpoint", value=ENDPOINT_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(s.EndpointOutSerializer(_endpoint(request, endpoint_id)).data)

    @extend_schema(
        operation_id="webhook_endpoints_partial_update",
        tags=TAGS,
        request=s.EndpointPatchSerializer,
        responses={200: s.EndpointOutSerializer},
        examples=[
            OpenApiExample("Subscribe to all", value={"event_types": ["*"]}, request_only=True),
            OpenApiExample("Disable", value={"enabled": False}, request_only=True),
        ],
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(request, endpoint_id)
        data = s.EndpointPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.endpoint_update(endpoint=endpoint, **data.validated_data)
        except services.InvalidTarget as exc:
            raise _invalid_url(exc) from exc
        return Response(s.EndpointOutSerializer(endpoint).data)

    @extend_schema(operation_id="webhook_endpoints_destroy", tags=TAGS, responses={204: None})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        _endpoint(request, endpoint_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotateSecretView(APIView):
    """Replace the signing secret; the old one keeps signing beside it for 24 hours."""

    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        tags=TAGS,
        request=None,
        responses={200: s.SecretSerializer},
        examples=[
            OpenApiExample(
                "Rotated",
                value={
                    "secret": SECRET_EXAMPLE,
                    "previous_secret_expires_at": "2026-01-16T09:30:00Z",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(request, endpoint_id)
        refuse_body(request)
        secret = services.endpoint_rotate_secret(endpoint=endpoint)
        body = {"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at}
        return Response(s.SecretSerializer(body).data, headers=NO_STORE)


class DeliveryListView(generics.ListAPIView):
    """The delivery log of one endpoint, newest first."""

    serializer_class = s.DeliveryOutSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = _endpoint(self.request, self.kwargs["endpoint_id"])
        rows = scoping.for_client(WebhookDelivery, endpoint.client).filter(endpoint=endpoint)
        return rows.select_related("message")

    @extend_schema(operation_id="webhook_endpoints_deliveries", tags=TAGS)
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class TestView(APIView):
    """Send a `ping` event to this endpoint now."""

    @extend_schema(
        operation_id="webhook_endpoints_test",
        tags=TAGS,
        request=None,
        responses={
            202: s.TestSentSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`conflict`: the endpoint is disabled; enable it first "
                '(`PATCH` with `{"enabled": true}`).',
            ),
        },
        examples=[
            OpenApiExample(
                "Queued",
                value={"message_id": "msg_2f6c0f8b", "delivery_id": 42, "status": "pending"},
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(request, endpoint_id)
        refuse_body(request)
        if not endpoint.is_enabled:
            raise ProblemError("conflict", "The endpoint is disabled; enable it first.")
        with transaction.atomic():
            delivery = services.endpoint_send_test(endpoint=endpoint)
        body = {
            "message_id": delivery.message.public_id,
            "delivery_id": delivery.pk,
            "status": delivery.status,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)
