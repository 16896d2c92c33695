"""The schema and the behaviour agree: one unknown-field rule for every body, the 409 of a
test ping documented, pagination parameters refused outside their bounds, and every 401
carries a challenge (Schemathesis checks the rest in tests/api/test_schemathesis.py)."""

from __future__ import annotations

import ipaddress
import json
import re

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from syncs.webhooks import services
from syncs.webhooks.models import EndpointStatus
from syncs.webhooks.serializers import IPV6_LITERAL, URL_PATTERN

from ..conftest import bearer
from .routes import BODY_METHODS, api_schema, fill, operations

pytestmark = pytest.mark.django_db

# A valid body per operation that takes one; a new operation must add its own here.
VALID_BODIES = {
    ("POST", "/api/v1/leads"): {"email": "mary@example.com"},
    ("POST", "/api/v1/events"): {"kind": "lead.captured", "payload": {"email": "m@example.com"}},
    ("POST", "/api/v1/webhook-endpoints"): {"url": "http://127.0.0.1:1/h", "event_types": ["*"]},
    ("PATCH", "/api/v1/webhook-endpoints/{endpoint_id}"): {"description": "bot"},
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): {},
    ("POST", "/api/v1/webhook-endpoints/{endpoint_id}/test"): {},
    ("POST", "/api/v1/bookings"): {
        "service": "2b1e4c9a-7d3f-4a58-9c61-0e5f8b2d7a34",
        "start": "2026-12-07T10:00:00+01:00",
        "time_zone": "Europe/Berlin",
        "contact": {"name": "Mary"},
    },
    ("PATCH", "/api/v1/bookings/{booking_id}"): {"start": "2026-12-07T10:00:00+01:00"},
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): {},
    ("POST", "/api/v1/bookings/{booking_id}/outcome"): {"outcome": "attended"},
}


def problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{slug}"
    return body


def test_it_lists_a_valid_body_for_every_operation_that_takes_one():
    assert set(operations(BODY_METHODS)) == set(VALID_BODIES)


@pytest.mark.parametrize("operation", sorted(VALID_BODIES))
def test_it_refuses_unknown_fields_on_every_route(api, world, operation):
    method, path = operation
    url = fill(path, world.client_a)
    body = {**VALID_BODIES[operation], "colour": "blue"}
    response = api.generic(
        method,
        url,
        json.dumps(body),
        content_type="application/json",
        **bearer(world.key_a),
    )
    errors = problem(response, 400, "validation-error")["errors"]
    assert "colour" in errors or errors == {
        "non_field_errors": ["This operation takes no request body."]
    }


def test_every_request_body_in_the_schema_forbids_other_properties():
    schema = api_schema()
    components = schema["components"]["schemas"]
    for method, path in operations(BODY_METHODS):
        body = schema["paths"][path][method.lower()].get("requestBody")
        if body is None:
            continue  # takes no body (and refuses one)
        for media in body["content"].values():
            name = media["schema"]["$ref"].rsplit("/", 1)[-1]
            assert components[name]["additionalProperties"] is False, (method, path)
    assert "Unknown fields" in schema["info"]["description"]


def test_it_documents_the_conflict_of_a_test_ping(api, world):
    responses = api_schema()["paths"]["/api/v1/webhook-endpoints/{endpoint_id}/test"]["post"][
        "responses"
    ]
    assert "409" in responses
    assert "application/problem+json" in responses["409"]["content"]
    endpoint, _ = services.endpoint_create(
        client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"]
    )
    endpoint.status = EndpointStatus.DISABLED
    endpoint.save()
    url = f"/api/v1/webhook-endpoints/{endpoint.public_id}/test"
    problem(api.post(url, **bearer(world.key_a)), 409, "conflict")


@pytest.mark.parametrize(
    "query, name",
    [
        ("page_size=null", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=100000000000000000000", "page_size"),
        ("page_size=", "page_size"),
        ("page_size=5&page_size=6", "page_size"),
        ("page=null", "page"),
        ("page=0", "page"),
        ("page=last", "page"),
    ],
)
def test_it_refuses_pagination_outside_the_schema(api, world, query, name):
    endpoint, _ = services.endpoint_create(
        client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"]
    )
    url = f"/api/v1/webhook-endpoints/{endpoint.public_id}/deliveries?{query}"
    errors = problem(api.get(url, **bearer(world.key_a)), 400, "validation-error")["errors"]
    assert list(errors) == [name]


def test_it_pages_within_the_bounds(api, world):
    endpoint, _ = services.endpoint_create(
        client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"]
    )
    base = f"/api/v1/webhook-endpoints/{endpoint.public_id}/deliveries"
    assert api.get(f"{base}?page_size=200&page=1", **bearer(world.key_a)).status_code == 200
    problem(api.get(f"{base}?page=9", **bearer(world.key_a)), 404, "not-found")
    problem(api.get(f"{base}?page=9733187999898", **bearer(world.key_a)), 404, "not-found")
    parameters = {
        p["name"]: p["schema"]
        for p in api_schema()["paths"]["/api/v1/webhook-endpoints/{endpoint_id}/deliveries"]["get"][
            "parameters"
        ]
    }
    assert parameters["page_size"]["minimum"] == 1 and parameters["page_size"]["maximum"] == 200
    assert parameters["page"]["minimum"] == 1


def test_it_refuses_unknown_query_parameters_on_every_route(api, world):
    for method, path in operations():
        url = fill(path, world.client_a)
        response = api.generic(method, f"{url}?colour=blue&=x", **bearer(world.key_a))
        errors = problem(response, 400, "validation-error")["errors"]
        assert set(errors) == {"colour", ""}, (method, path)


def test_it_still_reads_the_parameters_it_documents(api, world):
    event = api.post(
        "/api/v1/leads", {"email": "m@example.com"}, format="json", **bearer(world.key_a)
    )
    url = event.json()["status_url"]
    assert api.get(f"{url}?wait=0&format=json", **bearer(world.key_a)).status_code == 200
    response = api.get(f"/api/v1/me?api_key={world.key_a}")
    problem(response, 400, "api-key-in-query")


def test_a_blank_optional_pattern_field_is_valid_in_the_schema_as_in_the_api(api, world):
    """``oneOf: [pattern, blank]`` refused "" when the pattern matched it too (found by
    Schemathesis's negative_data_rejection on ``transcript_url``)."""
    import jsonschema

    components = api_schema()["components"]["schemas"]
    for name in ("LeadInputRequest", "EventPayloadRequest"):
        field = components[name]["properties"]["transcript_url"]
        jsonschema.validate("", field)
        jsonschema.validate("https://chat.example.com/t/1", field)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate("ftp://x", field)
    body = {"email": "m@example.com", "transcript_url": ""}
    assert api.post("/api/v1/leads", body, format="json", **bearer(world.key_a)).status_code == 202


@given(st.from_regex(f"^{IPV6_LITERAL}$", fullmatch=True))
@hypothesis_settings(max_examples=300, deadline=None)
def test_every_ipv6_literal_the_schema_allows_is_an_address(literal):
    ipaddress.IPv6Address(literal)
    assert re.fullmatch(URL_PATTERN, f"https://[{literal}]:8443/hooks")


@pytest.mark.parametrize("host", ["[152F7:d5AB7]", "[00]", "[1:2:3:4:5:6:7:8:9]", "[::01.2.3.4]"])
def test_the_schema_refuses_what_is_no_ipv6_literal(host):
    assert not re.fullmatch(URL_PATTERN, f"https://{host}/hooks")
