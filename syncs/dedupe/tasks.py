"""Scheduled re-estimation of each client's duplicate model (Celery beat, hourly).

A client's people and its staff's review decisions change every day; the model and thresholds
learned from them (``estimation.estimate_for_client``) are re-learned once they are a day old,
or first learned once a client has enough people to learn from. Each run takes the clients
that are due, the stalest first, and at most ``PER_RUN`` of them, so one run never holds a
worker for long (an estimate over 20,000 people takes some seconds); the next hour takes the
rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.db.models import Count
from django.utils import timezone

from syncs.dedupe.estimation import MIN_PEOPLE, estimate_for_client
from syncs.dedupe.models import MatchModel, Person
from tenants.models import Client

STALE_AFTER = timedelta(hours=24)
PER_RUN = 20


def due_clients(now: datetime | None = None, limit: int = PER_RUN) -> list[Client]:
    """Clients whose estimate is older than ``STALE_AFTER``, the stalest first, then those
    never estimated that have ``MIN_PEOPLE`` people."""
    now = now or timezone.now()
    stale = MatchModel.objects.filter(estimated_at__lt=now - STALE_AFTER).order_by("estimated_at")
    due = list(stale.values_list("client_id", flat=True)[:limit])
    if len(due) < limit:
        grown = (
            Person.objects.filter(merged_into=None)
            .exclude(client_id__in=MatchModel.objects.values("client_id"))
            .values("client_id")
            .annotate(people=Count("id"))
            .filter(people__gte=MIN_PEOPLE)
            .order_by("client_id")
        )
        due += [row["client_id"] for row in grown[: limit - len(due)]]
    clients = Client.objects.in_bulk(due)
    return [clients[pk] for pk in due if pk in clients]


@shared_task(name="syncs.dedupe.reestimate_models")
def reestimate_models() -> int:
    """Re-estimate the clients that are due; returns how many were estimated."""
    clients = due_clients()
    for client in clients:
        estimate_for_client(client)
    return len(clients)
