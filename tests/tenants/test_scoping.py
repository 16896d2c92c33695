"""Every API route and console page is checked against other tenants' data.

A new route without an entry here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ..conftest import bearer

pytestmark = pytest.mark.django_db

# API routes and how to call them as client A; the body must not contain client B's data.
WEBHOOK_B = "00000000-0000-4000-8000-0000000000bb"  # client B's endpoint, made by the fixture
API_MATRIX: dict[str, str] = {
    "api/v1/me": "/api/v1/me",
    "api/v1/webhook-endpoints": "/api/v1/webhook-endpoints",
    "api/v1/webhook-endpoints/<uuid:endpoint_id>": f"/api/v1/webhook-endpoints/{WEBHOOK_B}",
    "api/v1/webhook-endpoints/<uuid:endpoint_id>/rotate-secret": (
        f"/api/v1/webhook-endpoints/{WEBHOOK_B}/rotate-secret"
    ),
    "api/v1/webhook-endpoints/<uuid:endpoint_id>/deliveries": (
        f"/api/v1/webhook-endpoints/{WEBHOOK_B}/deliveries"
    ),
    "api/v1/webhook-endpoints/<uuid:endpoint_id>/test": (
        f"/api/v1/webhook-endpoints/{WEBHOOK_B}/test"
    ),
    "api/v1/leads": "/api/v1/leads",
    "api/v1/events": "/api/v1/events",
    # Client B's own event ids are checked in tests/syncs/test_api_events.py.
    "api/v1/events/<uuid:event_id>": "/api/v1/events/00000000-0000-4000-8000-000000000000",
    # Client B's own services and bookings are checked in tests/syncs/calendar/bookings/test_api.py.
    "api/v1/availability": "/api/v1/availability",
    "api/v1/bookings": "/api/v1/bookings",
    "api/v1/bookings/<uuid:booking_id>": "/api/v1/bookings/00000000-0000-4000-8000-000000000000",
    "api/v1/bookings/<uuid:booking_id>/cancel": (
        "/api/v1/bookings/00000000-0000-4000-8000-000000000000/cancel"
    ),
    # POST only; client B's bookings are refused in tests/syncs/appointments/test_outcome_api.py.
    "api/v1/bookings/<uuid:booking_id>/outcome": (
        "/api/v1/bookings/00000000-0000-4000-8000-000000000000/outcome"
    ),
}
# Console routes taking a client id: staff of the outsider agency must get 404.
CONSOLE_MATRIX: dict[str, tuple[str, str]] = {
    "console/clients/<uuid:public_id>/": ("get", "/console/clients/{id}/"),
    "console/clients/<uuid:public_id>/keys": ("post", "/console/clients/{id}/keys"),
    "console/clients/<uuid:public_id>/keys/<int:key_id>/revoke": (
        "post",
        "/console/clients/{id}/keys/1/revoke",
    ),
    "console/clients/<uuid:public_id>/webhooks/": ("get", "/console/clients/{id}/webhooks/"),
    "console/clients/<uuid:public_id>/webhooks/<uuid:endpoint_id>/toggle": (
        "post",
        f"/console/clients/{{id}}/webhooks/{WEBHOOK_B}/toggle",
    ),
}
C = "console/clients/<uuid:public_id>/"
EVENT = "00000000-0000-4000-8000-000000000000"
CONSOLE_MATRIX.update(
    {
        C + "events/": ("get", "/console/clients/{id}/events/"),
        C + "events/<uuid:event_id>/": ("get", "/console/clients/{id}/events/" + EVENT + "/"),
        C + "review/": ("get", "/console/clients/{id}/review/"),
        C + "review/<int:job_id>/release": ("post", "/console/clients/{id}/review/1/release"),
        C + "mappings/": ("get", "/console/clients/{id}/mappings/"),
        C + "mappings/<int:connection_id>/": ("get", "/console/clients/{id}/mappings/1/"),
        C + "mappings/<int:connection_id>/rules/<int:index>/delete": (
            "post",
            "/console/clients/{id}/mappings/1/rules/0/delete",
        ),
        C + "audit/": ("get", "/console/clients/{id}/audit/"),
        C + "rollback/": ("post", "/console/clients/{id}/rollback/"),
        C + "rollback/<int:rollback_id>/": ("get", "/console/clients/{id}/rollback/1/"),
        C + "rollback/<int:rollback_id>/resume": (
            "post",
            "/console/clients/{id}/rollback/1/resume",
        ),
        C + "metrics/": ("get", "/console/clients/{id}/metrics/"),
        C + "bookings/<uuid:booking_id>/outcome": (
            "post",
            "/console/clients/{id}/bookings/" + EVENT + "/outcome",
        ),
        C + "monthly-audit/": ("get", "/console/clients/{id}/monthly-audit/"),
        C + "shadow/": ("get", "/console/clients/{id}/shadow/"),
        C + "shadow/<int:connection_id>/switch": (
            "post",
            "/console/clients/{id}/shadow/1/switch",
        ),
        C + "duplicates/": ("get", "/console/clients/{id}/duplicates/"),
        C + "duplicates/<int:candidate_id>/merge": (
            "get",
            "/console/clients/{id}/duplicates/1/merge",
        ),
        C + "duplicates/<int:candidate_id>/<slug:decision>": (
            "post",
            "/console/clients/{id}/duplicates/1/dismiss",
        ),
        "console/clients/<uuid:public_id>/connections/": (
            "get",
            "/console/clients/{id}/connections/",
        ),
        "console/clients/<uuid:public_id>/connections/link": (
            "post",
            "/console/clients/{id}/connections/link",
        ),
        "console/clients/<uuid:public_id>/connections/connect": (
            "post",
            "/console/clients/{id}/connections/connect",
        ),
        "console/clients/<uuid:public_id>/connections/<int:pk>/disconnect": (
            "post",
            "/console/clients/{id}/connections/1/disconnect",
        ),
        "console/clients/<uuid:public_id>/connections/<int:pk>/calls/": (
            "get",
            "/console/clients/{id}/connections/1/calls/",
        ),
        "console/clients/<uuid:public_id>/webhooks/<uuid:endpoint_id>/recover": (
            "post",
            f"/console/clients/{{id}}/webhooks/{WEBHOOK_B}/recover",
        ),
        "console/clients/<uuid:public_id>/webhooks/deliveries/<int:delivery_id>/resend": (
            "post",
            "/console/clients/{id}/webhooks/deliveries/1/resend",
        ),
    }
)
CAL = "console/clients/<uuid:public_id>/calendar/"
SERVICE = "00000000-0000-4000-8000-0000000000cc"
CONSOLE_MATRIX.update(
    {
        CAL + "calendars/": ("get", "/console/clients/{id}/calendar/calendars/"),
        CAL + "calendars/refresh/<int:connection_id>": (
            "post",
            "/console/clients/{id}/calendar/calendars/refresh/1",
        ),
        CAL + "calendars/<int:role_id>": ("post", "/console/clients/{id}/calendar/calendars/1"),
        CAL + "services/": ("post", "/console/clients/{id}/calendar/services/"),
        CAL + "services/<uuid:service_id>/": (
            "post",
            f"/console/clients/{{id}}/calendar/services/{SERVICE}/",
        ),
        CAL + "services/<uuid:service_id>/active": (
            "post",
            f"/console/clients/{{id}}/calendar/services/{SERVICE}/active",
        ),
        CAL + "hours/": ("get", "/console/clients/{id}/calendar/hours/"),
        CAL + "hours/add": ("post", "/console/clients/{id}/calendar/hours/add"),
        CAL + "hours/<int:hours_id>/delete": (
            "post",
            "/console/clients/{id}/calendar/hours/1/delete",
        ),
        CAL + "overrides/add": ("post", "/console/clients/{id}/calendar/overrides/add"),
        CAL + "overrides/<int:override_id>/delete": (
            "post",
            "/console/clients/{id}/calendar/overrides/1/delete",
        ),
        CAL + "preview/": ("get", "/console/clients/{id}/calendar/preview/"),
        CAL + "bookings/": ("get", "/console/clients/{id}/calendar/bookings/"),
        CAL + "bookings/<uuid:booking_id>/reschedule": (
            "post",
            f"/console/clients/{{id}}/calendar/bookings/{SERVICE}/reschedule",
        ),
        CAL + "bookings/<uuid:booking_id>/cancel": (
            "post",
            f"/console/clients/{{id}}/calendar/bookings/{SERVICE}/cancel",
        ),
    }
)
NOT_TENANT_SCOPED = {"console/", "console/agencies/<slug:agency_slug>/clients/new"}


@pytest.fixture(autouse=True)
def _webhooks_of_client_b(world):
    """Client B's webhook endpoint and a delivery, for the webhook routes to try to reach."""
    from syncs.webhooks import services
    from syncs.webhooks.models import WebhookEndpoint

    endpoint, _ = services.endpoint_create(
        client=world.client_b, url="https://bravo.example.net/hooks", event_types=["*"]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(public_id=WEBHOOK_B)
    services.emit(world.client_b, "lead.synced", {"client": world.client_b.name})


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    out: list[str] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            out += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            out.append(prefix + str(entry.pattern))
    return out


def test_every_route_is_in_the_matrix():
    routes = _routes(get_resolver())
    api = [r for r in routes if r.startswith("api/v1/")]
    console = [r for r in routes if r.startswith("console/")]
    missing = [r for r in api if r not in API_MATRIX]
    missing += [r for r in console if r not in CONSOLE_MATRIX and r not in NOT_TENANT_SCOPED]
    assert not missing, f"add these routes to the isolation matrix: {missing}"


@pytest.mark.parametrize("route", sorted(API_MATRIX))
def test_api_routes_leak_nothing_across_clients(api, world, route):
    body = api.get(API_MATRIX[route], **bearer(world.key_a)).content.decode()
    for other in (world.client_b, world.outsider_client):
        assert str(other.public_id) not in body and other.name not in body


@pytest.mark.parametrize("route", sorted(CONSOLE_MATRIX))
def test_console_routes_refuse_other_agencies(client, world, outsider_staff, route):
    client.force_login(outsider_staff)
    method, url = CONSOLE_MATRIX[route]
    response = getattr(client, method)(url.format(id=world.client_a.public_id))
    assert response.status_code == 404
    assert world.client_a.name not in response.content.decode()
