"""The client list, led by health, in a real browser against the real server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Connection
from syncs.models import AiEvent, JobStatus, SyncJob

from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_health_and_filters_to_clients_needing_attention(page, live_server, world, owner):
    for client, status in ((world.client_a, JobStatus.DEAD), (world.client_b, JobStatus.SYNCED)):
        connection = Connection.objects.create(
            client=client,
            provider=client.crm_provider,
            kind="crm",
            refresh_token_expires_at=timezone.now() + timedelta(days=60),
        )
        event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
        SyncJob.objects.create(
            client=client,
            event=event,
            connection=connection,
            provider=connection.provider,
            status=status,
            published_at=timezone.now(),  # as the intake's outbox stamps every job it queues
            finished_at=timezone.now(),
        )
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, live_server.url, owner.email)

    alpha = page.locator("#health-alpha-hubspot")
    assert alpha.locator(".errors-24h").inner_text() == "1"
    assert "Needs attention" in page.locator("#client-alpha .health-status").inner_text()
    assert "Healthy" in page.locator("#client-bravo .health-status").inner_text()
    assert page.locator("#health-bravo-salesforce .last-sync").inner_text() != "none in 30 days"

    page.click("#health-filter >> text=Needs attention")
    page.wait_for_url("**/console/?attention=1")
    assert page.locator("#client-alpha").count() == 1
    assert page.locator("#client-bravo").count() == 0
    # The monthly audit of the client that needs attention, under the same policy.
    page.click("#client-alpha >> text=Alpha Dental")
    page.click("nav.sections >> text=Monthly audit")
    assert (
        "Sync latency against the 5-second target" in page.locator("#audit-checklist").inner_text()
    )
    assert not refused, refused
