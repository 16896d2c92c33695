"""Scheduling console routes, under ``/console/clients/<uuid>/calendar/`` (namespace
``calendar_console``). Every route is in the isolation matrix of tests/tenants/test_scoping.py.
"""

from __future__ import annotations

from django.urls import path

from syncs.calendar.console import (
    booking_actions,
    bookings,
    calendars,
    hours,
    preview,
    services,
)

app_name = "calendar_console"
C = "clients/<uuid:public_id>/calendar/"

urlpatterns = [
    path(C + "calendars/", calendars.calendars, name="calendars"),
    path(
        C + "calendars/refresh/<int:connection_id>",
        calendars.calendars_refresh,
        name="calendars-refresh",
    ),
    path(C + "calendars/<int:role_id>", calendars.calendar_role_edit, name="calendar-role"),
    path(C + "services/", services.services, name="services"),
    path(C + "services/<uuid:service_id>/", services.service_edit, name="service"),
    path(
        C + "services/<uuid:service_id>/active",
        services.service_active,
        name="service-active",
    ),
    path(C + "hours/", hours.hours, name="hours"),
    path(C + "hours/add", hours.hours_add, name="hours-add"),
    path(C + "hours/<int:hours_id>/delete", hours.hours_delete, name="hours-delete"),
    path(C + "overrides/add", hours.override_add, name="override-add"),
    path(
        C + "overrides/<int:override_id>/delete",
        hours.override_delete,
        name="override-delete",
    ),
    path(C + "preview/", preview.preview, name="preview"),
    path(C + "bookings/", bookings.bookings, name="bookings"),
    path(
        C + "bookings/<uuid:booking_id>/reschedule",
        booking_actions.booking_reschedule,
        name="booking-reschedule",
    ),
    path(
        C + "bookings/<uuid:booking_id>/cancel",
        booking_actions.booking_cancel,
        name="booking-cancel",
    ),
]
