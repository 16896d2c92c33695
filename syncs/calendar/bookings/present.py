"""A booking as the API and the webhooks show it: instants in the caller's zone with their
UTC offset (and the zone named), ids ours, the calendar event's id once written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from syncs.calendar import localtime
from syncs.calendar.availability import Slot
from syncs.calendar.bookings.models import Booking
from syncs.calendar.customer_link import reschedule_link


def in_zone(moment: datetime | None, zone: str) -> str | None:
    """ISO 8601 with the zone's offset at that instant (two instants of a fall-back hour read
    the same wall time with different offsets)."""
    if moment is None:
        return None
    return moment.astimezone(localtime.zone_named(zone)).isoformat()


def slot_body(slot: Slot, zone: str) -> dict[str, str | None]:
    return {"start": in_zone(slot.start, zone), "end": in_zone(slot.end, zone)}


def slots_body(slots: Sequence[Slot], zone: str) -> list[dict[str, str | None]]:
    return [slot_body(slot, zone) for slot in slots]


def booking_body(booking: Booking) -> dict[str, Any]:
    zone = booking.time_zone
    return {
        "id": str(booking.public_id),
        "status": booking.status,
        "service": str(booking.service.public_id),
        "start": in_zone(booking.start, zone),
        "end": in_zone(booking.end, zone),
        "time_zone": zone,
        "previous_start": in_zone(booking.previous_start, zone),
        "contact": {
            "name": booking.contact_name,
            "email": booking.contact_email,
            "phone": booking.contact_phone,
        },
        "calendar_event_id": booking.provider_event_id or None,
        "provider": booking.provider,
        "hold_expires_at": in_zone(booking.hold_expires_at, zone),
        "reason": booking.status_reason,
        "outcome": booking.outcome,
        "chatbot_session_id": booking.session_id,
        "source_tag": booking.source_tag,
        "created_at": in_zone(booking.created_at, zone),
        # The customer's own page of it (move or cancel, no sign-in): for the chatbot to pass on.
        "manage_url": reschedule_link(booking),
    }
