"""Console page and download: the monthly audit of one client (``syncs.audit.monthly``).

``?month=YYYY-MM`` picks the month (default: the current one, in the client's time zone);
``?format=csv`` downloads the same report as CSV. A malformed month is a 400 that says why.
"""

from __future__ import annotations

import csv
from datetime import date
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from syncs.audit.monthly import KIND_NAMES, MonthlyAudit, monthly_audit
from syncs.ui.pages import context
from tenants import scoping
from tenants.models import Client

FIRST_MONTH = date(2000, 1, 1)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class MonthForm(forms.Form):
    month = forms.DateField(
        input_formats=["%Y-%m"],
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Give the month as YYYY-MM, e.g. 2026-11."},
    )
    format = forms.ChoiceField(choices=[("", "page"), ("csv", "CSV")], required=False)

    def clean_month(self) -> date | None:
        month = self.cleaned_data["month"]
        if month is not None and not FIRST_MONTH <= month <= date(9998, 12, 1):
            raise forms.ValidationError("That month is out of range.")
        return month


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@login_required
@require_safe
def monthly_audit_view(request: HttpRequest, public_id: str) -> HttpResponse:
    client = scoping.client_for_user_or_404(request.user, public_id)
    form = MonthForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "console/syncs/monthly_audit.html",
            context(request, client, form=form, report=None),
            status=400,
        )
    month = (form.is_bound and form.cleaned_data["month"]) or _current_month(client)
    report = monthly_audit(client, month)
    if form.is_bound and form.cleaned_data["format"] == "csv":
        return _csv(report)
    if not form.is_bound:
        form = MonthForm(initial={"month": report.month})  # the picker shows the month shown
    return render(
        request,
        "console/syncs/monthly_audit.html",
        context(
            request,
            client,
            form=form,
            report=report,
            previous_month=_shift(report.month, -1),
            next_month=_shift(report.month, 1),
        ),
    )


def _current_month(client: Client) -> date:
    return timezone.localtime(timezone=ZoneInfo(client.time_zone)).date().replace(day=1)


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(report: MonthlyAudit) -> HttpResponse:
    month = f"{report.month:%Y-%m}"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="switchboard-audit-{report.client.slug}-{month}.csv"'
    )
    out = csv.writer(response)
    out.writerow(["client", "month", "time zone", "from", "until"])
    out.writerow(
        [
            _cell(v)
            for v in (
                report.client.name,
                month,
                report.client.time_zone,
                report.start.isoformat(),
                report.end.isoformat(),
            )
        ]
    )
    out.writerow([])
    out.writerow(["check", "finding", "target", "verdict"])
    for c in report.checks:
        out.writerow([_cell(v) for v in (c.title, c.finding, c.target, c.verdict)])
    out.writerow([])
    out.writerow(
        [
            "system",
            "provider",
            "status",
            "jobs",
            "synced",
            "failed or dead",
            "dead",
            "vendor calls",
            "calls failed",
            "rate limited",
        ]
    )
    for s in report.systems:
        out.writerow(
            [
                _cell(v)
                for v in (
                    KIND_NAMES.get(s.kind, s.kind),
                    s.name,
                    s.status,
                    s.jobs,
                    s.synced,
                    s.errors,
                    s.dead,
                    s.calls,
                    s.call_failures,
                    s.throttled,
                )
            ]
        )
    for kind in report.missing_kinds:
        out.writerow([KIND_NAMES[kind], "", "not yet connected"])
    out.writerow([])
    out.writerow(
        [
            "webhook endpoint",
            "status",
            "deliveries",
            "delivered",
            "retrying",
            "dead",
            "resent by staff",
        ]
    )
    for e in report.endpoints:
        out.writerow(
            [
                _cell(v)
                for v in (
                    e.url,
                    e.status,
                    e.deliveries,
                    e.succeeded,
                    e.retrying,
                    e.dead,
                    e.resent_by_staff,
                )
            ]
        )
    return response
