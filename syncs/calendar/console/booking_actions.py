"""Staff move or cancel a booking from the Bookings page ("operate"). Both go through the
booking services, as the API and the customer's link do: the database still refuses a double
booking, a job updates the calendar event, the webhooks and the CRM follow. Each is audited
with the staff member, beside the services' own entries."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from syncs.audit.log import audit_log, staff_actor
from syncs.calendar import localtime
from syncs.calendar.availability import StaleCalendars
from syncs.calendar.bookings import availability as bookings_availability
from syncs.calendar.bookings import services
from syncs.calendar.bookings.models import Booking
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


def _booking(request: HttpRequest, public_id: str, booking_id: str) -> tuple[Client, Booking]:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    found = scoping.for_client(Booking, client).select_related("service", "client")
    return client, get_object_or_404(found, public_id=booking_id)


def _back(client: Client) -> HttpResponse:
    return redirect("calendar_console:bookings", public_id=client.public_id)


def wanted_start(raw_instant: str, raw_local: str, zone: str) -> datetime | None:
    """The new start: an instant with its offset (a suggestion's button), or a wall time in
    the client's zone (the form's field, ``YYYY-MM-DDTHH:MM``); None if neither reads."""
    try:
        if raw_instant:
            value = datetime.fromisoformat(raw_instant)
            return value if value.tzinfo is not None else None
        naive = datetime.fromisoformat(raw_local)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return None
    return naive.replace(tzinfo=localtime.zone_named(zone))


def _audit(request: HttpRequest, booking: Booking, action: str, **details: str) -> None:
    audit_log(
        client=booking.client,
        actor=staff_actor(request.user),
        action=action,
        target=f"booking:{booking.public_id}",
        details=details,
    )


@login_required
@require_POST
def booking_reschedule(request: HttpRequest, public_id: str, booking_id: str) -> HttpResponse:
    client, booking = _booking(request, public_id, booking_id)
    start = wanted_start(
        request.POST.get("start", ""), request.POST.get("when", ""), client.time_zone
    )
    if start is None:
        messages.error(request, "Give the new time as a date and time.")
        return _back(client)
    local = start.astimezone(localtime.zone_named(client.time_zone))
    try:
        services.reschedule(booking, start, payload={"via": "console"})
    except services.SlotTaken:
        messages.error(
            request, f"{local:%a %Y-%m-%d %H:%M} is not free: {_nearest(booking, start, client)}"
        )
        return _back(client)
    except (services.BookingRefused, StaleCalendars) as exc:
        messages.error(request, f"Not moved: {exc}")
        return _back(client)
    _audit(request, booking, "booking.moved_by_staff", to=start.isoformat())
    messages.success(
        request,
        f"Moving the booking to {local:%a %Y-%m-%d %H:%M}: confirmed once the calendar has it.",
    )
    return _back(client)


def _nearest(booking: Booking, start: datetime, client: Client) -> str:
    """The nearest free times, in the words of the message."""
    try:
        earlier, later = bookings_availability.alternatives(booking.service, start, ignore=booking)
    except StaleCalendars as exc:
        return f"no suggestion while a calendar is stale ({exc})."
    zone = localtime.zone_named(client.time_zone)
    times = [f"{s.start.astimezone(zone):%a %H:%M}" for s in (*earlier[::-1], *later)]
    return f"the nearest free times are {', '.join(times)}." if times else "none nearby."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def booking_cancel(request: HttpRequest, public_id: str, booking_id: str) -> HttpResponse:
    """GET: the confirmation, saying what will happen. POST with ``confirm=yes``: cancel."""
    client, booking = _booking(request, public_id, booking_id)
    zone = localtime.zone_named(client.time_zone)
    when = f"{booking.start.astimezone(zone):%a %Y-%m-%d %H:%M}"
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        effects = [
            f"The booking of {booking.service.name} on {when} ({client.time_zone}) for "
            f"{booking.contact_name or booking.contact_email or 'the customer'} is cancelled, "
            "and its time is free at once.",
            "Its calendar event is cancelled; the chatbot is told (booking.cancelled).",
        ]
        return render(
            request,
            "console/confirm.html",
            {
                "client": client,
                "heading": f"Cancel the booking of {when}?",
                "effects": effects,
                "irreversible": "A cancelled booking cannot be restored; book again instead.",
                "button": "Cancel this booking",
                "action_url": request.path,
                "cancel_url": reverse("calendar_console:bookings", args=[client.public_id]),
            },
        )
    try:
        services.cancel(booking, reason="Cancelled by staff.", payload={"via": "console"})
    except services.BookingRefused as exc:
        messages.error(request, f"Not cancelled: {exc}")
        return _back(client)
    _audit(request, booking, "booking.cancelled_by_staff")
    messages.success(request, f"The booking of {when} is cancelled.")
    return _back(client)
