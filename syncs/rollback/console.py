"""The rollback pages: by source tag, form → preview → confirm → report, and resuming a stalled
one. Starting or resuming needs the "operate" role; looking does not."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from syncs.audit.log import staff_actor
from syncs.rollback.forms import RollbackForm
from syncs.rollback.models import Rollback, RollbackStatus, RollbackStep
from syncs.rollback.services import (
    Scope,
    preview_of,
    rollback_records,
    rollback_resume,
    start_rollback,
)
from syncs.ui.pages import context, page_of
from tenants import scoping
from tenants.console import require_role

PREVIEW_LIMIT = 500


@login_required
def rollback_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET with filters shows the preview; POST (operate) starts the rollback."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    if request.method == "POST":
        require_role(request.user, client.agency, "operate")
    form = RollbackForm(request.POST if request.method == "POST" else (request.GET or None))
    plan, plan_size = None, 0
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        scope = Scope(data["tag"], data["since"], data["until"], data["session_id"])
        if request.method == "POST" and request.POST.get("confirm") != "yes":
            # Only the preview's button starts one: anything else shows the preview first.
            query = urlencode({k: v for k, v in request.POST.items() if k in form.fields})
            return redirect(f"{request.path}?{query}")
        if request.method == "POST":
            rollback = start_rollback(
                client,
                data["tag"],
                requested_by=staff_actor(request.user),
                since=data["since"],
                until=data["until"],
                session_id=data["session_id"],
            )
            return redirect("console:sync-rollback-report", client.public_id, rollback.pk)
        records = rollback_records(client, scope)
        plan_size = records.count()
        plan = preview_of(records[:PREVIEW_LIMIT], scope)
    history = scoping.for_client(Rollback, client).order_by("-created_at")[:20]
    return render(
        request,
        "console/syncs/rollback.html",
        context(
            request,
            client,
            form=form,
            plan=plan,
            plan_size=plan_size,
            history=history,
        ),
    )


@login_required
@require_safe
def rollback_report(request: HttpRequest, public_id: str, rollback_id: int) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    rollback = get_object_or_404(scoping.for_client(Rollback, client), pk=rollback_id)
    steps = scoping.for_client(RollbackStep, client).filter(rollback=rollback)
    page = page_of(request, steps.select_related("record").order_by("position"))
    return render(
        request,
        "console/syncs/rollback_report.html",
        context(
            request,
            client,
            rollback=rollback,
            page=page,
            running=rollback.status == RollbackStatus.RUNNING,
        ),
    )


@login_required
@require_POST
def rollback_resume_view(request: HttpRequest, public_id: str, rollback_id: int) -> HttpResponse:
    """Re-queue a stalled rollback (a lost message); steps already done are not redone."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    rollback = get_object_or_404(scoping.for_client(Rollback, client), pk=rollback_id)
    if rollback_resume(rollback) is None:
        messages.info(request, "Nothing left to run.")
    else:
        messages.success(request, "The next step is queued again.")
    return redirect("console:sync-rollback-report", client.public_id, rollback.pk)
