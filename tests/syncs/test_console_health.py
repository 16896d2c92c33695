"""The console's client list leads with health: per client and per connection, status, last
successful sync, errors and held leads of the last 24 h, a grant that needs re-consent, and a
needs-attention filter, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.models import Connection, ConnectionIssue
from syncs.metrics.health import clients_health
from syncs.models import AiEvent, JobStatus, SyncJob
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookMessage
from tenants.models import Client

pytestmark = pytest.mark.django_db

TOKEN = "tok-health-secret-9191"


def connect(client: Client, provider: str = "hubspot", kind: str = "crm", **extra) -> Connection:
    return Connection.objects.create(
        client=client, provider=provider, kind=kind, access_token=TOKEN, **extra
    )


def job(client: Client, connection: Connection | None, status: str, *, age=timedelta(0), **extra):
    """A job of an event received ``age`` ago, in ``status``."""
    when = timezone.now() - age
    event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
    AiEvent.objects.filter(pk=event.pk).update(received_at=when)
    row = SyncJob.objects.create(
        client=client,
        event=event,
        connection=connection,
        provider=connection.provider if connection else "",
        status=status,
        **extra,
    )
    # A job runs only once published (the outbox or intake stamps it), so a synced one has it.
    SyncJob.objects.filter(pk=row.pk).update(created_at=when, published_at=when)
    return row


def row_of(body: str, row_id: str) -> str:
    match = re.search(rf'<tr[^>]*id="{row_id}".*?</tr>', body, re.S)
    assert match, f"no row {row_id}"
    return match.group(0)


def test_it_shows_each_connections_last_sync_errors_and_held_leads(client, world, owner):
    hubspot = connect(world.client_a)
    synced_at = timezone.now() - timedelta(hours=3)
    job(world.client_a, hubspot, JobStatus.SYNCED, finished_at=synced_at)
    job(world.client_a, hubspot, JobStatus.SYNCED, finished_at=synced_at - timedelta(days=2))
    job(world.client_a, hubspot, JobStatus.DEAD)
    job(world.client_a, hubspot, JobStatus.FAILED)
    job(world.client_a, hubspot, JobStatus.DEAD, age=timedelta(hours=30))  # not in 24 h
    job(world.client_a, hubspot, JobStatus.NEEDS_REVIEW)
    client.force_login(owner)

    body = client.get("/console/").content.decode()

    hub = row_of(body, "health-alpha-hubspot")
    assert "HubSpot" in hub and "Connected" in hub
    assert timezone.localtime(synced_at).strftime("%Y-%m-%d %H:%M") in hub
    assert re.search(r'class="errors-24h">2<', hub)
    assert re.search(r'class="held-24h">1<', hub)
    assert TOKEN not in body


def test_it_counts_failed_webhook_deliveries_as_client_errors(world):
    endpoint = WebhookEndpoint.objects.create(
        client=world.client_a, url="https://hooks.example.net/x", secret="s"
    )
    message = WebhookMessage.objects.create(client=world.client_a, event_type="lead.synced")
    WebhookDelivery.objects.create(
        client=world.client_a, endpoint=endpoint, message=message, status=DeliveryStatus.DEAD
    )
    connect(world.client_a)

    (alpha,) = clients_health([world.client_a])

    assert alpha.webhook_errors_24h == 1 and alpha.errors_24h == 1
    assert alpha.needs_attention


def test_it_flags_a_grant_that_will_need_reconsent(client, world, owner):
    soon = timezone.now() + timedelta(days=5)
    connect(world.client_a, refresh_token_expires_at=soon)
    connect(world.client_b, provider="salesforce", refresh_token_expires_at=soon + timedelta(90))
    client.force_login(owner)

    body = client.get("/console/").content.decode()

    alpha = row_of(body, "health-alpha-hubspot")
    assert "<strong>by " in alpha and timezone.localtime(soon).strftime("%Y-%m-%d") in alpha
    bravo = row_of(body, "health-bravo-salesforce")
    assert "<strong>" not in bravo.split('class="reconsent"')[1]
    (alpha_health, bravo_health) = clients_health([world.client_a, world.client_b])
    assert alpha_health.needs_attention and not bravo_health.needs_attention


def test_it_says_reconnect_now_for_a_dead_grant(client, world, owner):
    connect(world.client_a, status="needs_reauth")
    client.force_login(owner)

    body = client.get("/console/").content.decode()

    assert "Reconnect now" in row_of(body, "health-alpha-hubspot")


def test_the_needs_attention_filter_keeps_only_clients_that_need_it(client, world, owner):
    hubspot = connect(world.client_a)
    ConnectionIssue.objects.create(
        client=world.client_a, connection=hubspot, kind="rate_limited", message="429s"
    )
    healthy = connect(world.client_b, provider="salesforce")
    job(world.client_b, healthy, JobStatus.SYNCED, finished_at=timezone.now())
    client.force_login(owner)

    everyone = client.get("/console/").content.decode()
    attention = client.get("/console/?attention=1").content.decode()

    assert "Alpha Dental" in everyone and "Bravo Bakery" in everyone
    assert "Alpha Dental" in attention and "Bravo Bakery" not in attention
    assert "Rate limited" in row_of(attention, "health-alpha-hubspot")


def test_a_lead_held_for_days_still_needs_attention(client, world, owner):
    hubspot = connect(world.client_a)
    job(world.client_a, hubspot, JobStatus.NEEDS_REVIEW, age=timedelta(days=3))
    client.force_login(owner)

    body = client.get("/console/?attention=1").content.decode()

    assert "Alpha Dental" in body
    assert re.search(
        r'class="held-24h">0 <small>\(1 waiting in all\)', row_of(body, "health-alpha-hubspot")
    )


def test_a_client_whose_crm_is_not_connected_needs_attention(world):
    (alpha,) = clients_health([world.client_a])  # crm_provider is hubspot, nothing connected

    assert alpha.missing == ["crm"] and alpha.needs_attention


def test_the_list_shows_no_other_agencys_clients(client, world, outsider_staff):
    connect(world.client_a)
    client.force_login(outsider_staff)

    body = (
        client.get("/console/?attention=1").content.decode()
        + client.get("/console/").content.decode()
    )

    assert "Alpha Dental" not in body and "Bravo Bakery" not in body and "HubSpot" not in body


def _queries_for_home(client) -> int:
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get("/console/").status_code == 200
    return len(queries)


def test_it_takes_the_same_number_of_queries_for_many_clients(client, world, owner):
    client.force_login(owner)
    for c in (world.client_a, world.client_b):
        conn = connect(c, provider="hubspot")
        job(c, conn, JobStatus.SYNCED, finished_at=timezone.now())
    few = _queries_for_home(client)

    for n in range(6):
        extra = Client.objects.create(agency=world.agency, name=f"Extra {n}", slug=f"extra-{n}")
        for provider, kind in (("hubspot", "crm"), ("google", "calendar")):
            conn = connect(extra, provider=provider, kind=kind)
            ConnectionIssue.objects.create(
                client=extra, connection=conn, kind="limited", message="less protection"
            )
            job(extra, conn, JobStatus.DEAD)
    many = _queries_for_home(client)

    assert many == few


def test_it_says_none_in_30_days_past_the_window(client, world, owner):
    hubspot = connect(world.client_a)
    old = timezone.now() - timedelta(days=40)
    job(world.client_a, hubspot, JobStatus.SYNCED, age=timedelta(days=40), finished_at=old)
    job(world.client_a, hubspot, JobStatus.NEEDS_REVIEW, age=timedelta(days=40))
    client.force_login(owner)

    body = client.get("/console/").content.decode()

    hub = row_of(body, "health-alpha-hubspot")
    assert "none in 30 days" in hub and old.strftime("%Y-%m-%d") not in hub
    assert "(1 waiting in all)" in hub  # a lead held for weeks is still counted


def test_no_query_reads_a_clients_whole_job_history(world):
    """Every lead leaves a synced job for good: each job query is led by a status (the
    (status, published_at) index) and the synced one bounded to the window."""
    hubspot = connect(world.client_a)
    job(world.client_a, hubspot, JobStatus.SYNCED, finished_at=timezone.now())
    with CaptureQueriesContext(db_connection) as queries:
        [alpha] = clients_health([world.client_a])
    assert alpha.last_synced_at is not None
    table = SyncJob._meta.db_table
    wheres = [
        q["sql"].split(" WHERE ", 1)[1].split(" GROUP BY ")[0]
        for q in queries.captured_queries
        if f'FROM "{table}"' in q["sql"]
    ]
    assert len(wheres) == 2, wheres
    assert all('"status" IN' in where for where in wheres), wheres
    assert any('"published_at" >=' in where for where in wheres), wheres
