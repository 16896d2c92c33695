"""A provider registry with one CRM, for ``settings.PROVIDER_REGISTRY`` in test_providers."""

from __future__ import annotations


def slugs(kind: str = "") -> tuple[str, ...]:
    return ("only-crm",) if kind in ("", "crm") else ()


def choices(kind: str) -> list[tuple[str, str]]:
    return [(slug, "Only CRM") for slug in slugs(kind)]


def providers_by_kind() -> dict[str, tuple[str, ...]]:
    return {"crm": slugs("crm"), "calendar": (), "pos": ()}
