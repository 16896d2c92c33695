from django.urls import path

from syncs.webhooks import console

app_name = "webhooks_console"

urlpatterns = [
    path("clients/<uuid:public_id>/webhooks/", console.webhooks, name="list"),
    path(
        "clients/<uuid:public_id>/webhooks/<uuid:endpoint_id>/toggle",
        console.endpoint_toggle,
        name="endpoint-toggle",
    ),
    path(
        "clients/<uuid:public_id>/webhooks/<uuid:endpoint_id>/recover",
        console.endpoint_recover_view,
        name="endpoint-recover",
    ),
    path(
        "clients/<uuid:public_id>/webhooks/deliveries/<int:delivery_id>/resend",
        console.delivery_resend_view,
        name="delivery-resend",
    ),
]
