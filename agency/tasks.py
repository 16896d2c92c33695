"""Platform tasks: the worker heartbeat."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from agency.models import WorkerHeartbeat


@shared_task(name="agency.tasks.heartbeat")
def heartbeat(nonce: str | None = None) -> str:
    """Record that a worker picked up a message; returns the nonce written."""
    nonce = nonce or uuid.uuid4().hex
    WorkerHeartbeat.objects.create(nonce=nonce, hostname=socket.gethostname())
    return nonce


@shared_task(name="agency.tasks.prune_heartbeats")
def prune_heartbeats() -> int:
    """Keep one day of heartbeats; they are a liveness signal, not history."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = WorkerHeartbeat.objects.filter(created_at__lt=cutoff).delete()
    return deleted
