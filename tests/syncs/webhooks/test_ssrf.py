"""Webhook targets pointing inside are refused at creation and again at each delivery."""

from __future__ import annotations

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks.models import DeliveryStatus

# The full hostile-URL corpus is tests/connectors/test_ssrf.py; these are the webhook paths to it.
HOSTILE = [
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://10.0.0.8/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/",
    "ftp://93.184.216.34/",
    "http://user:pw@93.184.216.34/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_it_refuses_hostile_webhook_targets(url, settings):
    settings.ALLOW_PRIVATE_URLS = False
    settings.DEBUG = True  # so plain http is not what refuses them
    with pytest.raises(services.InvalidTarget):
        services.validate_target_url(url)


def test_it_accepts_a_public_https_target(settings):
    settings.ALLOW_PRIVATE_URLS = False
    services.validate_target_url("https://93.184.216.34/hooks")


@pytest.mark.django_db
def test_it_refuses_to_send_when_the_target_now_resolves_inside(world, peer, settings):
    services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
    d = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    settings.ALLOW_PRIVATE_URLS = False
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert peer.requests == []
    assert d.status == DeliveryStatus.DEAD and d.last_error.startswith("refused")
