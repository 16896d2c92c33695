"""Bookings made directly as rows (confirmed, no calendar): what reminders, outcomes, CRM
meetings and conversion read. The calendar flow that confirms a booking is the bookings'
own suite; here it is the state it leaves that matters."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.models import Service
from syncs.models import AiEvent
from syncs.webhooks import signing
from syncs.webhooks.models import WebhookEndpoint, WebhookMessage
from tenants.models import Client


def service_of(client: Client, name: str = "Check-up") -> Service:
    return Service.objects.get_or_create(
        client=client, name=name, defaults={"duration_minutes": 30}
    )[0]


def confirmed(
    client: Client, start: datetime, *, email: str = "ada@example.com", phone: str = "",
    session: str = "sess-1", name: str = "Ada Lovelace", confirmed_at: datetime | None = None,
    source_tag: str = "AI_Chatbot",
) -> Booking:  # fmt: skip
    event = AiEvent.objects.create(
        client=client, kind="booking.requested", payload={"email": email},
        session_id=session, source_tag=source_tag,
    )  # fmt: skip
    end = start + timedelta(minutes=30)
    return Booking.objects.create(
        client=client, event_key=uuid.uuid4(), service=service_of(client), start=start, end=end,
        buffer_start=start, buffer_end=end, status=BookingStatus.CONFIRMED,
        contact_name=name, contact_email=email, contact_phone=phone, time_zone="Europe/Berlin",
        event=event, session_id=session, source_tag=source_tag,
        confirmed_at=confirmed_at or timezone.now() - timedelta(days=3),
    )  # fmt: skip


def subscribe(client: Client, *event_types: str) -> WebhookEndpoint:
    """An endpoint of the client's chatbot vendor (made as a row: its URL is never called)."""
    return WebhookEndpoint.objects.create(
        client=client, url="https://bots.example.com/hooks", event_types=list(event_types),
        secret=signing.generate_secret(),
    )  # fmt: skip


def sent(client: Client, event_type: str) -> list[dict]:
    rows = WebhookMessage.objects.filter(client=client, event_type=event_type).order_by("pk")
    return [m.payload for m in rows]
