"""Client connect pages: ``/connect/...`` (no staff login; the signed link is the key)."""

from __future__ import annotations

from django.urls import path

from connectors import views_connect, views_manual

app_name = "connect"

urlpatterns = [
    path("callback/<slug:provider>/", views_connect.callback, name="callback"),
    path("<str:token>/", views_connect.page, name="page"),
    path("<str:token>/start/<slug:provider>", views_connect.start, name="start"),
    path("<str:token>/manual/<slug:provider>", views_manual.manual, name="manual"),
]
