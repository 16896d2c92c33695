"""Fixtures for the sync engine: a CRM connection, a lead posted the way a chatbot posts it,
and Celery pointed at kombu's in-memory transport so tests read the messages really published.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from kombu import Connection as KombuConnection

from agency.celery import app as celery_app
from connectors.models import Connection

LEAD = {
    "name": "mary O'BRIEN",
    "email": "Mary.OBrien@Example.COM",
    "phone": "(415) 555-2671",
    "company": "O'Brien Dental",
    "lead_score": 82,
    "intent": "booking",
    "conversation_summary": "Wants a cleaning next week.",
    "transcript_url": "https://chat.example.com/t/abc",
    "chatbot_session_id": "sess-1",
    "chatbot_vendor": "acme-bot",
}


@dataclass
class Published:
    job_id: int
    eta: str | None


def memory_messages() -> list[tuple[dict, dict, Any]]:
    """(headers, properties, decoded body) of each message in kombu's in-memory default queue,
    in publishing order; every message is consumed."""
    out: list[tuple[dict, dict, Any]] = []
    with KombuConnection("memory://") as conn:
        queue = conn.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            out.append((message.headers, dict(message.properties), message.decode()))
            message.ack()
        queue.close()
    return out


def drain_memory_queue(task: str) -> list[tuple[list, str | None]]:
    """(args, eta) of each ``task`` message in the in-memory queue (all are consumed)."""
    return [
        (body[0], headers.get("eta"))
        for headers, _, body in memory_messages()
        if headers.get("task") == task
    ]


class MemoryBroker:
    """Reads the sync-job messages published to kombu's in-memory transport."""

    def drain(self) -> list[Published]:
        return [
            Published(args[0], eta)
            for args, eta in drain_memory_queue("syncs.engine.tasks.run_sync_job")
        ]


@pytest.fixture(autouse=True)
def broker():
    """Celery publishes to memory:// during these tests (never to the shared broker folder)."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport, conf.broker_transport_options)
    conf.broker_url, conf.broker_transport, conf.broker_transport_options = "memory://", None, {}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    memory = MemoryBroker()
    memory.drain()
    yield memory
    conf.broker_url, conf.broker_transport, conf.broker_transport_options = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def crm_a(world) -> Connection:
    return Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")


@pytest.fixture
def crm_b(world) -> Connection:
    return Connection.objects.create(client=world.client_b, provider="salesforce", kind="crm")


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Run a job as a worker would, with on-commit publishing executed (a test transaction
    never commits, so callbacks would otherwise be dropped)."""
    from syncs.engine.runs import sync_job_run
    from syncs.models import SyncJob

    def run(job, crm) -> SyncJob:
        with django_capture_on_commit_callbacks(execute=True):
            sync_job_run(job.pk, vendor=crm)
        return SyncJob.objects.get(pk=job.pk)

    return run
