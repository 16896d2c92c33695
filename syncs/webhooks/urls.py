from django.urls import path

from syncs.webhooks import api

urlpatterns = [
    path("webhook-endpoints", api.EndpointListView.as_view(), name="webhook-endpoints"),
    path(
        "webhook-endpoints/<uuid:endpoint_id>",
        api.EndpointDetailView.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/rotate-secret",
        api.RotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/deliveries",
        api.DeliveryListView.as_view(),
        name="webhook-endpoint-deliveries",
    ),
    path(
        "webhook-endpoints/<uuid:endpoint_id>/test",
        api.TestView.as_view(),
        name="webhook-endpoint-test",
    ),
]
