"""The customer's page of their booking (``/booking/<signed link>/``): when it is, in their
zone; other free slots of the same service to move it to; cancel. No sign-in: the signed link
is the key (``customer_link``). Moving and cancelling go through the booking services, so the
database still refuses a double booking and the calendar event follows."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from syncs.calendar import localtime
from syncs.calendar.availability import Slot, StaleCalendars
from syncs.calendar.bookings import availability, services
from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.customer_link import LinkExpired, LinkInvalid, booking_for_token

DAYS_SHOWN = 7
MAX_AHEAD = timedelta(days=366)  # no service books further ahead (its horizon's bound)
UNCHECKED = "The calendar cannot be checked right now, so nothing was changed. Try again later."
ERRORS = {
    "invalid": (404, "This link does not work", "The link is not valid: it may have been "
                "copied incompletely. Ask the business for a new one."),
    "expired": (410, "This link has expired", "Links to a booking work for a limited time. "
                "Ask the business for a new one."),
}  # fmt: skip


def _error(request: HttpRequest, reason: str) -> HttpResponse:
    status, title, message = ERRORS[reason]
    context = {"title": title, "message": message, "reason": reason}
    return render(request, "booking/error.html", context, status=status)


def _booking(request: HttpRequest, token: str) -> Booking | HttpResponse:
    try:
        return booking_for_token(token)
    except LinkExpired:
        return _error(request, "expired")
    except LinkInvalid:
        return _error(request, "invalid")


def zone_of(booking: Booking) -> str:
    """The customer's zone (the one they booked in), else the business's."""
    return booking.time_zone or booking.client.time_zone


def changeable(booking: Booking) -> bool:
    return booking.status == BookingStatus.CONFIRMED and booking.start > timezone.now()


def _first_day(request: HttpRequest, zone: str) -> date:
    today = localtime.local_date(timezone.now(), localtime.zone_named(zone))
    try:
        asked = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return today
    return min(max(asked, today), today + MAX_AHEAD)


def _slots(booking: Booking, first: date, zone: str) -> tuple[list[tuple[date, list[Slot]]], bool]:
    """Free slots of the booking's service over ``DAYS_SHOWN`` days from ``first`` (its own
    time counting as free), by the customer's local date; and whether the calendars could not
    be checked (then nothing is offered)."""
    tz = localtime.zone_named(zone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(first + timedelta(days=DAYS_SHOWN), time(0), tzinfo=tz)
    try:
        found = availability.slots(booking.service, start, end, ignore=booking)
    except StaleCalendars:
        return [], True
    days: dict[date, list[Slot]] = {}
    for slot in found.slots:
        if slot.start != booking.start:
            days.setdefault(localtime.local_date(slot.start, tz), []).append(slot)
    return sorted(days.items()), False


def _page(
    request: HttpRequest,
    booking: Booking,
    token: str,
    *,
    refused: str = "",
    alternatives: tuple[Slot, ...] = (),
    status: int = 200,
) -> HttpResponse:
    zone = zone_of(booking)
    first = _first_day(request, zone)
    days, unavailable = _slots(booking, first, zone) if changeable(booking) else ([], False)
    context = {
        "booking": booking,
        "token": token,
        "zone": zone,
        "changeable": changeable(booking),
        "days": days,
        "unavailable": unavailable,
        "first": first,
        "next_from": first + timedelta(days=DAYS_SHOWN),
        "refused": refused,
        "alternatives": alternatives,
    }
    return render(request, "booking/manage.html", context, status=status)


@require_safe
def page(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    return _page(request, booking, token)


def _wanted(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


@require_POST
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    """Move the booking to the slot picked (an instant with its offset)."""
    booking = _booking(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    wanted = _wanted(request.POST.get("start", ""))
    if wanted is None:
        return _page(request, booking, token, refused="Pick one of the times below.", status=400)
    if not changeable(booking):
        refused = "This booking can no longer be moved."
        return _page(request, booking, token, refused=refused, status=409)
    try:
        services.reschedule(booking, wanted, payload={"via": "customer_link"})
    except services.SlotTaken:
        return _taken(request, booking, token, wanted)
    except services.BookingRefused as exc:
        return _page(request, booking, token, refused=str(exc), status=409)
    except StaleCalendars:
        return _page(request, booking, token, refused=UNCHECKED, status=503)
    messages.success(request, "Your booking is being moved: this page shows it once confirmed.")
    return redirect("booking_link:page", token=token)


def _taken(request: HttpRequest, booking: Booking, token: str, wanted: datetime) -> HttpResponse:
    """The time went meanwhile: the nearest free ones instead, as the API's 409 offers."""
    try:
        earlier, later = availability.alternatives(booking.service, wanted, ignore=booking)
    except StaleCalendars:
        earlier, later = (), ()
    return _page(
        request,
        booking,
        token,
        refused="That time was just taken. The nearest free times:",
        alternatives=(*earlier[::-1], *later),
        status=409,
    )


@require_POST
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    booking = _booking(request, token)
    if isinstance(booking, HttpResponse):
        return booking
    if request.POST.get("confirm") != "yes":
        return _page(request, booking, token, refused="Tick the box to cancel.", status=400)
    try:
        services.cancel(booking, reason="Cancelled by the customer through their link.",
                        payload={"via": "customer_link"})  # fmt: skip
    except services.BookingRefused as exc:
        return _page(request, booking, token, refused=str(exc), status=409)
    messages.success(request, "Your booking is cancelled.")
    return redirect("booking_link:page", token=token)
