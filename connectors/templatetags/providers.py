"""One name for each thing on every page: a provider's display name from the registry (not its
slug), and one word per connection status ("Connected" for an active connection, the word the
client's connect page uses too)."""

from __future__ import annotations

from django import template

from connectors import registry

register = template.Library()

STATUS_WORDS = {
    "active": "Connected",
    "needs_reauth": "Needs reconnecting",
    "error": "Error",
    "disabled": "Disconnected",
}


@register.filter
def provider_name(slug: object) -> str:
    """``hubspot`` → ``HubSpot``; an unknown slug is shown as it is (never a 500)."""
    return registry.display_name(str(slug))


KIND_NAMES = {"crm": "CRM", "calendar": "Calendar", "pos": "POS"}


@register.filter
def kind_name(kind: object) -> str:
    return KIND_NAMES.get(str(kind), str(kind))


@register.filter
def connection_word(status: object) -> str:
    return STATUS_WORDS.get(str(status), str(status))
