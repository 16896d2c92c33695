"""The tenants API routes, included under /api/v1/ by the root URLs."""

from __future__ import annotations

from django.urls import path

from tenants.api import MeView

urlpatterns = [
    path("me", MeView.as_view(), name="api-me"),
]
