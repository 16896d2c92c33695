"""The availability and booking API: free slots in the caller's zone, and bookings that
cannot double-book (``services`` and ``docs/architecture.md``, "Bookings").

Every read is scoped to the API key's client: a service or booking of another client is
404, exactly like one that does not exist.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.parsers import refuse_body
from common.problems import PROBLEM_CONTENT_TYPE, ProblemError
from syncs.calendar.availability import StaleCalendars
from syncs.calendar.bookings import availability, services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.bookings.present import booking_body, slots_body
from syncs.calendar.bookings.serializers import (
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    BookingInputSerializer,
    BookingSerializer,
    RescheduleInputSerializer,
    TakenProblemSerializer,
    WaitSerializer,
)
from syncs.calendar.models import Service
from syncs.intake import idempotency
from syncs.intake import long_poll as waits
from syncs.intake.api import IDEMPOTENCY_DOC, IDEMPOTENCY_PARAM
from syncs.intake.serializers import ProblemSerializer
from syncs.models import IdempotencyRecord
from tenants.api_auth import request_client, request_key_hash
from tenants.models import Client
from tenants.scoping import for_client

MAX_RANGE = timedelta(days=31)
ROUTE = "bookings"
BOOKING_ID = "7d0c6a52-51d5-4f3e-9b6e-3c1c8f0e2a11"
SERVICE_ID = "2b1e4c9a-7d3f-4a58-9c61-0e5f8b2d7a34"
BOOKING_EXAMPLE = {
    "id": BOOKING_ID,
    "status": "confirmed",
    "service": SERVICE_ID,
    "start": "2026-12-07T10:00:00+01:00",
    "end": "2026-12-07T10:30:00+01:00",
    "time_zone": "Europe/Berlin",
    "previous_start": None,
    "contact": {"name": "Mary O'Brien", "email": "mary@example.com", "phone": "+14155552671"},
    "calendar_event_id": "sb7d0c6a5251d54f3e9b6e3c1c8f0e2a11",
    "provider": "google",
    "hold_expires_at": None,
    "reason": "",
    "outcome": "",
    "chatbot_session_id": "sess_7f3a",
    "source_tag": "AI_Chatbot",
    "created_at": "2026-12-05T09:12:03.120000+01:00",
    "manage_url": "https://switchboard.example.com/booking/eyJiIjoiN2QwYzZhNTIifQ:1tJx2f:sig/",
}
TAKEN_EXAMPLE = OpenApiExample(
    "Slot taken",
    value={
        "type": "/problems/slot-taken",
        "title": "The slot is taken",
        "status": 409,
        "detail": "Another booking holds this time.",
        "alternatives": {
            "before": [{"start": "2026-12-07T09:30:00+01:00", "end": "2026-12-07T10:00:00+01:00"}],
            "after": [{"start": "2026-12-07T10:30:00+01:00", "end": "2026-12-07T11:00:00+01:00"}],
        },
    },
    response_only=True,
    status_codes=["409"],
)
TAKEN = {
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        TakenProblemSerializer,
        description="`slot-taken` (with `alternatives`), `no-booking-calendar`, "
        "`booking-not-changeable`, or an Idempotency-Key in flight.",
    ),
}
STALE = {
    (503, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description="`calendar-stale`: a blocking calendar could not be read and the service "
        "refuses to answer without it (its stale policy); or a store is unavailable.",
    ),
}
WAIT_DOC = (
    "The request waits up to `wait` seconds (default 10, bounded like `GET /api/v1/events/{id}"
    "?wait=`) for the calendar write: 201 when the booking is confirmed, 202 while it is still "
    "held (a `booking.created`, `booking.conflict` or `booking.cancelled` webhook follows), "
    "409 `slot-taken` when another event took the time during the write (the event was removed "
    "again; `booking.conflict` carries the alternatives to the webhook endpoints too)."
)


def _service(client: Client, public_id: uuid.UUID) -> Service:
    service = for_client(Service, client).filter(public_id=public_id, active=True).first()
    if service is None:
        raise ProblemError("not-found", "No such service.")
    return service


def _booking(client: Client, public_id: uuid.UUID) -> Booking:
    booking = (
        for_client(Booking, client)
        .select_related("client", "service", "resource__connection")
        .filter(public_id=public_id)
        .first()
    )
    if booking is None:
        raise ProblemError("not-found", "No such booking.")
    return booking


def _stale(exc: StaleCalendars) -> ProblemError:
    return ProblemError(
        "calendar-stale",
        f"Calendars could not be read: {', '.join(exc.calendar_ids)}.",
        stale_calendars=list(exc.calendar_ids),
    )


def _taken(service: Service, wanted: datetime, zone: str, detail: str, **kw: Any) -> ProblemError:
    """409 with the nearest free slots before and after ``wanted`` (a fresh read)."""
    try:
        before, after = availability.alternatives(service, wanted, **kw)
    except StaleCalendars:
        before, after = (), ()
    offer = {"before": slots_body(before, zone), "after": slots_body(after, zone)}
    return ProblemError("slot-taken", detail, alternatives=offer)


def _refused(exc: services.BookingRefused) -> ProblemError:
    return ProblemError(exc.slug, str(exc))


def _waited(request: Request, booking: Booking, seconds: int) -> Booking:
    """The booking once it is no longer held, or as it is after ``seconds`` (bounded per key
    and process like every long-poll: over the bound it answers at once)."""
    if booking.status != BookingStatus.HELD or seconds <= 0:
        return booking
    with waits.wait_slot(request_key_hash(request)) as granted:
        if not granted:
            return booking
        deadline = time.monotonic() + min(seconds, settings.SYNC_WAIT_MAX_SECONDS)
        interval = settings.SYNC_WAIT_POLL_SECONDS
        while booking.status == BookingStatus.HELD and time.monotonic() < deadline:
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(interval * 2, settings.SYNC_WAIT_POLL_MAX_SECONDS)
            booking.refresh_from_db()
    return booking


def _answer(booking: Booking, *, settled: int, replayed: bool = False) -> Response:
    """A booking as the API answers a write: ``settled`` when confirmed, 202 while held, 409
    when refused after the calendar write."""
    if booking.status == BookingStatus.CONFLICT:
        raise _taken(booking.service, booking.start, booking.time_zone, booking.status_reason)
    status = {"confirmed": settled, "held": 202}.get(str(booking.status), 200)
    response = Response(booking_body(booking), status=status)
    if replayed:
        response[idempotency.REPLAY_HEADER] = "true"
    return response


def _wait_seconds(request: Request) -> int:
    query = WaitSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    wait = query.validated_data.get("wait")
    return int(settings.BOOKING_WAIT_SECONDS if wait is None else wait)


class AvailabilityView(APIView):
    """Free slots of a service."""

    query_params = ("service", "start", "end", "time_zone")

    @extend_schema(
        operation_id="availability_retrieve",
        tags=["bookings"],
        summary="Free slots of a service",
        description="Slots of the service starting in [start, end), read from every blocking "
        "calendar now, given in the caller's zone with their UTC offsets (a fall-back hour's "
        "slots appear twice, with different offsets). At most 31 days after `start` are "
        "answered, never before now or past the service's horizon. A calendar that could not be "
        "read is named in `stale_calendars` (its last known busy time still counts), or, when "
        "the service's policy is to refuse, the answer is 503 `calendar-stale`.",
        parameters=[AvailabilityQuerySerializer],
        responses={200: AvailabilitySerializer, **STALE},
        examples=[
            OpenApiExample(
                "Slots",
                value={
                    "service": SERVICE_ID,
                    "time_zone": "America/New_York",
                    "slots": [
                        {"start": "2026-12-07T09:00:00-05:00", "end": "2026-12-07T09:30:00-05:00"}
                    ],
                    "stale_calendars": [],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        service = _service(request_client(request), data["service"])
        now = timezone.now()
        start = max(data["start"], now)
        end = min(data["end"], data["start"] + MAX_RANGE)
        end = min(end, now + timedelta(days=service.horizon_days + 1))
        body: dict[str, Any] = {
            "service": str(service.public_id),
            "time_zone": data["time_zone"],
            "slots": [],
            "stale_calendars": [],
        }
        if end > start:
            try:
                found = availability.slots(service, start, end, now=now)
            except StaleCalendars as exc:
                raise _stale(exc) from None
            body["slots"] = slots_body(found.slots, data["time_zone"])
            body["stale_calendars"] = list(found.stale_calendars)
        return Response(body)


class BookingCreateView(APIView):
    """Book a slot."""

    query_params = ("wait",)

    @extend_schema(
        operation_id="bookings_create",
        tags=["bookings"],
        summary="Book a slot",
        description="Holds the slot (no two bookings of one calendar can overlap: the database "
        "refuses it), writes the calendar event and re-reads the calendars. A slot that is not "
        "free is 409 `slot-taken` with the nearest free slots before and after it.\n\n"
        + WAIT_DOC
        + "\n\n"
        + IDEMPOTENCY_DOC
        + " A retry answers with the booking as it is now.",
        parameters=[IDEMPOTENCY_PARAM, WaitSerializer],
        request=BookingInputSerializer,
        responses={
            201: BookingSerializer,
            202: BookingSerializer,
            (400, PROBLEM_CONTENT_TYPE): ProblemSerializer,
            (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="Idempotency-Key reused with a different body."
            ),
            **TAKEN,
            **STALE,
        },
        examples=[
            OpenApiExample(
                "A booking",
                value={
                    "service": SERVICE_ID,
                    "start": "2026-12-07T10:00:00+01:00",
                    "time_zone": "Europe/Berlin",
                    "contact": {"name": "Mary O'Brien", "email": "mary@example.com"},
                    "chatbot_session_id": "sess_7f3a",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Confirmed", value=BOOKING_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            TAKEN_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        wait = _wait_seconds(request)
        body = BookingInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = request_client(request)
        key = idempotency.check_key(request.headers.get("Idempotency-Key"))
        service = _service(client, data["service"])
        contact = services.Contact(**data["contact"])
        first = key is None or not (
            for_client(IdempotencyRecord, client).filter(route=ROUTE, key=key).exists()
        )
        try:
            if first:
                # Read the calendars before the transaction, never inside it.
                services.writes_calendar(client)
                if not availability.slot_is_free(service, data["start"]):
                    raise services.SlotTaken("The slot is not free.")

            def create() -> tuple[int, dict[str, Any]]:
                booking = services.hold(
                    client=client,
                    service=service,
                    start=data["start"],
                    contact=contact,
                    time_zone=data["time_zone"],
                    payload=dict(request.data),
                    source_tag=data.get("source_tag", ""),
                    session_id=data.get("chatbot_session_id", ""),
                    check=False,
                )
                return 202, {"id": str(booking.public_id)}

            outcome = idempotency.run_once(
                client=client, route=ROUTE, key=key, data=request.data, action=create
            )
        except services.SlotTaken as exc:
            raise _taken(service, data["start"], data["time_zone"], str(exc)) from None
        except services.BookingRefused as exc:
            raise _refused(exc) from None
        except StaleCalendars as exc:
            raise _stale(exc) from None
        booking = _booking(client, outcome.body["id"])
        booking = _waited(request, booking, wait)
        return _answer(booking, settled=201, replayed=outcome.replayed)


class BookingDetailView(APIView):
    """Read or reschedule a booking."""

    query_params = ("wait",)

    @extend_schema(
        operation_id="bookings_retrieve",
        tags=["bookings"],
        summary="A booking",
        responses={200: BookingSerializer},
        examples=[OpenApiExample("Confirmed", value=BOOKING_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request, booking_id: uuid.UUID) -> Response:
        return Response(booking_body(_booking(request_client(request), booking_id)))

    @extend_schema(
        operation_id="bookings_partial_update",
        tags=["bookings"],
        summary="Reschedule a booking",
        description="With `start`, moves a confirmed booking to another free slot (without it, "
        "only the caller's `time_zone` the booking is shown in changes): the new time is held and "
        "the old one released at once, then the calendar event is moved (with its etag) and the "
        "calendars re-read; if another event took the new time meanwhile, the booking goes back "
        "to its old time. 200 when moved, 202 while the move is being written (a "
        "`booking.updated` webhook follows), 409 `slot-taken` with alternatives.\n\n"
        + WAIT_DOC.split(":", 1)[0]
        + ".",
        parameters=[WaitSerializer],
        request=RescheduleInputSerializer,
        responses={
            200: BookingSerializer,
            202: BookingSerializer,
            (400, PROBLEM_CONTENT_TYPE): ProblemSerializer,
            **TAKEN,
            **STALE,
        },
        examples=[
            OpenApiExample(
                "Move",
                value={"start": "2026-12-08T15:00:00+01:00", "time_zone": "Europe/Berlin"},
                request_only=True,
            ),
            TAKEN_EXAMPLE,
        ],
    )
    def patch(self, request: Request, booking_id: uuid.UUID) -> Response:
        wait = _wait_seconds(request)
        body = RescheduleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booking = _booking(request_client(request), booking_id)
        zone = data.get("time_zone") or booking.time_zone
        if zone != booking.time_zone:
            booking.time_zone = zone
            booking.save(update_fields=["time_zone", "updated_at"])
        if "start" not in data:  # only the caller's zone changed (or nothing)
            return Response(booking_body(booking))
        try:
            booking = services.reschedule(
                booking,
                data["start"],
                payload=dict(request.data),
            )
        except services.SlotTaken as exc:
            raise _taken(booking.service, data["start"], zone, str(exc), ignore=booking) from None
        except services.BookingRefused as exc:
            raise _refused(exc) from None
        except StaleCalendars as exc:
            raise _stale(exc) from None
        booking = _waited(request, _booking(booking.client, booking.public_id), wait)
        if booking.status == BookingStatus.CONFIRMED and booking.start != data["start"]:
            reason = booking.status_reason or "The new time was refused."
            raise _taken(booking.service, data["start"], zone, reason, ignore=booking)
        return _answer(booking, settled=200)


class BookingCancelView(APIView):
    """Cancel a booking."""

    @extend_schema(
        operation_id="bookings_cancel",
        tags=["bookings"],
        summary="Cancel a booking",
        description="The time is free at once and `booking.cancelled` is sent; the calendar "
        "event is removed by a worker. Cancelling a cancelled booking answers it again.",
        request=None,
        responses={200: BookingSerializer, **TAKEN},
        examples=[
            OpenApiExample(
                "Cancelled",
                value={
                    **BOOKING_EXAMPLE,
                    "status": "cancelled",
                    "reason": "Cancelled by the caller.",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request: Request, booking_id: uuid.UUID) -> Response:
        refuse_body(request)
        booking = _booking(request_client(request), booking_id)
        try:
            booking = services.cancel(booking)
        except services.BookingRefused as exc:
            raise _refused(exc) from None
        return Response(booking_body(booking))
