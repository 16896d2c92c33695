"""The delivery log's retry and redeliver: staff send one more attempt of a message, the peer
receives it with the same webhook-id, the attempt is recorded and the action audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import AuditEntry
from syncs.webhooks import delivery, services
from syncs.webhooks import models as webhook_models
from syncs.webhooks.models import DeliveryStatus, WebhookDelivery
from syncs.webhooks.tasks import deliver_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Queued deliveries run in this process when the request's transaction commits (the
    real task, as a worker would run it)."""

    def run(args: tuple, countdown: float | None = None) -> None:
        deliver_webhook(*args)

    # The engine publishes with apply_async (syncs.engine.jobs.publish_now).
    monkeypatch.setattr(deliver_webhook, "apply_async", run)

    def post(client, url):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url)

    return post


def _emit(world) -> WebhookDelivery:
    return services.emit(world.client_a, "lead.synced", {"lead_id": "ev_9"}).deliveries.get()


def _resend_url(world, d: WebhookDelivery) -> str:
    return f"/console/clients/{world.client_a.public_id}/webhooks/deliveries/{d.pk}/resend"


def _kill(d: WebhookDelivery, peer) -> None:
    """Fail every scheduled attempt until the delivery is dead."""
    for _ in range(webhook_models.MAX_ATTEMPTS):
        peer.answer(503)
    now = timezone.now() - timedelta(days=4)
    while d.status != DeliveryStatus.DEAD:
        delivery.deliver(d.pk, now=now)
        d.refresh_from_db()
        now = d.next_attempt_at or now


def test_an_operator_retries_a_dead_delivery(client, world, operator, peer, endpoint_a, run_tasks):
    d = _emit(world)
    _kill(d, peer)
    sent = len(peer.requests)
    client.force_login(operator)

    response = run_tasks(client, _resend_url(world, d))

    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == webhook_models.MAX_ATTEMPTS + 1
    assert len(peer.requests) == sent + 1
    assert peer.requests[-1].headers["webhook-id"] == d.message.public_id
    entry = AuditEntry.objects.get(action="webhook.retried")
    assert entry.actor == "staff:operator@northwind.example"
    assert entry.details["previous_status"] == "dead" and entry.client == world.client_a


def test_a_failed_retry_of_a_spent_delivery_leaves_it_dead(
    client, world, operator, peer, endpoint_a, run_tasks
):
    d = _emit(world)
    _kill(d, peer)
    peer.answer(500, b"still down")
    client.force_login(operator)

    run_tasks(client, _resend_url(world, d))

    d.refresh_from_db()
    assert d.status == DeliveryStatus.DEAD and d.last_error == "HTTP 500: still down"


def test_it_retries_a_failed_delivery_before_its_scheduled_time(
    client, world, operator, peer, endpoint_a, run_tasks
):
    d = _emit(world)
    peer.answer(500)
    delivery.deliver(d.pk, now=timezone.now())
    WebhookDelivery.objects.filter(pk=d.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=2)
    )
    client.force_login(operator)

    run_tasks(client, _resend_url(world, d))

    d.refresh_from_db()
    assert d.status == DeliveryStatus.SUCCEEDED and len(peer.requests) == 2


def test_it_redelivers_a_delivered_message_with_the_same_id(
    client, world, operator, peer, endpoint_a, run_tasks
):
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    client.force_login(operator)

    run_tasks(client, _resend_url(world, d))

    d.refresh_from_db()
    assert d.status == DeliveryStatus.SUCCEEDED and d.attempts == 2
    assert [r.headers["webhook-id"] for r in peer.requests] == [d.message.public_id] * 2
    assert peer.requests[0].body == peer.requests[1].body
    assert AuditEntry.objects.filter(action="webhook.redelivered").count() == 1


def test_it_does_not_send_while_an_attempt_is_under_way(
    client, world, operator, peer, endpoint_a, run_tasks
):
    d = _emit(world)
    peer.answer(500)
    delivery.deliver(d.pk, now=timezone.now())
    assert delivery.claim(d.pk, timezone.now() + timedelta(seconds=10)) is not None  # in flight
    client.force_login(operator)

    response = run_tasks(client, _resend_url(world, d))

    assert "An attempt is under way" in client.get(response["Location"]).content.decode()
    assert len(peer.requests) == 1 and not AuditEntry.objects.filter(action="webhook.retried")


