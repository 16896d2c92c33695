from __future__ import annotations

from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "syncs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the webhook tasks with Celery (autodiscovery only looks at syncs.engine.tasks)
        # and subscribes to the connector signals that become webhooks.
        from syncs.webhooks import tasks  # noqa: F401
        from syncs.webhooks.signals import connect_receivers

        connect_receivers()
        # An event's status change (the engine's) becomes a webhook (the webhooks package's).
        from syncs.engine.events import event_status_changed
        from syncs.webhooks.events import announce_event_status

        event_status_changed.connect(
            announce_event_status, dispatch_uid="syncs.webhooks.announce_event_status"
        )
        from syncs.audit import connections as connection_audit

        connection_audit.connect_receivers()
        # A calendar connection made: its calendars are discovered (registers the task too).
        from syncs.calendar import receivers as calendar_receivers

        calendar_receivers.connect_receivers()
        from syncs.audit import api_keys as api_key_audit

        api_key_audit.connect_receivers()
        # A change made in a calendar to one of our events reaches its booking.
        from syncs.calendar.bookings.receivers import on_calendar_changed
        from syncs.calendar.signals import calendar_changed

        calendar_changed.connect(on_calendar_changed, dispatch_uid="syncs.bookings.calendar")
        # A booking confirmed, moved, cancelled or given an outcome: its meeting in the CRM.
        from syncs.calendar.bookings.signals import booking_changed
        from syncs.crm.meetings import on_booking_changed

        booking_changed.connect(on_booking_changed, dispatch_uid="syncs.crm.meetings")

        # The OAuth work provides this signal; without it the sweeper alone releases jobs.
        try:
            from connectors.signals import connection_reconnected
        except ImportError:
            return
        from syncs.engine.outbox import on_connection_reconnected

        connection_reconnected.connect(
            on_connection_reconnected, dispatch_uid="syncs.release_waiting_jobs"
        )
