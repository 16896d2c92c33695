"""``/hooks/calendar/<provider>``: where calendar vendors push (``push_views``)."""

from __future__ import annotations

from django.urls import path

from syncs.calendar import push_views

urlpatterns = [
    path("<slug:provider>", push_views.receive, name="calendar-push"),
]
