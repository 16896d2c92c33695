"""Shared set-up for the sync console tests: a client with a synced lead, a lead held for
review and a shadow-mode record, and a connection whose token must never be rendered."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.models import Connection
from syncs.models import ExternalRecord, SyncJob

from .rollback_helpers import UndoCrm, sync_lead

SECRET_TOKEN = "tok-very-secret-4242"
SECRET_REFRESH = "refresh-very-secret-4343"


@dataclass
class Scene:
    connection: Connection
    crm: UndoCrm
    synced: SyncJob
    held: SyncJob


def scene(world) -> Scene:
    connection = Connection.objects.create(
        client=world.client_a,
        provider="hubspot",
        kind="crm",
        access_token=SECRET_TOKEN,
        refresh_token=SECRET_REFRESH,
    )
    crm = UndoCrm()
    synced = sync_lead(world.client_a, crm)
    held = sync_lead(world.client_a, crm, phone="12", email="not-an-email", chatbot_session_id="s9")
    ExternalRecord.objects.create(
        client=world.client_a,
        provider="hubspot",
        object_type="contact",
        action="would_create",
        values={"email": "shadow@example.com"},
    )
    return Scene(
        connection, crm, SyncJob.objects.get(pk=synced.pk), SyncJob.objects.get(pk=held.pk)
    )


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    body = response.content.decode()
    assert SECRET_TOKEN not in body and SECRET_REFRESH not in body
    return body
