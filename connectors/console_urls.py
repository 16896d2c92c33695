"""Console routes for connections, under ``/console/clients/<uuid>/connections``."""

from __future__ import annotations

from django.urls import path

from connectors import views_calls, views_console

app_name = "connections"

urlpatterns = [
    path("clients/<uuid:public_id>/connections/", views_console.connections, name="list"),
    path("clients/<uuid:public_id>/connections/link", views_console.create_link, name="link"),
    path("clients/<uuid:public_id>/connections/connect", views_console.connect, name="connect"),
    path(
        "clients/<uuid:public_id>/connections/<int:pk>/disconnect",
        views_console.disconnect,
        name="disconnect",
    ),
    path(
        "clients/<uuid:public_id>/connections/<int:pk>/calls/",
        views_calls.connection_calls,
        name="calls",
    ),
]
