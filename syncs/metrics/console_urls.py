"""The console's home route, included by ``tenants.console_urls`` in the ``console`` namespace."""

from __future__ import annotations

from django.urls import path

from syncs.metrics import console

urlpatterns = [
    path("", console.home, name="home"),
]
