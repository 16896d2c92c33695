"""The customer's booking page: ``/booking/<signed link>/`` (no sign-in; the link is the key)."""

from __future__ import annotations

from django.urls import path

from syncs.calendar import customer_page

app_name = "booking_link"

urlpatterns = [
    path("<str:token>/", customer_page.page, name="page"),
    path("<str:token>/reschedule", customer_page.reschedule, name="reschedule"),
    path("<str:token>/cancel", customer_page.cancel, name="cancel"),
]
