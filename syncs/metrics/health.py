"""Health of every client a staff member can see, per client and per connection, for the
console's client list: status, last successful sync, errors and held leads in the last 24 h,
tokens that will need the client's consent again, and whether anything needs attention.

A fixed number of queries however many clients and connections there are (one each for the
connections, the last syncs, the grouped job counts, the open issues and the webhook
deliveries; a test counts them): the list is the console's front page and grows with the
agency. No query reads a client's whole job history: the last successful sync is looked for
among jobs of the last ``LAST_SYNC_WINDOW`` (30 days; "none in 30 days" past it), the counts
among jobs not synced (failed, dead, held or waiting).

Definitions (the page repeats them):
- errors (24 h): jobs of events received in the last 24 h that failed (a retry is scheduled)
  or are dead, plus webhook deliveries of that period that failed or are dead (client level);
- held (24 h): jobs of that period waiting for a person in the review queue; any lead still
  held, however old, makes the client need attention (and is counted beside it);
- re-consent: the connection needs reconnecting now, or its refresh token (the vendor's
  grant) expires within ``RECONSENT_WARNING``: after that the client must approve again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from connectors import registry
from connectors.catalog import KINDS
from connectors.models import Connection, ConnectionIssue, ConnectionStatus
from syncs.metrics.summary import SYNCED_STATUSES
from syncs.models import JobStatus, SyncJob
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery
from tenants.models import Client

RECENT = timedelta(hours=24)
RECONSENT_WARNING = timedelta(days=14)
ERROR_STATUSES = (JobStatus.FAILED, JobStatus.DEAD)
UNSYNCED_SHOWN = (*ERROR_STATUSES, JobStatus.NEEDS_REVIEW, JobStatus.WAITING_CONNECTION)
# How far back the front page looks for a successful sync ("none in 30 days" past it).
LAST_SYNC_WINDOW = timedelta(days=30)


@dataclass
class ConnectionHealth:
    connection: Connection
    display_name: str
    last_synced_at: datetime | None = None
    errors_24h: int = 0
    held_24h: int = 0
    held_now: int = 0  # held in review today, whenever they arrived
    waiting: int = 0
    issues: list[ConnectionIssue] = field(default_factory=list)
    reconsent_by: datetime | None = None  # when the grant ends (None: no known end)

    @property
    def needs_reconsent(self) -> bool:
        return self.connection.status == ConnectionStatus.NEEDS_REAUTH or (
            self.reconsent_by is not None
            and self.reconsent_by <= timezone.now() + RECONSENT_WARNING
        )

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.connection.status != ConnectionStatus.ACTIVE
            or self.errors_24h
            or self.held_now
            or self.waiting
            or self.issues
            or self.needs_reconsent
        )


@dataclass
class ClientHealth:
    client: Client
    connections: list[ConnectionHealth] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # kinds chosen but not connected
    webhook_errors_24h: int = 0
    # Jobs with no connection at all (the client never connected its CRM).
    unconnected_waiting: int = 0

    @property
    def errors_24h(self) -> int:
        return sum(c.errors_24h for c in self.connections) + self.webhook_errors_24h

    @property
    def held_24h(self) -> int:
        return sum(c.held_24h for c in self.connections)

    @property
    def held_now(self) -> int:
        return sum(c.held_now for c in self.connections)

    @property
    def last_synced_at(self) -> datetime | None:
        times = [c.last_synced_at for c in self.connections if c.last_synced_at]
        return max(times) if times else None

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.missing
            or self.webhook_errors_24h
            or self.unconnected_waiting
            or any(c.needs_attention for c in self.connections)
        )

    @property
    def status(self) -> str:
        """One word for the list: ``attention`` or ``healthy`` (``not connected`` when the
        client has no connection yet)."""
        if self.needs_attention:
            return "attention"
        return "healthy" if self.connections else "not connected"


def _job_counts(
    client_ids: list[int], since: datetime, window_start: datetime
) -> dict[tuple[int, int | None], dict]:
    """Per (client, connection): last successful sync, errors, held and waiting jobs.

    Two grouped queries, neither reading a client's whole job history (every lead leaves a
    synced job behind for good, so that history only grows): the last sync among jobs
    published since ``window_start`` (the (status, published_at) index bounds it: a job runs
    only once published, and each publish stamps it), and the counts from the jobs that are
    not synced (errors, held, waiting: the status index leads it)."""
    rows: dict[tuple[int, int | None], dict] = defaultdict(dict)
    synced = (
        SyncJob.objects.filter(
            client_id__in=client_ids,
            # A job rolled back later did sync (syncs.metrics.summary.SYNCED_STATUSES).
            status__in=SYNCED_STATUSES,
            published_at__gte=window_start,
        )
        .values("client_id", "connection_id")
        .order_by()
        .annotate(last_synced_at=Max("finished_at"))
    )
    for r in synced:
        rows[(r["client_id"], r["connection_id"])]["last_synced_at"] = r["last_synced_at"]
    recent = Q(created_at__gte=since)
    open_or_failed = (
        SyncJob.objects.filter(client_id__in=client_ids, status__in=UNSYNCED_SHOWN)
        .values("client_id", "connection_id")
        .order_by()
        .annotate(
            errors_24h=Count("pk", filter=recent & Q(status__in=ERROR_STATUSES)),
            held_24h=Count("pk", filter=recent & Q(status=JobStatus.NEEDS_REVIEW)),
            held_now=Count("pk", filter=Q(status=JobStatus.NEEDS_REVIEW)),
            waiting=Count("pk", filter=Q(status=JobStatus.WAITING_CONNECTION)),
        )
    )
    for row in open_or_failed:
        counts: dict[str, Any] = dict(row)  # the plugin types row as a TypedDict (no pop)
        rows[(counts.pop("client_id"), counts.pop("connection_id"))].update(counts)
    return rows


def _webhook_errors(client_ids: list[int], since: datetime) -> dict[int, int]:
    rows = (
        WebhookDelivery.objects.filter(
            client_id__in=client_ids,
            created_at__gte=since,
            status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD],
        )
        .values("client_id")
        .order_by()
        .annotate(n=Count("pk"))
    )
    return {r["client_id"]: r["n"] for r in rows}


def clients_health(clients: Iterable[Client], *, now: datetime | None = None) -> list[ClientHealth]:
    """Health of ``clients`` (already scoped to the staff member), in their given order."""
    now = now or timezone.now()
    since = now - RECENT
    out = [ClientHealth(client=c) for c in clients]
    ids = [h.client.pk for h in out]
    if not ids:
        return out
    # Tokens are never read here: they are encrypted and the list has no use for them.
    connections = (
        Connection.objects.filter(client_id__in=ids)
        .exclude(status=ConnectionStatus.DISABLED)
        .defer("access_token", "refresh_token")
        .order_by("client_id", "kind", "provider")
    )
    issues: dict[int, list[ConnectionIssue]] = defaultdict(list)
    for issue in ConnectionIssue.objects.filter(client_id__in=ids, resolved_at__isnull=True):
        issues[issue.connection_id].append(issue)
    counts = _job_counts(ids, since, now - LAST_SYNC_WINDOW)
    by_client = {h.client.pk: h for h in out}
    for conn in connections:
        row = counts.get((conn.client_id, conn.pk), {})
        by_client[conn.client_id].connections.append(
            ConnectionHealth(
                connection=conn,
                display_name=registry.display_name(conn.provider),
                last_synced_at=row.get("last_synced_at"),
                errors_24h=row.get("errors_24h", 0),
                held_24h=row.get("held_24h", 0),
                held_now=row.get("held_now", 0),
                waiting=row.get("waiting", 0),
                issues=issues.get(conn.pk, []),
                reconsent_by=conn.refresh_token_expires_at,
            )
        )
    webhook_errors = _webhook_errors(ids, since)
    for health in out:
        client = health.client
        connected = {c.connection.kind for c in health.connections}
        health.missing = [
            kind for kind in KINDS if client.provider_for(kind) and kind not in connected
        ]
        health.webhook_errors_24h = webhook_errors.get(client.pk, 0)
        row = counts.get((client.pk, None), {})
        health.unconnected_waiting = row.get("waiting", 0)
    return out
