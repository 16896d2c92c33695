"""The console's front page: every client the staff member can see, led by its sync health
(``syncs.metrics.health``) and the workers' last heartbeat. Here beside the health it shows;
``tenants.console_urls`` includes it as the console's home.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from agency.models import WorkerHeartbeat
from syncs.metrics.health import clients_health
from tenants import scoping


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The client list, led by health; ``?attention=1`` keeps the clients that need it."""
    agencies = list(scoping.agencies_for(request.user))
    health = clients_health(scoping.clients_for(request.user).order_by("agency__name", "name"))
    attention_only = request.GET.get("attention") == "1"
    if attention_only:
        health = [h for h in health if h.needs_attention]
    can_create = [
        a for a in agencies if (m := scoping.membership(request.user, a)) and m.allows("configure")
    ]
    return render(
        request,
        "console/home.html",
        {
            "agencies": agencies,
            "health": health,
            "attention_only": attention_only,
            "creatable_agencies": can_create,
            "last_heartbeat": WorkerHeartbeat.objects.first(),
        },
    )
