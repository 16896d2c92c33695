"""Deeply nested JSON is refused with a 400 problem on every route that takes a body, before
the decoder (about 1,000 levels) or ``storable_extra`` (about 475) could recurse too deep."""

from __future__ import annotations

import json

import pytest

from common.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from syncs.models import AiEvent

from ..conftest import bearer
from .routes import BODY_METHODS, fill, operations

pytestmark = pytest.mark.django_db

LEAD = {"email": "mary@example.com"}


def nested(depth: int, leaf: object = 1) -> object:
    """``depth`` levels of alternating objects and arrays around ``leaf``, an object outside."""
    value = leaf
    for level in range(depth):
        value = {"k": value} if (depth - level) % 2 else [value]
    return value


def deep_text(depth: int) -> str:
    """Built as text: json.dumps of such a value would itself recurse too deep."""
    return '{"email": "mary@example.com", "extra": ' + '{"a": [' * depth + "1" + "]}" * depth + "}"


def assert_too_deep(response) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "/problems/malformed-request"
    assert body["max_depth"] == MAX_JSON_DEPTH
    assert str(MAX_JSON_DEPTH) in body["detail"]


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_it_refuses_deep_json_on_every_route_that_takes_a_body(api, world, levels):
    body = "[" * levels + "]" * levels
    for method, path in operations(BODY_METHODS):
        url = fill(path, world.client_a)
        response = api.generic(
            method, url, body, content_type="application/json", **bearer(world.key_a)
        )
        assert_too_deep(response)
    assert not AiEvent.objects.exists()


def test_it_refuses_an_unclosed_deep_body_as_too_deep(api, world):
    """The decoder recurses on the way in; a body that never closes recurses just as far."""
    response = api.post(
        "/api/v1/leads", "[" * 5_000, content_type="application/json", **bearer(world.key_a)
    )
    assert_too_deep(response)


def test_it_refuses_a_lead_whose_extra_nests_475_levels(api, world):
    """The probe's case: a 500 from a RecursionError in storable_extra."""
    response = api.post(
        "/api/v1/leads", deep_text(240), content_type="application/json", **bearer(world.key_a)
    )
    assert_too_deep(response)
    assert not AiEvent.objects.exists()


def test_it_accepts_a_lead_nested_exactly_to_the_limit(api, world):
    body = {**LEAD, "extra": nested(MAX_JSON_DEPTH - 1)}  # the body is one level
    assert not json_depth_exceeds(json.dumps(body).encode())
    response = api.post("/api/v1/leads", body, format="json", **bearer(world.key_a))
    assert response.status_code == 202, response.content
    body["extra"] = nested(MAX_JSON_DEPTH)
    assert_too_deep(api.post("/api/v1/leads", body, format="json", **bearer(world.key_a)))


def test_it_refuses_deep_json_sent_as_utf16(api, world):
    text = '{"email": "m@example.com", "extra": ' + "[" * 40 + "]" * 40 + "}"
    response = api.generic(
        "POST",
        "/api/v1/leads",
        text.encode("utf-16"),
        content_type="application/json; charset=utf-16",
        **bearer(world.key_a),
    )
    assert_too_deep(response)


@pytest.mark.parametrize(
    "body, too_deep",
    [
        (b'{"a": "' + b"[" * 100 + b'"}', False),  # brackets inside a string do not count
        (b'{"a": "\\"' + b"[" * 100 + b'"}', False),  # nor after an escaped quote
        (b'["\\\\", ' + b"[" * 40 + b"]" * 40 + b"]", True),  # an escaped backslash ends no string
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" + b"[]," * 1_000 + b"[]]", False),  # many brackets, shallow
        (b"{" * (MAX_JSON_DEPTH + 1), True),
    ],
)
def test_it_counts_depth_outside_strings(body, too_deep):
    assert json_depth_exceeds(body) is too_deep
