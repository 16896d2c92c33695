"""The availability preview: staff pick a service and some local dates and see the slots
customers would be offered, in the client's zone, and which calendars were stale. A GET form
(bookmarkable, no change made: it only reads the calendars, which stamps their freshness)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from syncs.calendar import localtime
from syncs.calendar.forms import PreviewForm
from syncs.calendar.preview import Preview, availability_preview
from syncs.ui.pages import context
from tenants import scoping

DEFAULT_DAYS = 7


@login_required
@require_safe
def preview(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    today = localtime.local_date(timezone.now(), localtime.zone_named(client.time_zone))
    initial = {"first": today, "last": today + timedelta(days=DEFAULT_DAYS - 1)}
    form = PreviewForm(request.GET or None, initial=initial, client=client)
    result: Preview | None = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            result = availability_preview(client, data["service"], data["first"], data["last"])
        else:
            status = 400
    return render(
        request,
        "console/calendar/preview.html",
        context(request, client, form=form, preview=result),
        status=status,
    )
