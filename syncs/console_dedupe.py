"""The duplicates review page: likely duplicates found by duplicate detection (scored pairs),
merged or dismissed by staff with the "operate" role; each decision is audited.

Duplicate detection (``syncs.dedupe``) is its own part of the app; until it is installed the
page says so and the decision routes answer 404.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from syncs.audit import audit_log, staff_actor
from syncs.console import context, page_of
from tenants import scoping
from tenants.console import require_role

DECISIONS = ("merge", "dismiss")


def _dedupe() -> tuple[ModuleType, type] | None:
    """The duplicate-detection package and its candidate model, when installed."""
    try:
        package = importlib.import_module("syncs.dedupe")
        models = importlib.import_module("syncs.dedupe.models")
    except ImportError:
        return None
    return package, models.DuplicateCandidate


@login_required
@require_safe
def duplicates(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    found = _dedupe()
    status = request.GET.get("status") or "open"
    page = model = None
    if found is not None:
        _, candidate_model = found
        model = _match_model(client)
        candidates = scoping.for_client(candidate_model, client).filter(status=status)
        page = page_of(
            request, candidates.select_related("person", "existing").order_by("-score", "pk")
        )
    return render(
        request,
        "console/syncs/duplicates.html",
        context(
            request, client, installed=found is not None, page=page, status=status, model=model
        ),
    )


def _match_model(client):
    """The client's estimated duplicate model (thresholds and what they are expected to give),
    or None before the first estimate."""
    try:
        models = importlib.import_module("syncs.dedupe.models")
    except ImportError:
        return None
    return scoping.for_client(models.MatchModel, client).first()


@login_required
@require_POST
def duplicate_decide(
    request: HttpRequest, public_id: str, candidate_id: int, decision: str
) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    found = _dedupe()
    if found is None or decision not in DECISIONS:
        raise Http404("No such decision.")
    require_role(request.user, client.agency, "operate")
    package, candidate_model = found
    candidate = get_object_or_404(scoping.for_client(candidate_model, client), pk=candidate_id)
    try:
        getattr(package, decision)(candidate, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        audit_log(
            client=client,
            actor=staff_actor(request.user),
            action=f"duplicate.{'merged' if decision == 'merge' else 'dismissed'}",
            target=f"duplicate:{candidate.pk}",
            details={
                "person": candidate.person_id,
                "existing": candidate.existing_id,
                "score": candidate.score,
            },
        )
        messages.success(request, f"Pair {candidate.pk}: {decision} done.")
    return redirect("console:sync-duplicates", public_id=client.public_id)
