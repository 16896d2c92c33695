"""The monthly audit of one client: the source article's checklist ("Verify webhook delivery
logs for all three platforms; check CRM for duplicate records that indicate sync conflicts;
review calendar for double-bookings from sync errors; test POS data freshness against actual
inventory counts") and its key metrics (error rate under 1%, manual intervention rate, sync
latency under 5 seconds), for a calendar month in the client's time zone.

What Switchboard cannot know yet it says: calendar and POS sync are not built, so their lines
read "not yet connected" (or, with a connection, that nothing is written there yet), never a
reassuring zero that was never measured.

A fixed number of queries per report (connections, jobs by connection, the client's job
totals and two percentile rows, vendor calls, webhook deliveries, staff resends, duplicates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from connectors import registry
from connectors.catalog import KINDS
from connectors.models import ApiCall, Connection
from syncs.dedupe.models import DuplicateCandidate
from syncs.metrics.summary import ERROR_STATUSES, latency_expression, percentile_ms
from syncs.models import AuditEntry, JobStatus, SyncJob
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tenants.models import Client
from tenants.scoping import for_client

LATENCY_TARGET = timedelta(seconds=5)  # the article: "target: under 5 seconds"
ERROR_RATE_TARGET = 0.01  # the article: "target: under 1%"
PASS, ATTENTION, NOT_CONNECTED, INFO = "pass", "attention", "not connected", "info"
KIND_NAMES = {"crm": "CRM", "calendar": "Calendar", "pos": "POS"}


@dataclass
class SystemLog:
    """One connected system's month: our deliveries into it (sync jobs) and our calls to it."""

    kind: str
    name: str
    status: str
    jobs: int = 0
    synced: int = 0
    errors: int = 0
    dead: int = 0
    calls: int = 0
    call_failures: int = 0
    throttled: int = 0


@dataclass
class EndpointLog:
    """Outbound webhooks to the client's chatbot vendor, per endpoint, for the month."""

    url: str
    status: str
    deliveries: int = 0
    succeeded: int = 0
    retrying: int = 0
    dead: int = 0
    resent_by_staff: int = 0


@dataclass
class Check:
    title: str  # the checklist's or the metric's own words
    finding: str
    target: str
    verdict: str


@dataclass
class MonthlyAudit:
    client: Client
    month: date  # its first day
    start: datetime
    end: datetime
    systems: list[SystemLog] = field(default_factory=list)
    missing_kinds: list[str] = field(default_factory=list)
    endpoints: list[EndpointLog] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def month_bounds(month: date, time_zone: str) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in the client's time zone."""
    zone = ZoneInfo(time_zone)
    start = datetime(month.year, month.month, 1, tzinfo=zone)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return start, datetime(following.year, following.month, 1, tzinfo=zone)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part} of {whole})" if whole else "no jobs"


def monthly_audit(client: Client, month: date) -> MonthlyAudit:
    """The audit of ``client`` for the calendar month that contains ``month``."""
    month = month.replace(day=1)
    start, end = month_bounds(month, client.time_zone)
    report = MonthlyAudit(client=client, month=month, start=start, end=end)
    # The event's client too, so the events are read through their (client, received_at) index.
    jobs = for_client(SyncJob, client).filter(
        event__client=client, event__received_at__gte=start, event__received_at__lt=end
    )
    _systems(report, jobs)
    _endpoints(report)
    report.checks = [
        _webhook_check(report),
        _duplicates_check(report),
        _absent_kind_check(
            report,
            "calendar",
            "Review calendar for double-bookings from sync errors",
            "Switchboard books nothing in calendars yet, so no double-booking can come from it",
        ),
        _absent_kind_check(
            report,
            "pos",
            "Test POS data freshness against actual inventory counts",
            "Switchboard reads no POS data yet, so there is no freshness to test",
        ),
        *_job_checks(jobs),
    ]
    return report


