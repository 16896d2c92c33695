"""The provider slugs a client can choose per kind.

A static list so that `tenants` can validate a client's choice without importing every
provider module; the registry test checks that it matches the provider registry.
"""

from __future__ import annotations

PROVIDERS_BY_KIND: dict[str, tuple[str, ...]] = {
    "crm": ("hubspot", "salesforce", "zoho", "pipedrive"),
    "calendar": ("google", "outlook", "caldav"),
    "pos": ("square", "shopify", "clover", "toast", "lightspeed"),
}
KINDS: tuple[str, ...] = tuple(PROVIDERS_BY_KIND)


def kind_of(provider: str) -> str:
    """The kind of a provider slug; raises KeyError for an unknown one."""
    for kind, providers in PROVIDERS_BY_KIND.items():
        if provider in providers:
            return kind
    raise KeyError(provider)
