from django.urls import include, path

from tenants import console

app_name = "console"

urlpatterns = [
    path("", include("syncs.metrics.console_urls")),
    path("agencies/<slug:agency_slug>/clients/new", console.client_create, name="client-create"),
    path("clients/<uuid:public_id>/", console.client_detail, name="client"),
    path("clients/<uuid:public_id>/", include("syncs.console.urls")),
    path("clients/<uuid:public_id>/keys", console.api_key_create, name="api-key-create"),
    path(
        "clients/<uuid:public_id>/keys/<int:key_id>/revoke",
        console.api_key_revoke,
        name="api-key-revoke",
    ),
]
