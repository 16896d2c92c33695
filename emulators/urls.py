"""Emulator routes, mounted at ``/emulators/`` only when ``settings.EMULATORS_ENABLED``.

Each vendor lives under ``/emulators/<slug>/`` followed by the vendor's own path, because
``connectors.registry.vendor_url`` rewrites ``https://api.vendor.com/x/y`` to
``{VENDOR_BASE_URL}/<slug>/x/y``.

API emulators (CRM, calendar, POS) add their URL module to ``API_EMULATOR_URLCONFS``: one line
each; their patterns start with the slug (e.g. ``"hubspot/crm/v3/objects/contacts"``).
"""

from __future__ import annotations

from django.urls import include, path

from emulators import oauth_urls

app_name = "emulators"

API_EMULATOR_URLCONFS: tuple[str, ...] = (
    "emulators.crm.urls",
    "emulators.graph.urls",
    "emulators.google_calendar.urls",
)

# API routes first: they take nearly every call, and Django tries patterns in order. No API
# path matches an OAuth one (their segments after the slug differ), so the order changes
# nothing else.
urlpatterns = [
    *[path("", include(module)) for module in API_EMULATOR_URLCONFS],
    *oauth_urls.urlpatterns,
]
