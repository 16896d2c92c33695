"""Availability and booking API routes, included under /api/v1/."""

from __future__ import annotations

from django.urls import path

from syncs.calendar.bookings.api import (
    AvailabilityView,
    BookingCancelView,
    BookingCreateView,
    BookingDetailView,
)

urlpatterns = [
    path("availability", AvailabilityView.as_view(), name="api-availability"),
    path("bookings", BookingCreateView.as_view(), name="api-bookings"),
    path("bookings/<uuid:booking_id>", BookingDetailView.as_view(), name="api-booking-detail"),
    path(
        "bookings/<uuid:booking_id>/cancel", BookingCancelView.as_view(), name="api-booking-cancel"
    ),
]
