"""The webhook-endpoint API: secrets shown once, rotation, the delivery log, ping, bad input."""

from __future__ import annotations

import pytest
from django.utils import timezone

from syncs.webhooks import delivery, services
from syncs.webhooks.models import EndpointStatus, WebhookEndpoint

from ...conftest import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhook-endpoints"


def _create(api, world, peer, **body):
    body = {"url": peer.url, "event_types": ["lead.synced"], **body}
    return api.post(BASE, body, format="json", **bearer(world.key_a))


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_it_creates_an_endpoint_and_shows_the_secret_once(api, world, peer):
    response = _create(api, world, peer, description="site bot")
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get(public_id=body["id"])
    assert endpoint.secret == secret and endpoint.client == world.client_a

    auth = bearer(world.key_a)
    seen = [
        api.get(BASE, **auth),
        api.get(f"{BASE}/{body['id']}", **auth),
        api.patch(f"{BASE}/{body['id']}", {"description": "x"}, format="json", **auth),
        api.get(f"{BASE}/{body['id']}/deliveries", **auth),
        api.post(f"{BASE}/{body['id']}/test", **auth),
    ]
    for response in seen:
        assert response.status_code < 300
        assert secret.removeprefix("whsec_") not in response.content.decode()
        assert "whsec_" not in response.content.decode()


def test_it_rotates_the_secret_keeping_the_old_one_for_a_day(api, world, peer):
    created = _create(api, world, peer).json()
    response = api.post(f"{BASE}/{created['id']}/rotate-secret", **bearer(world.key_a))
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new.startswith("whsec_") and new != created["secret"]
    endpoint = WebhookEndpoint.objects.get(public_id=created["id"])
    assert endpoint.signing_secrets() == [new, created["secret"]]
    detail = api.get(f"{BASE}/{created['id']}", **bearer(world.key_a)).json()
    assert detail["previous_secret_expires_at"] is not None


def test_it_updates_and_deletes_an_endpoint(api, world, peer):
    created = _create(api, world, peer).json()
    url = f"{BASE}/{created['id']}"
    body = api.patch(
        url, {"event_types": ["*"], "enabled": False}, format="json", **bearer(world.key_a)
    ).json()
    assert body["event_types"] == ["*"] and body["status"] == EndpointStatus.DISABLED
    assert api.delete(url, **bearer(world.key_a)).status_code == 204
    assert api.get(url, **bearer(world.key_a)).status_code == 404


def test_it_pages_the_delivery_log(api, world, peer):
    endpoint, _ = services.endpoint_create(client=world.client_a, url=peer.url, event_types=["*"])
    for n in range(3):
        services.emit(world.client_a, "lead.synced", {"n": n})
    first = endpoint.deliveries.order_by("pk").first()
    peer.answer(500, b"try later")
    delivery.deliver(first.pk, now=timezone.now())

    url = f"{BASE}/{endpoint.public_id}/deliveries?page_size=2"
    page = api.get(url, **bearer(world.key_a)).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    rest = api.get(page["next"], **bearer(world.key_a)).json()
    (oldest,) = rest["results"]
    assert oldest["status"] == "failed" and oldest["attempts"] == 1
    assert oldest["last_status_code"] == 500 and oldest["last_error"] == "HTTP 500: try later"
    assert oldest["event_type"] == "lead.synced" and oldest["message_id"].startswith("msg_")


def test_it_sends_a_ping_on_test(api, world, peer):
    created = _create(api, world, peer).json()  # subscribed to lead.synced only
    response = api.post(f"{BASE}/{created['id']}/test", **bearer(world.key_a))
    assert response.status_code == 202
    delivery.deliver(response.json()["delivery_id"], now=timezone.now())
    (received,) = peer.requests
    assert b'"type":"ping"' in received.body
    assert received.headers["webhook-id"] == response.json()["message_id"]


