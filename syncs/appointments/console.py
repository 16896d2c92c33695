"""The console's outcome action: staff say whether the customer came. The bookings page (the
bookings package's) posts here; the work is ``record_booking_outcome``, as for the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from syncs.appointments.outcomes import OUTCOMES, OutcomeRefused, record_booking_outcome
from syncs.audit.log import staff_actor
from syncs.calendar.bookings.models import Booking
from tenants import scoping
from tenants.console import require_role


@login_required
@require_POST
def booking_outcome(request: HttpRequest, public_id: str, booking_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    booking = get_object_or_404(scoping.for_client(Booking, client), public_id=booking_id)
    outcome = request.POST.get("outcome", "")
    if outcome not in OUTCOMES:
        messages.error(request, f"Choose one of: {', '.join(OUTCOMES)}.")
    else:
        try:
            record_booking_outcome(booking, outcome, actor=staff_actor(request.user))
        except OutcomeRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Booking recorded as {outcome.replace('_', '-')}.")
    return redirect("console:client", public_id=client.public_id)
