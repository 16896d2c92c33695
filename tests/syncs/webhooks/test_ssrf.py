"""Webhook targets pointing inside are refused at creation and again at each delivery."""

from __future__ import annotations

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks.models import DeliveryStatus
from syncs.webhooks.ssrf import UnsafeUrl, check_url

HOSTILE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://localhost:8000/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.8/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[2002:7f00:1::]/",
    "ftp://93.184.216.34/",
    "file:///etc/passwd",
    "gopher://93.184.216.34/",
    "http://user:pw@93.184.216.34/",
    "http:///no-host",
    "http://93.184.216.34:99999/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_it_refuses_hostile_urls(url):
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_private=False)


def test_it_accepts_a_public_address():
    check_url("https://93.184.216.34/hooks", allow_private=False)


def test_allow_private_urls_never_lifts_the_scheme_check():
    with pytest.raises(UnsafeUrl):
        check_url("file:///etc/passwd", allow_private=True)


@pytest.mark.django_db
def test_it_refuses_to_send_when_the_target_now_resolves_inside(world, peer, settings):
    services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
    d = services.emit(world.client_a, "lead.synced", {}).deliveries.get()
    settings.ALLOW_PRIVATE_URLS = False
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert peer.requests == []
    assert d.status == DeliveryStatus.FAILED and d.last_error.startswith("refused")
