"""Console pages of the sync engine that only read: the event stream, one event, the audit
log, shadow-mode records and the metrics.

Every lookup goes through ``tenants.scoping`` (a client of another agency is a 404); pages that
change something (``syncs.console.review``, ``syncs.rollback.console``,
``syncs.crm.console_mapping``) check roles.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from connectors import registry
from connectors.models import Connection
from syncs.console.forms import AuditFilterForm, EventFilterForm, MetricsWindowForm
from syncs.crm.shadow import record_diff
from syncs.metrics.charts import charts_for
from syncs.metrics.conversion import lead_to_appointment
from syncs.metrics.summary import BUCKETS_MS, WINDOWS, sync_metrics
from syncs.metrics.timeseries import sync_timeseries
from syncs.models import AiEvent, AuditEntry, ExternalRecord, RecordAction, SyncJob
from syncs.ui.pages import context, page_of
from tenants import scoping
from tenants.models import Client


@login_required
@require_safe
def event_list(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    form = EventFilterForm(request.GET or None)
    events = scoping.for_client(AiEvent, client).prefetch_related(
        Prefetch("jobs", queryset=SyncJob.objects.order_by("pk"))
    )
    if form.is_valid():
        if form.cleaned_data["status"]:
            events = events.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["kind"]:
            events = events.filter(kind=form.cleaned_data["kind"])
    page = page_of(request, events.order_by("-received_at", "-pk"))
    return render(
        request, "console/syncs/events.html", context(request, client, form=form, page=page)
    )


@login_required
@require_safe
def event_detail(request: HttpRequest, public_id: str, event_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    event = get_object_or_404(scoping.for_client(AiEvent, client), public_id=event_id)
    jobs = list(
        scoping.for_client(SyncJob, client)
        .filter(event=event)
        .select_related("rolled_back_by")
        .order_by("pk")
    )
    records = scoping.for_client(ExternalRecord, client).filter(job__in=jobs).order_by("pk")
    trail = scoping.for_client(AuditEntry, client).filter(
        Q(details__event=str(event.public_id)) | Q(target__in=[f"job:{j.pk}" for j in jobs])
    )
    return render(
        request,
        "console/syncs/event.html",
        context(
            request,
            client,
            event=event,
            jobs=jobs,
            records=records,
            trail=trail.order_by("created_at", "pk"),
        ),
    )


def _audit_filtered(client: Client, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    entries = scoping.for_client(AuditEntry, client)
    if not form.is_valid():
        return entries
    data = form.cleaned_data
    if data["action"]:
        entries = entries.filter(action__startswith=data["action"])
    if data["actor"]:
        entries = entries.filter(actor__icontains=data["actor"])
    if data["target"]:
        entries = entries.filter(target__icontains=data["target"])
    if data["since"]:
        entries = entries.filter(created_at__gte=data["since"])
    if data["until"]:
        entries = entries.filter(created_at__lt=data["until"])
    return entries


@login_required
@require_safe
def audit_log(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    form = AuditFilterForm(request.GET or None)
    page = page_of(request, _audit_filtered(client, form).order_by("-created_at", "-pk"))
    return render(
        request, "console/syncs/audit.html", context(request, client, form=form, page=page)
    )


@login_required
@require_safe
def shadow_records(request: HttpRequest, public_id: str) -> HttpResponse:
    """What shadow-mode connections would have created or changed (nothing was sent)."""
    client = scoping.client_for_user_or_404(request.user, public_id)
    connections = scoping.for_client(Connection, client).filter(kind="crm").order_by("provider")
    provider = request.GET.get("provider", "")
    records = scoping.for_client(ExternalRecord, client).filter(
        action__in=[RecordAction.WOULD_CREATE, RecordAction.WOULD_UPDATE]
    )
    if provider:
        records = records.filter(provider=provider)
    page = page_of(request, records.select_related("job__event").order_by("-created_at", "-pk"))
    for record in page:
        record.diff = record_diff(record)
        record.provider_name = registry.get_spec(record.provider).display_name
    rows = [(c, registry.get_spec(c.provider).display_name) for c in connections]
    return render(
        request,
        "console/syncs/shadow.html",
        context(request, client, connections=rows, provider=provider, page=page),
    )


@login_required
@require_safe
def metrics(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    form = MetricsWindowForm(request.GET or None)
    window = (form.is_valid() and form.cleaned_data.get("window")) or "24h"
    return render(
        request,
        "console/syncs/metrics.html",
        context(
            request,
            client,
            form=form,
            window=window,
            providers=sync_metrics(client, window),
            buckets=BUCKETS_MS,
            charts=[charts_for(s) for s in sync_timeseries(client, window)],
            conversion=lead_to_appointment(client, WINDOWS[window]),
        ),
    )
