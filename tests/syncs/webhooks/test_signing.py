"""Signatures a receiver can verify from the Standard Webhooks specification alone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services, signing
from syncs.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

TOLERANCE_S = 5 * 60


def spec_verify(secret: str, headers: dict[str, str], body: bytes, now: int) -> bool:
    """An independent verifier written from the spec's "Verifying webhooks" text."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > TOLERANCE_S:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    passed = [
        entry.split(",", 1)[1]
        for entry in headers["webhook-signature"].split(" ")
        if entry.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, sig) for sig in passed)


def test_it_reproduces_the_standard_webhooks_test_vector():
    # The specification's published example (also used by every official library's tests).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signature = signing.sign(
        secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_it_generates_secrets_in_the_whsec_format_with_enough_bytes():
    secret = signing.generate_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    assert secret != signing.generate_secret()


def test_it_sends_a_body_an_independent_verifier_accepts(world, peer, endpoint_a):
    _endpoint, secret = endpoint_a
    message = services.emit(world.client_a, "lead.synced", {"lead_id": "ev_1", "crm_id": "901"})
    now = timezone.now()
    delivery.deliver(message.deliveries.get().pk, now=now)

    (received,) = peer.requests
    assert spec_verify(secret, received.headers, received.body, int(now.timestamp()))
    assert received.headers["webhook-id"] == message.public_id
    assert received.headers["webhook-timestamp"] == str(int(now.timestamp()))
    envelope = json.loads(received.body)
    assert envelope["type"] == "lead.synced"
    assert envelope["data"] == {"lead_id": "ev_1", "crm_id": "901"}


def test_it_fails_verification_with_another_secret_or_a_changed_body(world, peer, endpoint_a):
    message = services.emit(world.client_a, "lead.synced", {"lead_id": "ev_1"})
    now = timezone.now()
    delivery.deliver(message.deliveries.get().pk, now=now)
    (received,) = peer.requests
    ts = int(now.timestamp())
    assert not spec_verify(signing.generate_secret(), received.headers, received.body, ts)
    assert not spec_verify(endpoint_a[1], received.headers, received.body + b" ", ts)


def test_it_signs_with_both_secrets_during_a_rotation(world, peer, endpoint_a):
    endpoint, old = endpoint_a
    new = services.endpoint_rotate_secret(endpoint=endpoint)
    message = services.emit(world.client_a, "lead.needs_review", {"lead_id": "ev_2"})
    now = timezone.now()
    delivery.deliver(message.deliveries.get().pk, now=now)

    (received,) = peer.requests
    entries = received.headers["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(e.startswith("v1,") for e in entries)
    ts = int(now.timestamp())
    assert spec_verify(new, received.headers, received.body, ts)
    assert spec_verify(old, received.headers, received.body, ts)


def test_it_drops_the_old_secret_after_24_hours(world, endpoint_a):
    endpoint, _old = endpoint_a
    rotated_at = timezone.now() - services.ROTATION_GRACE - timezone.timedelta(seconds=1)
    new = services.endpoint_rotate_secret(endpoint=endpoint, now=rotated_at)
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.signing_secrets() == [new]
