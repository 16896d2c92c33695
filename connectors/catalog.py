"""The provider slugs a client can choose per kind, derived from the registry.

Kept as a module because callers read "the catalogue"; it holds no list of its own.
"""

from __future__ import annotations

from connectors import registry
from connectors.base import KINDS

__all__ = ["KINDS", "kind_of", "providers_by_kind"]


def providers_by_kind() -> dict[str, tuple[str, ...]]:
    """Every kind with the registered providers of that kind."""
    return registry.providers_by_kind()


def kind_of(provider: str) -> str:
    """The kind of a provider slug; raises KeyError for an unknown one."""
    try:
        return registry.kind_of(provider)
    except registry.UnknownProvider as exc:
        raise KeyError(provider) from exc
