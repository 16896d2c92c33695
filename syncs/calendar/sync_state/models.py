"""Our copy of each read calendar: its sync state (cursor, freshness, push channel) and a
mirror of its events in a bounded window, enough to answer busy time without asking the
vendor. Tenant-owned (``client``), queried through ``tenants.scoping`` or by the role's id.

``CalendarSync`` is a row of the engine (``syncs.engine``): a sync pass claims it with one
conditional UPDATE, so two runs of one calendar never overlap; a failed pass is retried with
the engine's backoff (Retry-After honoured) and never moves the cursor.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from connectors.crypto import EncryptedTextField
from syncs.engine.models import EngineRow, Lifecycle, full_jitter

__all__ = ["CalendarSync", "MirroredEvent"]


class SyncStatus(models.TextChoices):
    IDLE = "idle", "Idle"
    RUNNING = "running", "Running"
    RETRY = "retry", "Waiting to retry"
    DEAD = "dead", "Failed"


def _lease() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def _backoff(attempt: int) -> float | None:
    if attempt >= settings.SYNC_MAX_ATTEMPTS:
        return None
    return full_jitter(
        attempt, base=settings.SYNC_RETRY_BASE_SECONDS, cap=settings.SYNC_RETRY_CAP_SECONDS
    )


class CalendarSync(EngineRow):
    """How far we have read one calendar (a ``CalendarRole`` that blocks or takes bookings),
    and the push channel that tells us when to read again."""

    lifecycle = Lifecycle(
        task="syncs.calendar.tasks.sync_calendar",
        ready=(SyncStatus.IDLE,),
        running=SyncStatus.RUNNING,
        retry=SyncStatus.RETRY,
        dead=SyncStatus.DEAD,
        max_attempts=lambda: settings.SYNC_MAX_ATTEMPTS,
        lease=_lease,
        backoff=_backoff,
    )

    # Indexed by the (client, …) index in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    role = models.OneToOneField(
        "syncs.CalendarRole", on_delete=models.CASCADE, related_name="sync_state"
    )
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.IDLE)
    # The vendor's cursor: a sync token, a delta link, a CalDAV sync-token. Only moved with the
    # mirror rows it produced, in one transaction.
    cursor = models.TextField(blank=True)
    resync = models.BooleanField(default=True, help_text="The next pass reads everything.")
    synced_at = models.DateTimeField(null=True, blank=True)  # data current as of (last pass)
    full_synced_at = models.DateTimeField(null=True, blank=True)
    # The mirror answers busy time in [covered_from, covered_until) only.
    covered_from = models.DateTimeField(null=True, blank=True)
    covered_until = models.DateTimeField(null=True, blank=True)
    # Notifications counted (no clocks compared across machines): a pass remembers the count
    # it started from, and runs once more when it ends if more came meanwhile. More counted
    # than synced means a change is known and not yet read.
    requested = models.PositiveBigIntegerField(default=0)
    synced_requests = models.PositiveBigIntegerField(default=0)
    # The push channel (Google watch channel, Graph subscription); "" when there is none.
    channel_id = models.CharField(max_length=255, blank=True, db_index=True)
    channel_resource = models.CharField(max_length=1024, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)
    channel_secret = EncryptedTextField(blank=True, default="")
    channel_message = models.BigIntegerField(null=True, blank=True)
    # When the channel was shown to reach us (a notice of it arrived, or the vendor checked
    # our endpoint before opening it): until then it is not trusted and the calendar is polled.
    channel_confirmed_at = models.DateTimeField(null=True, blank=True)
    channel_error = models.TextField(blank=True)
    channel_tried_at = models.DateTimeField(null=True, blank=True)  # last create attempt
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["client", "status"], name="calendar_sync_client")]

    def __str__(self) -> str:
        return f"sync of role {self.role_id} ({self.status})"


class MirroredEvent(models.Model):
    """One event (or recurrence instance) of a synced calendar, as much as busy time needs:
    timed events have ``start_at``/``end_at``, all-day ones ``start_date``/``end_date`` (end
    exclusive, days in the owner's zone). No title or attendees: not needed, not kept."""

    # Indexed by the (client, …) index in Meta, which it leads.
    client = models.ForeignKey(
        "tenants.Client", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Indexed by mirrored_event_once (sync, event_id), which it leads.
    sync = models.ForeignKey(
        CalendarSync, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_id = models.CharField(max_length=1024)
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, default="confirmed")
    transparent = models.BooleanField(default=False)
    booking_id = models.CharField(max_length=255, blank=True)
    recurring_event_id = models.CharField(max_length=1024, blank=True)
    etag = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [models.Index(fields=["client", "booking_id"], name="mirrored_event_booking")]
        constraints = [
            models.UniqueConstraint(fields=["sync", "event_id"], name="mirrored_event_once"),
        ]

    def __str__(self) -> str:
        return self.event_id
