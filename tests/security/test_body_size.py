"""A body over the upload limit gets 413 problem+json naming the limit, on every API route
(Django's own answer was its HTML 400 page, and a GET accepted any size)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import override_settings

from agency.openapi import limits_description
from syncs.models import AiEvent

from ..conftest import bearer
from .routes import api_schema, fill, operations

pytestmark = pytest.mark.django_db


def assert_too_large(response, limit: int) -> None:
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "/problems/payload-too-large"
    assert body["max_bytes"] == limit
    assert str(limit) in body["detail"]


def lead_of_size(size: int) -> bytes:
    head = b'{"email": "mary@example.com", "conversation_summary": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def test_it_refuses_a_body_over_the_default_limit_on_the_lead_route(api, world):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 2_621_440
    body = lead_of_size(limit + 1)
    response = api.generic(
        "POST", "/api/v1/leads", body, content_type="application/json", **bearer(world.key_a)
    )
    assert_too_large(response, limit)
    assert not AiEvent.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4_000)
def test_it_refuses_an_oversized_body_on_every_api_route(api, world):
    body = lead_of_size(4_001)
    routes = [*operations(), ("GET", "/api/v1/no-such-route")]
    for method, path in routes:
        response = api.generic(
            method,
            fill(path, world.client_a),
            body,
            content_type="application/json",
            **bearer(world.key_a),
        )
        assert_too_large(response, 4_000)
    assert not AiEvent.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4_000)
def test_it_takes_a_body_of_exactly_the_limit(api, world):
    body = lead_of_size(4_000)
    assert len(body) == 4_000
    response = api.generic(
        "POST", "/api/v1/leads", body, content_type="application/json", **bearer(world.key_a)
    )
    assert response.status_code == 202, response.content


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4_000)
def test_it_leaves_console_pages_to_django(client, world):
    """Only API routes answer problem+json; a form post keeps Django's own handling."""
    response = client.generic("POST", "/accounts/login/", "x" * 5_000, content_type="text/plain")
    assert response.status_code != 413


def test_it_documents_the_limits_in_the_schema():
    schema = api_schema()
    description = schema["info"]["description"]
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in description
    assert description.endswith(limits_description())
    leads = schema["paths"]["/api/v1/leads"]["post"]["responses"]
    assert "413" in leads
    assert json.dumps(schema).count("payload-too-large") >= 1
