"""The client's section tabs of the console, with the page being shown marked as current.

One list, so every client page shows the same tabs in the same order, and a page below a tab
(one event, one rollback's report, one mapping) highlights its tab.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

register = template.Library()

# (label, view name of the tab, other view names that belong to it)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Client", "console:client", ()),
    ("Connections", "connections:list", ("connections:calls",)),
    ("Events", "console:sync-events", ("console:sync-event",)),
    ("Review queue", "console:sync-review", ()),
    ("Field mapping", "console:sync-mappings", ("console:sync-mapping",)),
    ("Shadow mode", "console:sync-shadow", ()),
    ("Duplicates", "console:sync-duplicates", ()),
    ("Audit log", "console:sync-audit", ()),
    ("Rollback", "console:sync-rollback", ("console:sync-rollback-report",)),
    ("Metrics", "console:sync-metrics", ()),
    ("Monthly audit", "console:sync-monthly-audit", ()),
    ("Webhooks", "webhooks_console:list", ()),
    (
        "Scheduling",
        "calendar_console:calendars",
        tuple(
            f"calendar_console:{n}" for n in ("services", "service", "hours", "preview", "bookings")
        ),
    ),
)


@register.inclusion_tag("console/_tabs.html", takes_context=True)
def client_tabs(context: template.Context, client: Any) -> dict[str, Any]:
    """The tabs for ``client``; the one whose page (or sub-page) is shown is ``current``."""
    match = getattr(context.get("request"), "resolver_match", None)
    shown = match.view_name if match else ""
    return {
        "tabs": [
            {
                "label": label,
                "url": reverse(name, kwargs={"public_id": client.public_id}),
                "current": shown == name or shown in below,
            }
            for label, name, below in TABS
        ]
    }