def test_it_does_not_send_to_a_disabled_endpoint(
    client, world, operator, peer, endpoint_a, run_tasks
):
    endpoint, _ = endpoint_a
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    services.endpoint_set_enabled(endpoint=endpoint, enabled=False, reason="test")
    client.force_login(operator)

    response = run_tasks(client, _resend_url(world, d))

    assert "endpoint is disabled" in client.get(response["Location"]).content.decode()
    assert len(peer.requests) == 1


def test_a_viewer_may_not_resend_and_sees_no_button(
    client, world, viewer, peer, endpoint_a, run_tasks
):
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    client.force_login(viewer)

    assert run_tasks(client, _resend_url(world, d)).status_code == 403
    page = client.get(f"/console/clients/{world.client_a.public_id}/webhooks/").content.decode()
    assert "Redeliver</button>" not in page and len(peer.requests) == 1


def test_it_will_not_resend_another_clients_delivery(client, world, owner, peer, run_tasks):
    services.endpoint_create(client=world.client_b, url=peer.url, event_types=["*"])
    d = services.emit(world.client_b, "lead.synced", {}).deliveries.get()
    delivery.deliver(d.pk, now=timezone.now())
    client.force_login(owner)

    assert run_tasks(client, _resend_url(world, d)).status_code == 404
    assert len(peer.requests) == 1


def test_the_log_filters_by_status_and_endpoint_and_offers_the_right_action(
    client, world, operator, peer, endpoint_a
):
    endpoint, _ = endpoint_a
    ok = _emit(world)
    delivery.deliver(ok.pk, now=timezone.now())
    failing = _emit(world)
    peer.answer(502, b"bad gateway")
    delivery.deliver(failing.pk, now=timezone.now())
    client.force_login(operator)
    base = f"/console/clients/{world.client_a.public_id}/webhooks/"

    everything = client.get(base).content.decode()
    failed = client.get(base + "?status=failed").content.decode()
    by_endpoint = client.get(f"{base}?endpoint={endpoint.public_id}").content.decode()

    assert f'id="delivery-{ok.pk}"' in everything and f'id="delivery-{failing.pk}"' in everything
    assert f'id="delivery-{ok.pk}"' not in failed and f'id="delivery-{failing.pk}"' in failed
    assert "Retry now</button>" in failed and "Redeliver</button>" not in failed
    assert "Redeliver</button>" in everything
    assert f'id="delivery-{ok.pk}"' in by_endpoint


def _recover_url(world, endpoint) -> str:
    return f"/console/clients/{world.client_a.public_id}/webhooks/{endpoint.public_id}/recover"


def post_form(client, url, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data)


def test_it_retries_every_failed_delivery_of_an_endpoint_at_once(
    client, world, operator, peer, endpoint_a, run_tasks, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_a
    dead = [_emit(world) for _ in range(2)]
    for d in dead:
        _kill(d, peer)
    delivered = _emit(world)
    delivery.deliver(delivered.pk, now=timezone.now())
    old = _emit(world)
    _kill(old, peer)
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    sent = len(peer.requests)
    client.force_login(operator)

    url = _recover_url(world, endpoint)
    response = post_form(client, url, {"since": "24h"}, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert len(peer.requests) == sent + 2  # the two dead ones of the last 24 h, nothing else
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert [statuses[d.pk] for d in dead] == ["succeeded", "succeeded"]
    assert statuses[old.pk] == "dead" and statuses[delivered.pk] == "succeeded"
    entry = AuditEntry.objects.get(action="webhook.recovered")
    assert entry.details["deliveries"] == 2 and entry.actor == "staff:operator@northwind.example"


def test_recovering_needs_the_operate_role_and_a_known_period(
    client, world, viewer, operator, peer, endpoint_a, run_tasks, django_capture_on_commit_callbacks
):
    endpoint, _ = endpoint_a
    d = _emit(world)
    _kill(d, peer)
    sent = len(peer.requests)
    url = _recover_url(world, endpoint)

    client.force_login(viewer)
    refused = post_form(client, url, {"since": "24h"}, django_capture_on_commit_callbacks)
    client.force_login(operator)
    unknown = post_form(client, url, {"since": "forever"}, django_capture_on_commit_callbacks)

    assert refused.status_code == 403 and unknown.status_code == 400
    assert len(peer.requests) == sent and not AuditEntry.objects.filter(action="webhook.recovered")
