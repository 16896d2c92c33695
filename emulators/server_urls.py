"""Root URLs of a server that serves only the emulators (``agency.emulator_settings``): the same
``/emulators/`` paths the product mounts, and ``/healthz`` for whoever starts it."""

from __future__ import annotations

from django.urls import include, path

from agency import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("emulators/", include("emulators.urls")),
]
