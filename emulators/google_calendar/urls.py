"""Google Calendar emulator routes, mounted under ``/emulators/``: ``google/`` followed by
Google's own path (``https://www.googleapis.com/calendar/v3/...``)."""

from __future__ import annotations

from django.urls import path

from emulators.google_calendar import control, views_events, views_other

API = "google/calendar/v3"
urlpatterns = [
    *control.urlpatterns,
    path(f"{API}/users/me/calendarList", views_other.calendar_list),
    path(f"{API}/freeBusy", views_other.free_busy),
    path(f"{API}/channels/stop", views_other.stop_channel),
    path(f"{API}/calendars/<str:calendar_id>/events", views_events.events),
    path(f"{API}/calendars/<str:calendar_id>/events/watch", views_other.watch),
    path(f"{API}/calendars/<str:calendar_id>/events/<str:event_id>", views_events.event),
    path(
        f"{API}/calendars/<str:calendar_id>/events/<str:event_id>/instances",
        views_events.series_instances,
    ),
]