def test_it_refuses_a_test_on_a_disabled_endpoint(api, world, peer):
    created = _create(api, world, peer).json()
    api.patch(f"{BASE}/{created['id']}", {"enabled": False}, format="json", **bearer(world.key_a))
    _problem(api.post(f"{BASE}/{created['id']}/test", **bearer(world.key_a)), 409)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "not a url", "event_types": ["lead.synced"]},
        {"url": "https://bots.example.com/h", "event_types": []},
        {"url": "https://bots.example.com/h", "event_types": ["lead.exploded"]},
        {"url": "https://bots.example.com/h", "event_types": "lead.synced"},
        {"url": "ftp://bots.example.com/h", "event_types": ["*"]},
        {"url": "https://user:pw@bots.example.com/h", "event_types": ["*"]},
        {"url": "https://bots.example.com/h", "event_types": ["*"], "description": "d" * 300},
    ],
)
def test_it_answers_bad_input_with_problem_json(api, world, body):
    problem = _problem(api.post(BASE, body, format="json", **bearer(world.key_a)), 400)
    assert problem["type"] == "/problems/validation-error"
    assert WebhookEndpoint.objects.count() == 0


def test_it_answers_a_bad_patch_with_problem_json(api, world, peer):
    created = _create(api, world, peer).json()
    url = f"{BASE}/{created['id']}"
    for body in ({"event_types": ["nope"]}, {"url": "gopher://x"}, {"enabled": "maybe"}):
        _problem(api.patch(url, body, format="json", **bearer(world.key_a)), 400)


def test_it_requires_https_outside_development(api, world, settings):
    settings.ALLOW_PRIVATE_URLS = False
    settings.DEBUG = False
    body = {"url": "http://93.184.216.34/h", "event_types": ["*"]}
    problem = _problem(api.post(BASE, body, format="json", **bearer(world.key_a)), 400)
    assert "https" in str(problem["errors"]["url"])


def test_it_refuses_an_inside_address_at_creation(api, world, settings):
    settings.ALLOW_PRIVATE_URLS = False
    body = {"url": "https://169.254.169.254/latest/meta-data", "event_types": ["*"]}
    problem = _problem(api.post(BASE, body, format="json", **bearer(world.key_a)), 400)
    assert "private" in str(problem["errors"]["url"])


def test_it_needs_an_api_key(api):
    _problem(api.get(BASE), 401)


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/rotate-secret"),
        ("get", "/deliveries"),
        ("post", "/test"),
    ],
)
def test_it_hides_other_clients_endpoints(api, world, peer, method, suffix):
    theirs, secret = services.endpoint_create(
        client=world.client_b, url=peer.url + "/bravo-only", event_types=["*"]
    )
    services.emit(world.client_b, "lead.synced", {"secret_lead": "bravo-lead-42"})
    url = f"{BASE}/{theirs.public_id}{suffix}"
    body = None if method == "get" else {"enabled": False}  # a GET's data is its query string
    response = getattr(api, method)(url, body, format="json", **bearer(world.key_a))
    _problem(response, 404)
    text = response.content.decode()
    for leak in ("bravo-only", "bravo-lead-42", secret, str(world.client_b.public_id)):
        assert leak not in text
    theirs.refresh_from_db()
    assert theirs.status == EndpointStatus.ENABLED and theirs.secret == secret
    assert peer.requests == []


def test_it_lists_only_the_callers_endpoints(api, world, peer):
    services.endpoint_create(client=world.client_b, url=peer.url + "/bravo", event_types=["*"])
    mine = _create(api, world, peer).json()
    listed = api.get(BASE, **bearer(world.key_a)).json()
    assert [e["id"] for e in listed] == [mine["id"]]


def test_the_schema_describes_every_operation(api):
    schema = api.get("/api/schema/?format=json").json()
    ops = {
        op["operationId"]
        for path, item in schema["paths"].items()
        if "webhook-endpoints" in path
        for op in item.values()
    }
    assert ops >= {
        "webhook_endpoints_list",
        "webhook_endpoints_create",
        "webhook_endpoints_retrieve",
        "webhook_endpoints_partial_update",
        "webhook_endpoints_destroy",
        "webhook_endpoints_rotate_secret",
        "webhook_endpoints_deliveries",
        "webhook_endpoints_test",
    }