def _systems(report: MonthlyAudit, jobs: QuerySet[SyncJob]) -> None:
    client = report.client
    by_job = {
        row["connection_id"]: row
        for row in jobs.values("connection_id")
        .order_by()
        .annotate(
            jobs=Count("pk"),
            synced=Count("pk", filter=Q(status=JobStatus.SYNCED)),
            errors=Count("pk", filter=Q(status__in=ERROR_STATUSES)),
            dead=Count("pk", filter=Q(status=JobStatus.DEAD)),
        )
    }
    calls = for_client(ApiCall, client).filter(
        created_at__gte=report.start, created_at__lt=report.end
    )
    by_call = {
        row["connection_id"]: row
        for row in calls.values("connection_id")
        .order_by()
        .annotate(
            calls=Count("pk"),
            call_failures=Count("pk", filter=Q(status__isnull=True) | ~Q(error="")),
            throttled=Count("pk", filter=Q(status=429) | Q(error__startswith="rate_limited")),
        )
    }
    connections = (
        for_client(Connection, client)
        .defer("access_token", "refresh_token")
        .order_by("kind", "provider")
    )
    for conn in connections:
        log = SystemLog(
            kind=conn.kind,
            name=registry.display_name(conn.provider),
            status=conn.get_status_display(),
        )
        source: Mapping[str, Any]
        for source in (by_job.get(conn.pk, {}), by_call.get(conn.pk, {})):
            for name, value in source.items():
                if name != "connection_id":
                    setattr(log, name, value)
        report.systems.append(log)
    connected = {s.kind for s in report.systems}
    report.missing_kinds = [k for k in KINDS if k not in connected]


def _endpoints(report: MonthlyAudit) -> None:
    client = report.client
    in_month = {"created_at__gte": report.start, "created_at__lt": report.end}
    counts = {
        row["endpoint_id"]: row
        for row in for_client(WebhookDelivery, client)
        .filter(**in_month)
        .values("endpoint_id")
        .order_by()
        .annotate(
            deliveries=Count("pk"),
            succeeded=Count("pk", filter=Q(status=DeliveryStatus.SUCCEEDED)),
            retrying=Count(
                "pk", filter=Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
            ),
            dead=Count("pk", filter=Q(status=DeliveryStatus.DEAD)),
        )
    }
    resent = (
        for_client(AuditEntry, client)
        .filter(action__in=["webhook.retried", "webhook.redelivered"], **in_month)
        .values_list("details__endpoint", flat=True)
    )
    resent_by_endpoint: dict[str, int] = {}
    for endpoint_id in resent:
        resent_by_endpoint[str(endpoint_id)] = resent_by_endpoint.get(str(endpoint_id), 0) + 1
    for endpoint in for_client(WebhookEndpoint, client):
        row: Mapping[str, Any] = counts.get(endpoint.pk, {})
        report.endpoints.append(
            EndpointLog(
                url=endpoint.url,
                status=endpoint.get_status_display(),
                deliveries=row.get("deliveries", 0),
                succeeded=row.get("succeeded", 0),
                retrying=row.get("retrying", 0),
                dead=row.get("dead", 0),
                resent_by_staff=resent_by_endpoint.get(str(endpoint.public_id), 0),
            )
        )


def _webhook_check(report: MonthlyAudit) -> Check:
    parts = []
    for s in report.systems:
        parts.append(
            f"{KIND_NAMES.get(s.kind, s.kind)} {s.name} ({s.status}): {s.synced} of {s.jobs} "
            f"jobs synced, {s.errors} failed or dead; {s.calls} vendor calls, "
            f"{s.call_failures} failed, {s.throttled} rate limited"
        )
    parts += [f"{KIND_NAMES[k]}: not yet connected" for k in report.missing_kinds]
    for e in report.endpoints:
        parts.append(
            f"Chatbot webhooks to {e.url}: {e.succeeded} of {e.deliveries} delivered, "
            f"{e.retrying} retrying, {e.dead} dead, {e.resent_by_staff} resent by staff"
        )
    trouble = any(s.dead for s in report.systems) or any(e.dead for e in report.endpoints)
    return Check(
        title="Verify webhook delivery logs for all three platforms",
        finding="; ".join(parts) or "No connected system and no webhook endpoint.",
        target="nothing dead",
        verdict=ATTENTION if trouble else (PASS if report.systems else NOT_CONNECTED),
    )


