"""The merge of a likely duplicate pair, from the duplicates page: a confirmation (which
record survives, which values win, what each CRM will do or why it cannot), then the merge in
the CRMs and in our index (``syncs.crm.merge``). Needs the "operate" role; audited.

Here beside the CRM, not in ``syncs.dedupe.console``: merging is a CRM write, and duplicate
detection must not depend on the CRM target (which depends on it).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from syncs.audit.log import audit_log, staff_actor
from syncs.crm import merge as crm_merge
from syncs.dedupe import held as held_duplicates
from syncs.dedupe.console import decide_held
from syncs.dedupe.models import DuplicateCandidate
from syncs.ui.pages import context
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


@login_required
def duplicate_merge(request: HttpRequest, public_id: str, candidate_id: int) -> HttpResponse:
    """GET: the confirmation. POST with ``confirm``: merge in the CRMs, then in our index; a
    pair that holds a lead is linked instead (``syncs.dedupe.held``)."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    candidate = get_object_or_404(
        scoping.for_client(DuplicateCandidate, client).select_related("person", "existing"),
        pk=candidate_id,
    )
    if request.method == "POST":
        require_role(request.user, client.agency, "operate")
        if held_duplicates.held_jobs(client, [candidate]):
            return decide_held(request, client, candidate, "link")
        if candidate.status == "open" and request.POST.get("confirm") != "yes":
            return redirect(request.path)  # merging needs the confirmation page
        return _merge_confirmed(request, client, candidate)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    plan = crm_merge.merge_plan(candidate)
    return render(
        request, "console/syncs/duplicate_merge.html", context(request, client, plan=plan)
    )


def _merge_confirmed(
    request: HttpRequest, client: Client, candidate: DuplicateCandidate
) -> HttpResponse:
    try:
        plan = crm_merge.merge_confirmed(candidate, request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        if candidate.status == "open":
            return redirect(request.path)
    else:
        merged = [s.display_name for s in plan.steps if s.needed]
        audit_log(
            client=client,
            actor=staff_actor(request.user),
            action="duplicate.merged",
            target=f"duplicate:{candidate.pk}",
            details={"person": candidate.person_id, "existing": candidate.existing_id,
                     "score": candidate.score, "crm_merged": merged},
        )  # fmt: skip
        where = f" and in {', '.join(merged)}" if merged else ""
        messages.success(request, f"Pair {candidate.pk}: merged in Switchboard{where}.")
    return redirect("console:sync-duplicates", public_id=client.public_id)
