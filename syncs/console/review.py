"""The review queue: leads held for a person to fix and release (a likely duplicate shows its
pair and the same decisions as the duplicates page). Releasing needs the "operate" role;
looking does not. Here rather than beside the intake because it shows the duplicate pairs of
``syncs.dedupe``, which sits above the intake."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from syncs.audit.log import staff_actor
from syncs.console.forms import ReviewFixForm
from syncs.dedupe import held as held_duplicates
from syncs.intake.review import release_review
from syncs.models import JobStatus, SyncJob
from syncs.ui.pages import context, page_of
from tenants import scoping
from tenants.console import require_role
from tenants.models import Client


@login_required
@require_safe
def review_queue(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    return _review_page(request, client)


def _review_page(
    request: HttpRequest,
    client: Client,
    refused: tuple[SyncJob, ReviewFixForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The queue; a ``refused`` fix is shown as submitted, with its errors, first if it is not
    on the page."""
    jobs = (
        scoping.for_client(SyncJob, client)
        .filter(status=JobStatus.NEEDS_REVIEW)
        .select_related("event")
        .order_by("created_at", "pk")
    )
    page = page_of(request, jobs)
    forms = [(job, ReviewFixForm(prefix=f"job{job.pk}", initial=_initial(job))) for job in page]
    if refused is not None:
        shown = [job.pk for job, _ in forms]
        if refused[0].pk in shown:
            forms[shown.index(refused[0].pk)] = refused
        else:
            forms.insert(0, refused)
    pairs = held_duplicates.pairs_of(client, list(page))
    for job in page:  # a likely duplicate shows its pair and the same decisions as there
        job.held_pair = pairs.get(job.pk)
    return render(
        request,
        "console/syncs/review.html",
        context(request, client, page=page, forms=forms),
        status=status,
    )


def _initial(job: SyncJob) -> dict[str, str]:
    lead = {**job.event.payload, **job.overrides}
    return {k: str(lead.get(k) or "") for k in ("name", "email", "phone", "company")}


@login_required
@require_POST
def review_release(request: HttpRequest, public_id: str, job_id: int) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    require_role(request.user, client.agency, "operate")
    job = get_object_or_404(scoping.for_client(SyncJob, client), pk=job_id)
    form = ReviewFixForm(request.POST, prefix=f"job{job.pk}")
    if form.is_valid():
        original = _initial(job)
        fixes = {k: v for k, v in form.fixes().items() if v != original.get(k)}
        try:
            release_review(job, fixes, staff_actor(request.user))
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            messages.success(request, f"Job {job.pk} released.")
            return redirect("console:sync-review", public_id=client.public_id)
    # Refused: the same page, the fix as typed and each reason beside its field (a redirect
    # would show the original values again and lose what staff typed).
    messages.error(request, f"Job {job.pk} not released: see the fields marked below.")
    return _review_page(request, client, refused=(job, form), status=400)
