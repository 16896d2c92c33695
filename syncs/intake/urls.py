"""Intake API routes, included under /api/v1/."""

from __future__ import annotations

from django.urls import path

from syncs.intake.api import EventCreateView, EventDetailView, LeadCreateView

urlpatterns = [
    path("leads", LeadCreateView.as_view(), name="api-leads"),
    path("events", EventCreateView.as_view(), name="api-events"),
    path("events/<uuid:event_id>", EventDetailView.as_view(), name="api-event-detail"),
]
