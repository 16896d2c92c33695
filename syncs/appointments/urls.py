from django.urls import path

from syncs.appointments import api

urlpatterns = [
    path(
        "bookings/<uuid:booking_id>/outcome",
        api.BookingOutcomeView.as_view(),
        name="api-booking-outcome",
    ),
]
