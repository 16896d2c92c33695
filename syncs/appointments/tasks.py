"""Celery tasks around bookings: thin wrappers over ``reminders``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="syncs.appointments.send_reminders")
def send_reminders() -> int:
    """Send the reminders due now (beat, every minute)."""
    from syncs.appointments.reminders import send_due

    return send_due()
