"""The Bookings page of a client: each booking with its status, time in the client's zone,
contact, calendar event and source tag; above them the conflicts (``conflicts``) with the
nearest free slots as suggestions. Looking needs a membership; the calendars are read now for
the conflicts, so the page says which could not be checked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from syncs.calendar.bookings.models import Booking, BookingStatus
from syncs.calendar.conflicts import booking_conflicts
from syncs.ui.pages import context, page_of
from tenants import scoping

SHOW = ("upcoming", "all")


@login_required
@require_safe
def bookings(request: HttpRequest, public_id: str) -> HttpResponse:
    """``?show=all`` lists past bookings too (newest first); ``?status=`` keeps one status."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    show = request.GET.get("show") if request.GET.get("show") in SHOW else "upcoming"
    status = request.GET.get("status", "")
    rows = scoping.for_client(Booking, client).select_related("service", "resource")
    if show == "upcoming":
        rows = rows.filter(end__gte=timezone.now()).order_by("start", "pk")
    else:
        rows = rows.order_by("-start", "-pk")
    if status in BookingStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "console/calendar/bookings.html",
        context(
            request,
            client,
            page=page_of(request, rows),
            report=booking_conflicts(client),
            show=show,
            status=status,
            statuses=BookingStatus.choices,
            now=timezone.now(),
        ),
    )
