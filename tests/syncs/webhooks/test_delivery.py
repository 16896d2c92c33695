"""Delivery outcomes, the retry schedule, claiming, and what the peer actually received."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks import models as webhook_models
from syncs.webhooks.models import DeliveryStatus, EndpointStatus, WebhookDelivery

pytestmark = pytest.mark.django_db


def _emit(world, event_type="lead.synced", payload=None) -> WebhookDelivery:
    message = services.emit(world.client_a, event_type, payload or {"lead_id": "ev_1"})
    return message.deliveries.get()


def test_it_marks_a_2xx_as_succeeded(world, peer, endpoint_a):
    peer.answer(204)
    d = _emit(world)
    now = timezone.now()
    delivery.deliver(d.pk, now=now)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SUCCEEDED
    assert (d.attempts, d.last_status_code, d.delivered_at) == (1, 204, now)
    assert d.next_attempt_at is None and d.response_time_ms is not None
    assert len(peer.requests) == 1


def test_it_retries_a_500_on_the_schedule_then_succeeds(world, peer, endpoint_a):
    peer.answer(500, b"database down")
    d = _emit(world)
    t0 = timezone.now()
    delivery.deliver(d.pk, now=t0)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED
    assert d.next_attempt_at == t0 + timedelta(seconds=5)
    assert d.last_error == "HTTP 500: database down"

    assert delivery.deliver(d.pk, now=t0 + timedelta(seconds=4)) is None  # not due yet
    assert len(peer.requests) == 1
    delivery.deliver(d.pk, now=t0 + timedelta(seconds=5))
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    assert len(peer.requests) == 2
    # The same message id on both attempts, so the receiver can deduplicate.
    assert peer.requests[0].headers["webhook-id"] == peer.requests[1].headers["webhook-id"]


def test_it_uses_a_countdown_only_while_it_fits_under_the_visibility_timeout(
    world, peer, endpoint_a, settings, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[float] = []
    from syncs.webhooks.tasks import deliver_webhook

    monkeypatch.setattr(
        deliver_webhook, "apply_async", lambda args, countdown: queued.append(countdown)
    )
    for _ in range(webhook_models.MAX_ATTEMPTS):
        peer.answer(503)
    d = _emit(world)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        while d.status != DeliveryStatus.DEAD:
            delivery.deliver(d.pk, now=now)
            d.refresh_from_db()
            now = d.next_attempt_at or now
    limit = settings.CELERY_MAX_COUNTDOWN
    expected = [
        s.total_seconds() for s in webhook_models.RETRY_SCHEDULE if s.total_seconds() <= limit
    ]
    assert queued == expected
    assert all(c <= limit for c in queued)
    assert len(expected) < len(webhook_models.RETRY_SCHEDULE)  # the longer gaps are the sweeper's


def test_it_spreads_attempts_over_about_three_days_then_gives_up(world, peer, endpoint_a):
    for _ in range(webhook_models.MAX_ATTEMPTS + 1):
        peer.answer(500)
    d = _emit(world)
    start = now = timezone.now()
    attempt_times = []
    while True:
        assert delivery.deliver(d.pk, now=now) is not None
        attempt_times.append(now)
        d.refresh_from_db()
        if d.next_attempt_at is None:
            break
        now = d.next_attempt_at
    assert d.status == DeliveryStatus.DEAD
    assert d.attempts == webhook_models.MAX_ATTEMPTS == len(peer.requests)
    span = attempt_times[-1] - start
    assert timedelta(days=2, hours=12) <= span <= timedelta(days=3, hours=12)
    assert delivery.deliver(d.pk, now=now + timedelta(days=30)) is None
    assert len(peer.requests) == webhook_models.MAX_ATTEMPTS


def test_it_disables_the_endpoint_on_410_and_attempts_nothing_more(world, peer, endpoint_a):
    endpoint, _ = endpoint_a
    first, second = _emit(world), _emit(world, "lead.failed")
    peer.answer(410)
    now = timezone.now()
    delivery.deliver(first.pk, now=now)
    endpoint.refresh_from_db()
    first.refresh_from_db()
    assert endpoint.status == EndpointStatus.DISABLED
    assert "410" in endpoint.disabled_reason
    assert first.status == DeliveryStatus.DEAD and first.next_attempt_at is None
    assert delivery.deliver(second.pk, now=now + timedelta(days=1)) is None
    assert delivery.deliver(first.pk, now=now + timedelta(days=1)) is None
    assert services.emit(world.client_a, "lead.synced", {}) is None
    assert len(peer.requests) == 1


def test_it_sends_a_delivery_claimed_twice_only_once(world, peer, endpoint_a):
    d = _emit(world)
    now = timezone.now()
    assert delivery.claim(d.pk, now) is not None
    assert delivery.claim(d.pk, now) is None
    assert delivery.deliver(d.pk, now=now) is None
    assert peer.requests == []


def test_it_sends_once_when_two_workers_race_for_the_same_message(
    world, peer, endpoint_a, transactional_db
):
    d = _emit(world)
    now = timezone.now()
    barrier = threading.Barrier(4)
    results: list[object] = []

    def work() -> None:
        from django.db import connection

        barrier.wait()
        try:
            results.append(delivery.deliver(d.pk, now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(peer.requests) == 1
    assert sum(r is not None for r in results) == 1


def test_it_frees_a_claim_whose_worker_died_after_the_lease(world, peer, endpoint_a):
    d = _emit(world)
    now = timezone.now()
    assert delivery.claim(d.pk, now) is not None  # the worker dies here
    assert delivery.due_for_sweep(now + webhook_models.CLAIM_LEASE) == []
    later = now + webhook_models.CLAIM_LEASE + delivery.SWEEP_GRACE
    assert delivery.due_for_sweep(later) == [d.pk]
    delivery.deliver(d.pk, now=later)
    assert len(peer.requests) == 1


def test_it_does_not_follow_redirects(world, peer, endpoint_a):
    peer.answer(302, Location=peer.url + "/elsewhere")
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED
    assert "redirect" in d.last_error
    assert [r.path for r in peer.requests] == ["/hooks"]


def test_it_records_a_connection_failure_and_retries(world, endpoint_a):
    endpoint, _ = endpoint_a
    endpoint.url = "http://127.0.0.1:9/nothing-listens"
    endpoint.save()
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and d.last_status_code is None
    assert d.last_error.startswith("connection failed")


def test_it_keeps_secrets_out_of_logs_and_the_delivery_log(world, peer, endpoint_a, caplog):
    endpoint, secret = endpoint_a
    new_secret = services.endpoint_rotate_secret(endpoint=endpoint)
    peer.answer(500, f"bad signature for key {secret}".encode())
    caplog.set_level(logging.DEBUG)
    d = _emit(world)
    delivery.deliver(d.pk, now=timezone.now())
    d.refresh_from_db()
    assert d.last_error.startswith("HTTP 500")
    assert d.message.public_id in caplog.text  # the attempt was logged
    for value in (secret, new_secret, secret.removeprefix("whsec_")):
        assert value not in d.last_error
        assert value not in caplog.text
        assert value not in str(d.message.payload)


def test_it_stores_secrets_encrypted(world, endpoint_a):
    from django.db import connection

    endpoint, secret = endpoint_a
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM syncs_webhookendpoint WHERE id = %s", [endpoint.pk])
        (stored,) = cursor.fetchone()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
