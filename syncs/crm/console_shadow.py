"""The shadow-mode switch of a CRM connection (needs the "configure" role; audited)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from connectors import registry
from connectors.models import Connection
from syncs.audit.log import staff_actor
from syncs.crm.shadow import connection_set_shadow_mode
from tenants import scoping
from tenants.console import require_role


@login_required
@require_POST
def shadow_switch(request: HttpRequest, public_id: str, connection_id: int) -> HttpResponse:
    """``mode=shadow`` or ``mode=live``: a state, not a toggle, so a double submit is harmless."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    connection = get_object_or_404(
        scoping.for_client(Connection, client).filter(kind="crm"), pk=connection_id
    )
    require_role(request.user, client.agency, "configure")
    mode = request.POST.get("mode")
    name = registry.get_spec(connection.provider).display_name
    if mode not in ("shadow", "live"):
        messages.error(request, "Choose shadow or live.")
    elif connection_set_shadow_mode(
        connection=connection, on=mode == "shadow", actor=staff_actor(request.user)
    ):
        messages.success(
            request,
            f"{name} is in shadow mode: jobs record what they would write and send nothing."
            if mode == "shadow"
            else f"{name} is live: jobs write to the CRM again.",
        )
    else:
        messages.success(request, f"{name} already was {mode}.")
    return redirect("console:sync-shadow", client.public_id)
