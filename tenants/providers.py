"""The providers a client may choose per kind, asked of the registry the project names.

The catalogue belongs to ``connectors``, which sits above ``tenants`` (a ``Connection`` belongs
to a ``Client``; its views scope through ``tenants.scoping``). So ``tenants`` never imports it:
``settings.PROVIDER_REGISTRY`` names the registry module (``connectors.registry``), the way
``SESSION_ENGINE`` names a session backend, and it is imported on first use. The registry is
asked each time, never copied: a provider registered after start-up is offered at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol, cast

from django.conf import settings


class ProviderRegistry(Protocol):
    """What ``tenants`` asks of the registry (``connectors.registry`` implements it)."""

    def slugs(self, kind: str = "") -> tuple[str, ...]:
        """Every registered slug of ``kind``, in registry order."""
        ...

    def choices(self, kind: str) -> list[tuple[str, str]]:
        """``(slug, display name)`` for every provider of ``kind``."""
        ...

    def providers_by_kind(self) -> dict[str, tuple[str, ...]]:
        """Every kind, each with its providers (a kind may have none yet)."""
        ...


def registry() -> ProviderRegistry:
    """The provider registry module named by ``settings.PROVIDER_REGISTRY``."""
    return cast(ProviderRegistry, import_module(settings.PROVIDER_REGISTRY))
