"""The provider registry: one explicit dict from slug to package, imported on first use.

Adding a provider is its package (``spec.py``, and for a CRM ``client.py`` and ``mapping.py``)
plus one line in ``PROVIDERS`` (or one ``register()`` call for a package kept outside this
repository). Every list of providers (catalogue, settings for app credentials, console and
client choices, completeness tests) is derived from here, and code asks the registry about a
vendor (``crm_feature``, ``mapping_for``, ``deal_stage``) instead of naming it.

Also the one place vendor URLs are resolved: placeholders filled from the connection's
settings, then (when ``settings.VENDOR_BASE_URL`` is set, as in tests and the demo) rewritten to
``{VENDOR_BASE_URL}/{slug}/<vendor path>``. Connector code never knows an emulator is there.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from connectors.base import CRM_FEATURES, KINDS, CrmSpec, ProviderSpec

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


def register(slug: str, package: str) -> None:
    """Add a provider whose package lives outside ``connectors/`` (a plug-in): the same as a
    line in ``PROVIDERS``. Its spec is checked now, so a wrong slug or kind fails here."""
    PROVIDERS[slug] = package
    try:
        spec = get_spec(slug)
        if spec.slug != slug or spec.kind not in KINDS:
            raise ValueError(f"{package}.spec.SPEC is {spec.slug!r} of kind {spec.kind!r}")
    except Exception:
        del PROVIDERS[slug]
        raise


def slugs(kind: str = "") -> tuple[str, ...]:
    """Every registered slug (of one kind when given), in registry order."""
    return tuple(s for s in PROVIDERS if not kind or get_spec(s).kind == kind)


def kind_of(slug: str) -> str:
    """The provider's kind; raises ``UnknownProvider`` for a slug not in the registry."""
    return get_spec(slug).kind


def choices(kind: str) -> list[tuple[str, str]]:
    """``(slug, display name)`` pairs for a kind: the console's and the client's choices."""
    return [(s, get_spec(s).display_name) for s in slugs(kind)]


def providers_by_kind() -> dict[str, tuple[str, ...]]:
    """The catalogue: every kind with its providers (a kind may have none yet)."""
    return {kind: slugs(kind) for kind in KINDS}


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


def crm_spec(slug: str) -> CrmSpec:
    """The CRM part of a provider's spec; raises ``UnknownProvider`` for a slug that is not a
    registered CRM."""
    spec = get_spec(slug).crm
    if spec is None:
        raise UnknownProvider(f"{slug} is not a CRM")
    return spec


def crm_feature(slug: str, feature: str) -> bool:
    """Whether the CRM offers an optional feature (``CRM_FEATURES``: "merge", "opt_out", ...).
    An unknown feature name is a programming error: ``ValueError``."""
    if feature not in CRM_FEATURES:
        raise ValueError(f"unknown CRM feature {feature!r}; one of {CRM_FEATURES}")
    return bool(getattr(crm_spec(slug), feature))


def deal_stage(slug: str, key: str) -> str:
    """The CRM's stage in its default pipeline for our stage key (the key itself if none)."""
    return crm_spec(slug).stage_for(key)


def module_for(slug: str, name: str) -> ModuleType | None:
    """The provider package's module ``name`` (``mapping``, ``people``), or None when the
    package has none. An import error inside that module is raised, not hidden."""
    if slug not in PROVIDERS:
        raise UnknownProvider(slug)
    module_name = f"{PROVIDERS[slug]}.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None


def mapping_for(slug: str) -> ModuleType | None:
    """The provider's ``mapping`` module (``DEFAULT_FIELD_MAP``), or None without one."""
    return module_for(slug, "mapping")


def needs_app_credentials(slug: str) -> bool:
    """Whether we hold an app client id and secret at this vendor (not for Basic auth)."""
    return get_spec(slug).auth != "basic"


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
    """The vendor client for a connection: the package's ``client.build(connection)``."""
    module = module_for(connection.provider, "client")
    build = getattr(module, "build", None)
    if build is None:
        raise NotImplementedError(f"{connection.provider} has no client with build(connection)")
    return build(connection)
