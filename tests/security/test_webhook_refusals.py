"""A delivery the SSRF guard refuses is dead-lettered at once, with the reason in the log.

The probe saw such a delivery retried for three days: it can only be refused again.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks.models import DeliveryStatus, WebhookEndpoint

from ..conftest import bearer

pytestmark = pytest.mark.django_db


def test_it_dead_letters_a_delivery_refused_by_the_ssrf_check(
    world, peer, settings, api, django_capture_on_commit_callbacks
):
    endpoint, _ = services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
    d = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    settings.ALLOW_PRIVATE_URLS = False  # the target (127.0.0.1) now counts as inside
    with django_capture_on_commit_callbacks() as queued:
        delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert peer.requests == [] and queued == []  # nothing sent, no retry queued
    assert d.status == DeliveryStatus.DEAD and d.next_attempt_at is None and d.attempts == 1
    assert "private, loopback or reserved" in d.last_error
    assert delivery.due_for_sweep(timezone.now() + timezone.timedelta(days=4)) == []

    log = api.get(
        f"/api/v1/webhook-endpoints/{endpoint.public_id}/deliveries", **bearer(world.key_a)
    ).json()
    rows = log["results"] if isinstance(log, dict) else log
    assert rows[0]["status"] == "dead" and "private, loopback" in rows[0]["last_error"]


def test_a_host_that_does_not_resolve_is_still_retried(world, settings):
    endpoint, _ = services.endpoint_create(
        client=world.client_a, url="https://hooks.example.com/in", event_types=["*"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://no-such-host.invalid/in")
    d = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    settings.ALLOW_PRIVATE_URLS = False
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and d.next_attempt_at is not None
    assert "does not resolve" in d.last_error
