"""The provider registry: one explicit dict from slug to module, imported on first use.

Also the one place vendor URLs are resolved: placeholders filled from the connection's
settings, then (when ``settings.VENDOR_BASE_URL`` is set, as in tests and the demo) rewritten to
``{VENDOR_BASE_URL}/{slug}/<vendor path>``. Connector code never knows an emulator is there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from connectors.base import ProviderSpec

if TYPE_CHECKING:
    from connectors.models import Connection

PROVIDERS: dict[str, str] = {
    "hubspot": "connectors.hubspot",
    "salesforce": "connectors.salesforce",
    "zoho": "connectors.zoho",
    "pipedrive": "connectors.pipedrive",
    "google": "connectors.google",
    "outlook": "connectors.outlook",
    "caldav": "connectors.caldav",
    "square": "connectors.square",
    "shopify": "connectors.shopify",
    "clover": "connectors.clover",
    "toast": "connectors.toast",
    "lightspeed": "connectors.lightspeed",
}


class UnknownProvider(LookupError):
    pass


def get_spec(slug: str) -> ProviderSpec:
    """The provider's spec; raises ``UnknownProvider`` for a slug not in the registry."""
    if slug not in PROVIDERS:
        raise UnknownProvider(slug)
    return importlib.import_module(f"{PROVIDERS[slug]}.spec").SPEC


def display_name(slug: str) -> str:
    """``hubspot`` -> ``HubSpot``; a slug not in the registry is shown as it is (a page that
    names an old connection's provider never fails over it)."""
    try:
        return get_spec(slug).display_name
    except UnknownProvider:
        return slug


def all_specs() -> list[ProviderSpec]:
    return [get_spec(slug) for slug in PROVIDERS]


def vendor_url(slug: str, url: str) -> str:
    """Apply the emulator override: the vendor's host becomes ``{VENDOR_BASE_URL}/{slug}``.

    Idempotent (a URL already under the override is left alone) and a no-op when unset or for
    providers that are not emulated (CalDAV: the user's own server).
    """
    base = (getattr(settings, "VENDOR_BASE_URL", "") or "").rstrip("/")
    if not base or not url or not get_spec(slug).emulated:
        return url
    prefix = f"{base}/{slug}"
    if url == prefix or url.startswith(prefix + "/"):
        return url
    parts = urlsplit(url)
    target = urlsplit(prefix)
    return urlunsplit(
        (target.scheme, target.netloc, target.path + parts.path, parts.query, parts.fragment)
    )


def fill(template: str, values: dict[str, Any], defaults: tuple[tuple[str, str], ...] = ()) -> str:
    """Fill ``{placeholders}`` from connection settings (falling back to spec defaults)."""
    merged = {**dict(defaults), **{k: v for k, v in values.items() if isinstance(v, str)}}
    return template.format_map(_Strict(merged))


class _Strict(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"vendor URL needs {key!r} in the connection settings")


def api_base_for(connection: Connection) -> str:
    """The API base for this connection: the per-tenant host the vendor gave, else the default."""
    spec = get_spec(connection.provider)
    configured = (connection.settings or {}).get("api_base")
    base = configured or fill(spec.api_base, connection.settings or {})
    return vendor_url(spec.slug, base.rstrip("/"))


def client_for(connection: Connection) -> Any:
    """The vendor client for a connection: ``connectors.<slug>.client.build(connection)``."""
    module_name = f"{PROVIDERS[connection.provider]}.client"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise NotImplementedError(f"{module_name} does not exist yet") from exc
    build = getattr(module, "build", None)
    if build is None:
        raise NotImplementedError(f"{module_name} has no build(connection) function")
    return build(connection)
