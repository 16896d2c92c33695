"""The staff console page: endpoints, the recent delivery log, enable/disable by role."""

from __future__ import annotations

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks.models import EndpointStatus

pytestmark = pytest.mark.django_db


def _page(world) -> str:
    return f"/console/clients/{world.client_a.public_id}/webhooks/"


def _toggle(world, endpoint) -> str:
    return f"{_page(world)}{endpoint.public_id}/toggle"


def test_it_lists_endpoints_and_the_delivery_log(client, world, peer, viewer, endpoint_a):
    _, secret = endpoint_a
    d = services.emit(world.client_a, "lead.needs_review", {"lead_id": "ev_7"}).deliveries.get()
    peer.answer(502, b"upstream sad")
    delivery.deliver(d.pk, now=timezone.now())
    client.force_login(viewer)
    page = client.get(_page(world)).content.decode()
    assert peer.url in page and "lead.needs_review" in page
    assert "failed" in page and "HTTP 502: upstream sad" in page and ">502<" in page
    assert secret not in page and "whsec_" not in page
    assert "Disable</button>" not in page  # viewers cannot change anything


def test_it_lets_an_operator_disable_and_enable(client, world, operator, endpoint_a):
    endpoint, _ = endpoint_a
    client.force_login(operator)
    response = client.post(_toggle(world, endpoint), {"enabled": "0"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.DISABLED
    assert "operator@northwind.example" in endpoint.disabled_reason
    client.post(_toggle(world, endpoint), {"enabled": "1"})
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.ENABLED and endpoint.disabled_reason == ""


def test_it_refuses_a_viewer_the_toggle(client, world, viewer, endpoint_a):
    endpoint, _ = endpoint_a
    client.force_login(viewer)
    assert client.post(_toggle(world, endpoint), {"enabled": "0"}).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.status == EndpointStatus.ENABLED


def test_it_will_not_toggle_another_clients_endpoint(client, world, owner, peer):
    theirs, _ = services.endpoint_create(client=world.client_b, url=peer.url, event_types=["*"])
    client.force_login(owner)
    assert client.post(_toggle(world, theirs), {"enabled": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EndpointStatus.ENABLED


def test_it_hides_the_page_from_other_agencies(client, world, outsider_staff, endpoint_a):
    client.force_login(outsider_staff)
    assert client.get(_page(world)).status_code == 404
