"""The duplicates review page: likely duplicates found by duplicate detection (scored pairs),
merged (after a confirmation, in the CRMs too: ``syncs.crm.console_merge``) or dismissed by
staff with the "operate" role; a pair that holds a lead is decided by ``syncs.dedupe.held``.
Each decision is audited.

Duplicate detection (``syncs.dedupe``) is its own part of the app; until it is installed the
page says so and the decision routes answer 404.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from syncs.audit.log import audit_log, staff_actor
from syncs.dedupe import held as held_duplicates
from syncs.ui.pages import context, page_of
from tenants import scoping
from tenants.console import require_role

if TYPE_CHECKING:  # types only: the views load the models through _dedupe()
    from syncs.dedupe.models import DuplicateCandidate, MatchModel
    from tenants.models import Client

# Merging has its own route (a confirmation, then the CRMs): ``syncs.crm.console_merge``.
DECISIONS = ("dismiss", *held_duplicates.DECISIONS)
# On a pair that holds a lead, dismissing is creating it anew (merging it, on its own route,
# is linking it: ``syncs.crm.console_merge``).
HELD_DECISION = {"dismiss": "create", "link": "link", "create": "create"}


def _dedupe() -> tuple[ModuleType, type[DuplicateCandidate]] | None:
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
    held = held_duplicates.held_jobs(client, list(page or []))
    rows = [(pair, held.get(pair.pk)) for pair in page or []]
    return render(
        request,
        "console/syncs/duplicates.html",
        context(
            request,
            client,
            installed=found is not None,
            page=page,
            status=status,
            rows=rows,
            model=model,
        ),
    )


def _match_model(client: Client) -> MatchModel | None:
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
    if held_duplicates.held_jobs(client, [candidate]) or decision in held_duplicates.DECISIONS:
        return decide_held(request, client, candidate, HELD_DECISION[decision])
    try:
        getattr(package, decision)(candidate, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        audit_log(
            client=client,
            actor=staff_actor(request.user),
            action="duplicate.dismissed",
            target=f"duplicate:{candidate.pk}",
            details={
                "person": candidate.person_id,
                "existing": candidate.existing_id,
                "score": candidate.score,
            },
        )
        messages.success(request, f"Pair {candidate.pk}: {decision} done.")
    return redirect("console:sync-duplicates", public_id=client.public_id)


def decide_held(
    request: HttpRequest, client: Client, candidate: DuplicateCandidate, decision: str
) -> HttpResponse:
    """A pair holding a lead is decided in one place (``syncs.dedupe.held``), whichever
    page the button was on; staff go back to the page they came from."""
    try:
        job = held_duplicates.decide(candidate, decision, request.user)
    except (ValueError, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    else:
        done = "linked to the existing record" if decision == "link" else "created as new"
        messages.success(request, f"Pair {candidate.pk}: job {job.pk} released, {done}.")
    back = request.POST.get("back") == "review"
    return redirect(
        "console:sync-review" if back else "console:sync-duplicates", public_id=client.public_id
    )
