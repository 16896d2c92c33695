"""Scheduling console routes, under ``/console/clients/<uuid>/calendar/`` (namespace
``calendar_console``). Every route is in the isolation matrix of tests/tenants/test_scoping.py.
"""

from __future__ import annotations

from django.urls import path

from syncs.calendar import (
    console,
    console_booking_actions,
    console_bookings,
    console_hours,
    console_preview,
    console_services,
)

app_name = "calendar_console"
C = "clients/<uuid:public_id>/calendar/"

urlpatterns = [
    path(C + "calendars/", console.calendars, name="calendars"),
    path(
        C + "calendars/refresh/<int:connection_id>",
        console.calendars_refresh,
        name="calendars-refresh",
    ),
    path(C + "calendars/<int:role_id>", console.calendar_role_edit, name="calendar-role"),
    path(C + "services/", console_services.services, name="services"),
    path(C + "services/<uuid:service_id>/", console_services.service_edit, name="service"),
    path(
        C + "services/<uuid:service_id>/active",
        console_services.service_active,
        name="service-active",
    ),
    path(C + "hours/", console_hours.hours, name="hours"),
    path(C + "hours/add", console_hours.hours_add, name="hours-add"),
    path(C + "hours/<int:hours_id>/delete", console_hours.hours_delete, name="hours-delete"),
    path(C + "overrides/add", console_hours.override_add, name="override-add"),
    path(
        C + "overrides/<int:override_id>/delete",
        console_hours.override_delete,
        name="override-delete",
    ),
    path(C + "preview/", console_preview.preview, name="preview"),
    path(C + "bookings/", console_bookings.bookings, name="bookings"),
    path(
        C + "bookings/<uuid:booking_id>/reschedule",
        console_booking_actions.booking_reschedule,
        name="booking-reschedule",
    ),
    path(
        C + "bookings/<uuid:booking_id>/cancel",
        console_booking_actions.booking_cancel,
        name="booking-cancel",
    ),
]