def _duplicates_check(report: MonthlyAudit) -> Check:
    candidates = for_client(DuplicateCandidate, report.client)
    in_month = Q(created_at__gte=report.start, created_at__lt=report.end)
    decided = Q(decided_at__gte=report.start, decided_at__lt=report.end)
    row = candidates.aggregate(
        found=Count("pk", filter=in_month),
        merged=Count("pk", filter=decided & Q(status=DuplicateCandidate.Status.MERGED)),
        dismissed=Count("pk", filter=decided & Q(status=DuplicateCandidate.Status.DISMISSED)),
        open_now=Count("pk", filter=Q(status=DuplicateCandidate.Status.OPEN)),
    )
    return Check(
        title="Check CRM for duplicate records that indicate sync conflicts",
        finding=(
            f"{row['found']} likely duplicates found this month; {row['merged']} merged and "
            f"{row['dismissed']} dismissed this month; {row['open_now']} open now"
        ),
        target="none left open",
        verdict=ATTENTION if row["open_now"] else PASS,
    )


def _absent_kind_check(report: MonthlyAudit, kind: str, title: str, connected_note: str) -> Check:
    if kind in report.missing_kinds:
        return Check(title=title, finding="Not yet connected.", target="—", verdict=NOT_CONNECTED)
    return Check(title=title, finding=f"Connected; {connected_note}.", target="—", verdict=INFO)


def _job_checks(jobs: QuerySet[SyncJob]) -> list[Check]:
    latency = latency_expression()
    measured = Q(status=JobStatus.SYNCED, finished_at__isnull=False)
    row = jobs.annotate(latency=latency).aggregate(
        total=Count("pk"),
        attempted=Count("pk", filter=Q(attempts__gt=0)),
        errors=Count("pk", filter=Q(status__in=ERROR_STATUSES)),
        manual=Count("pk", filter=Q(status=JobStatus.NEEDS_REVIEW) | ~Q(overrides={})),
        measured=Count("pk", filter=measured),
        on_time=Count("pk", filter=measured & Q(latency__lte=LATENCY_TARGET)),
        waited_connection=Count("pk", filter=Q(waited_connection_ms__gt=0)),
        waited_review=Count("pk", filter=Q(waited_review_ms__gt=0)),
    )
    latencies = jobs.filter(measured).annotate(latency=latency)
    p50 = percentile_ms(latencies, row["measured"], 0.50)
    p95 = percentile_ms(latencies, row["measured"], 0.95)
    error_rate = row["errors"] / row["attempted"] if row["attempted"] else None
    if p95 is None:
        latency_finding, latency_verdict = "No synced jobs this month.", INFO
    else:
        latency_finding = (
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms; {_percent(row['on_time'], row['measured'])} "
            f"within 5 s. Not counted: {row['waited_connection']} jobs waited for a connection, "
            f"{row['waited_review']} waited in review"
        )
        latency_verdict = PASS if p95 <= LATENCY_TARGET.total_seconds() * 1000 else ATTENTION
    return [
        Check(
            title="Error rate (failed or dead jobs over jobs attempted)",
            finding=_percent(row["errors"], row["attempted"]),
            target="under 1%",
            verdict=INFO
            if error_rate is None
            else (PASS if error_rate < ERROR_RATE_TARGET else ATTENTION),
        ),
        Check(
            title="Manual intervention rate (jobs held for review or released after a fix)",
            finding=_percent(row["manual"], row["total"]),
            target="as low as possible",
            verdict=INFO,
        ),
        Check(
            title="Sync latency against the 5-second target (from when a job could run)",
            finding=latency_finding,
            target="p95 under 5 s",
            verdict=latency_verdict,
        ),
    ]
