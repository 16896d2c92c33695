"""``POST /api/v1/bookings/{id}/outcome``: the chatbot vendor (or the client's own system)
says whether the customer came. Scoped to the calling key's client: another client's booking
is a 404. Bad input is a 400 problem, a booking that is not confirmed a 409."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.problems import PROBLEM_CONTENT_TYPE, ProblemError
from syncs.appointments.outcomes import OUTCOMES, OutcomeRefused, record_booking_outcome
from syncs.calendar.bookings.models import Booking
from syncs.calendar.bookings.present import booking_body
from syncs.calendar.bookings.serializers import BookingSerializer
from syncs.intake.serializers import ProblemSerializer, StrictSerializer
from tenants import scoping
from tenants.api_auth import request_client

TAGS = ["bookings"]


class OutcomeInSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES, help_text="attended or no_show")


class BookingOutcomeView(APIView):
    """The outcome of one booking."""

    @extend_schema(
        operation_id="bookings_outcome",
        tags=TAGS,
        description=(
            "Record whether the customer came to a confirmed booking. The chatbot vendor's "
            "endpoints subscribed to `booking.outcome` hear of it, and the meeting on the "
            "CRM contact takes the outcome. Sending the same outcome again changes nothing."
        ),
        request=OutcomeInSerializer,
        responses={
            200: BookingSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="`conflict`: the booking is not confirmed (cancelled, expired or "
                "refused), so it has no outcome.",
            ),
        },
        examples=[
            OpenApiExample("No-show", value={"outcome": "no_show"}, request_only=True),
            OpenApiExample("Attended", value={"outcome": "attended"}, request_only=True),
        ],
    )
    def post(self, request: Request, booking_id: str) -> Response:
        client = request_client(request)
        # The body first, as on every route: a malformed one is a 400 whatever the id names.
        data = OutcomeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = get_object_or_404(scoping.for_client(Booking, client), public_id=booking_id)
        try:
            booking = record_booking_outcome(
                booking, data.validated_data["outcome"], actor=f"api:{client.slug}"
            )
        except OutcomeRefused as exc:
            raise ProblemError("conflict", str(exc)) from exc
        return Response(booking_body(booking))
