"""Celery tasks of bookings: thin wrappers over ``services``."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="syncs.calendar.bookings.expire_holds")
def expire_holds() -> int:
    """Release holds past their expiry (beat, every 30 s): a booking whose calendar write
    never happened (a dead connection, a lost worker) gives its slot back."""
    from syncs.calendar.bookings.services import expire_holds as release

    return release()
