"""Every API operation, read from the OpenAPI schema, so a new route is covered by the
security tests without anyone adding it to a list."""

from __future__ import annotations

import re

from drf_spectacular.generators import SchemaGenerator

from syncs.webhooks import services as webhook_services
from tenants.models import Client

BODY_METHODS = ("post", "put", "patch")


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(methods: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation, e.g. ("POST", "/api/v1/leads")."""
    found = []
    for path, item in api_schema()["paths"].items():
        for method in item:
            if methods is None or method in methods:
                found.append((method.upper(), path))
    assert found, "the schema lists no operations"
    return sorted(found)


def fill(path: str, client: Client) -> str:
    """The template with real ids of ``client`` (a webhook endpoint, made on first use)."""
    ids: dict[str, str] = {}
    for name in re.findall(r"{(\w+)}", path):
        if name == "endpoint_id":
            endpoint, _ = webhook_services.endpoint_create(
                client=client, url="http://127.0.0.1:1/sb", event_types=["*"]
            )
            ids[name] = str(endpoint.public_id)
        elif name == "booking_id":
            ids[name] = "7d0c6a52-51d5-4f3e-9b6e-3c1c8f0e2a11"  # unknown: still parsed, 404
        elif name == "event_id":
            ids[name] = "6f1c8f9e-2d3b-4c5a-9e7f-0a1b2c3d4e5f"  # unknown: still parsed, 404
        else:
            raise AssertionError(f"tests/security/routes.py needs an id for {{{name}}}")
    return path.format(**ids)
