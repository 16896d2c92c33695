"""Small helpers the four CRM clients share: building the HTTP layer, reading vendor JSON
defensively, and tag-list arithmetic. Vendor logic stays in each ``<vendor>/client.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import requests

from connectors.base import ConnectorError
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.registry import api_base_for, get_spec


def make_http(
    connection: Connection, classify: Callable[[requests.Response], str | None] | None = None
) -> VendorHttp:
    """The connection's HTTP layer, pointed at its per-tenant API base."""
    spec = get_spec(connection.provider)
    return VendorHttp(connection, spec=spec, base_url=api_base_for(connection), classify=classify)


def connection_key(prefix: str, connection: Connection, *parts: str) -> str:
    """A cache key for what a client learns of the vendor account (its field catalogue, a
    refused field, a write key): per connection and per connect, so a reconnect, which may
    grant more scopes or reach another account, starts afresh."""
    stamp = connection.connected_at.isoformat() if connection.connected_at else ""
    return ":".join((prefix, str(connection.pk), stamp, *parts))


def json_of(response: requests.Response) -> Any:
    """The response's JSON, or None for an empty body (Zoho's 204, Salesforce's 204)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ConnectorError(
            f"unreadable vendor response ({response.status_code})",
            status=response.status_code,
            code="bad_response",
            permanent=True,
        ) from None


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (a vendor left it out or null)."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A vendor value as our string: None is empty, numbers keep their digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def split_tags(value: str, sep: str = ";") -> list[str]:
    return [t.strip() for t in value.split(sep) if t.strip()]


def merge_tags(existing: Iterable[str], new: Iterable[str]) -> list[str]:
    """Existing tags first, then new ones not already there (case-insensitive), order kept."""
    out: list[str] = []
    for tag in [*existing, *new]:
        if tag and tag.lower() not in {t.lower() for t in out}:
            out.append(tag)
    return out


def vendor_error(message: str, *, status: int | None, code: str) -> ConnectorError:
    """A permanent error the vendor told us about in a 2xx/207 body (per-record failures)."""
    return ConnectorError(message, status=status, code=code, permanent=True)
