"""Graph emulator routes, mounted under ``/emulators/``: ``outlook/v1.0/...`` is where
``connectors.registry.vendor_url`` sends ``https://graph.microsoft.com/v1.0/...`` (the
provider's slug is ``outlook``)."""

from __future__ import annotations

from django.urls import re_path

from emulators.graph import control, delta, subscriptions, views_events

urlpatterns = [
    *delta.urlpatterns,  # before views_events: calendarView/delta is not a calendar view
    *views_events.urlpatterns,
    *subscriptions.urlpatterns,
    *control.urlpatterns,
    # Last; ``/v1.0/me`` itself is the OAuth emulator's identity call (side_views.graph_me).
    re_path(r"^outlook/v1\.0/(?P<rest>(?!me$).*)$", views_events.unknown_segment),
]
