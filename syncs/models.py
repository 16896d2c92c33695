"""Intake and sync state: AI events, their sync jobs (the outbox), idempotency records, what we
wrote where (ExternalRecord), per-connection field mappings and the append-only audit log.

Every model is tenant-owned (``client``) and queried through ``tenants.scoping``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from connectors.models import Connection
from syncs.engine.models import EngineRow, Lifecycle, full_jitter
from tenants.models import Client

DEFAULT_SOURCE_TAG = "AI_Chatbot"


class EventKind(models.TextChoices):
    LEAD_CAPTURED = "lead.captured", "Lead captured"
    CONVERSATION_ENDED = "conversation.ended", "Conversation ended"
    INTENT_CHANGED = "intent.changed", "Intent changed"
    OPT_OUT = "opt_out", "Opt-out"
    # A booking asked for, moved or cancelled (syncs.calendar.bookings): run by a calendar job.
    BOOKING_REQUESTED = "booking.requested", "Booking requested"
    BOOKING_RESCHEDULE = "booking.reschedule", "Booking reschedule requested"
    BOOKING_CANCEL = "booking.cancel", "Booking cancellation requested"


class EventStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    PROCESSING = "processing", "Processing"
    SYNCED = "synced", "Synced"
    NEEDS_REVIEW = "needs_review", "Needs review"
    WAITING_CONNECTION = "waiting_connection", "Waiting for a connection"
    FAILED = "failed", "Failed"
    # Synced, then a rollback undid what it wrote (syncs.rollback.events).
    ROLLED_BACK = "rolled_back", "Rolled back"


class AiEvent(models.Model):
    """Something a chatbot told us. ``payload`` is kept exactly as received (for audit and
    re-processing); ``normalised`` is what the worker made of it."""

    # No index of its own: (client, -received_at) below serves every lookup by client.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="ai_events", db_index=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    payload = models.JSONField(default=dict)
    normalised = models.JSONField(default=dict, blank=True)
    source_tag = models.CharField(max_length=64, default=DEFAULT_SOURCE_TAG)
    chatbot_vendor = models.CharField(max_length=64, blank=True)
    session_id = models.CharField(max_length=255, blank=True)  # indexed in Meta (no LIKE index)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=20, choices=EventStatus.choices, default=EventStatus.ACCEPTED
    )

    class Meta:
        ordering = ["-received_at"]
        # Every index here is written once per lead by the intake, so each must serve a
        # reader: the console's and metrics' per-client pages, and session lookups (rollback
        # by session, "same session" follow-ups), which are exact matches (no LIKE index).
        indexes = [
            models.Index(fields=["client", "-received_at"]),
            models.Index(fields=["session_id"], name="syncs_event_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SYNCED = "synced", "Synced"
    NEEDS_REVIEW = "needs_review", "Needs review"
    WAITING_CONNECTION = "waiting_connection", "Waiting for a connection"
    FAILED = "failed", "Failed (retry scheduled)"
    DEAD = "dead", "Dead"
    # Was synced; a rollback has since undone every record it wrote (syncs.rollback.events).
    ROLLED_BACK = "rolled_back", "Rolled back"


def _sync_lease() -> timedelta:
    """How long a running job is presumed alive: the hard time limit kills it before that."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def _sync_backoff(attempt: int) -> float:
    return full_jitter(
        attempt, base=settings.SYNC_RETRY_BASE_SECONDS, cap=settings.SYNC_RETRY_CAP_SECONDS
    )


class SyncJob(EngineRow):
    """The transactional outbox: one row per target of an event, written with the event.

    ``kind`` names the target (``crm``, ``calendar``, ``pos``: ``syncs.engine.targets``) and
    ``external_id`` what the run made there. The Celery message only carries the id; this row
    is the truth, so a lost message is re-published by the sweeper and a duplicated one finds
    the job already claimed (``syncs.engine.jobs``).
    """

    lifecycle = Lifecycle(
        task="syncs.engine.tasks.run_sync_job",
        ready=(JobStatus.PENDING,),
        queued=JobStatus.QUEUED,
        running=JobStatus.RUNNING,
        retry=JobStatus.FAILED,
        dead=JobStatus.DEAD,
        max_attempts=lambda: settings.SYNC_MAX_ATTEMPTS,
        lease=_sync_lease,
        backoff=_sync_backoff,
    )

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sync_jobs")
    event = models.ForeignKey(AiEvent, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16)
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_jobs"
    )
    provider = models.CharField(max_length=32, blank=True)
    # Indexed by (status, published_at) below, which also serves lookups by status alone.
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.PENDING)
    review_reason = models.TextField(blank=True)
    overrides = models.JSONField(
        default=dict, blank=True, help_text="Fields fixed by staff during review."
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When status became rolled_back, and by which rollback (kept if the rollback row goes).
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        "syncs.Rollback", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Waits that are no sync latency (see syncs.engine.waits): when the current wait for a
    # connection or for a person in review began, the waits so far, and ``ready_at``, the
    # event's receipt moved later by them (None: no wait yet, the receipt itself).
    waiting_since = models.DateTimeField(null=True, blank=True)
    waited_connection_ms = models.BigIntegerField(default=0)
    waited_review_ms = models.BigIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind}/{self.provider} {self.status}"


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight", "In flight"
    COMPLETED = "completed", "Completed"


class IdempotencyRecord(models.Model):
    """The first response to an ``Idempotency-Key``, replayed for retries of the same request.

    Written in the same transaction as the event it created, so a record exists exactly when
    the event does. Kept at least ``IDEMPOTENCY_KEY_TTL_HOURS``; a beat task prunes older ones.
    """

    # Indexed by the unique (client, route, key) constraint, which it leads.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+", db_index=False)
    route = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_FLIGHT
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "route", "key"], name="idempotency_key_unique_per_route"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key[:20]}"


class RecordAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    WOULD_CREATE = "would_create", "Would create (shadow)"
    WOULD_UPDATE = "would_update", "Would update (shadow)"
    # Nothing was sent, but what the job knew must count (a booking's cancellation that came
    # before its meeting was logged: ``syncs.crm.meetings``). Never rolled back, never shown.
    SKIPPED = "skipped", "Skipped (nothing to change)"


class ExternalRecord(models.Model):
    """What a job wrote (or, in shadow mode, would have written) in a vendor system.

    ``values`` is what was sent; ``snapshot`` holds the fields an update replaced, so a
    rollback can restore them. A job looks here first, which is what makes a re-run safe.
    """

    # Indexed by (client, provider, object_type, external_id) below, which it leads.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="external_records", db_index=False
    )
    job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    provider = models.CharField(max_length=32)
    object_type = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, choices=RecordAction.choices)
    source_tag = models.CharField(max_length=64, default=DEFAULT_SOURCE_TAG, db_index=True)
    session_id = models.CharField(max_length=255, blank=True)
    values = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "provider", "object_type", "external_id"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.object_type}:{self.external_id} ({self.action})"


class MeetingLease(models.Model):
    """Who is writing a booking's CRM meeting (``syncs.crm.meetings``), and until when.

    The jobs of one booking must run one at a time from "what does the CRM show" to "what we
    wrote", or two could both log the meeting. A row lock held across the CRM call did that,
    but kept a transaction open for as long as the vendor took; this lease is taken and given
    back in one short statement each, so nothing is held in the database during the call.
    ``until`` outlives any run (the job's lease: the hard time limit kills a run before it), so
    a live holder never loses it; a dead one's is free as soon as its job no longer runs."""

    # The booking's AI event (a meeting job's ``event``): one row per booking, made on first use.
    event = models.OneToOneField(
        AiEvent, on_delete=models.CASCADE, primary_key=True, related_name="meeting_lease"
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # fmt: skip
    holder = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField()
    # The job whose run holds it: once that job no longer runs (its run ended, or its worker
    # died and the engine released it), the lease is free whatever ``until`` says, as a row
    # lock is freed when its holder's connection goes.
    job = models.ForeignKey(
        SyncJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"meeting lease of event {self.event_id} ({self.holder or 'free'})"


class FieldMapping(models.Model):
    """Rules from lead fields to CRM fields for one connection.

    ``rules`` is a list of ``{"source", "target", "transform", "args"}``; see syncs.crm.mapping for
    the transforms. Saved through ``syncs.crm.mapping.field_mapping_save``, which checks their
    shape and every target against the CRM's own field catalogue (the model layer does not
    know the transforms: ``clean`` checks only that mapping and connection share a client).
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="field_mappings")
    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, related_name="field_mapping"
    )
    rules = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"mapping for {self.connection}"

    def clean(self) -> None:
        if self.connection_id and self.client_id != self.connection.client_id:
            raise ValidationError("The mapping and its connection belong to different clients.")


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update/delete would bypass ``save``/``delete``; refuse them too."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit entries are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """One external write or staff action. Append-only: the model refuses updates and deletes,
    and on PostgreSQL a trigger refuses them in the database as well (migration 0002)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.CharField(
        max_length=255, help_text='"system", "staff:<email>" or "api:<key prefix>".'
    )
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries are append-only.")

    @classmethod
    def record(
        cls,
        *,
        client: Client,
        actor: str,
        action: str,
        target: str = "",
        details: dict | None = None,
    ) -> AuditEntry:
        """Append one entry (``syncs.audit.log.audit_log`` is the same for the other packages).
        Never pass a secret in ``details``: the log is shown to staff."""
        return cls.objects.create(
            client=client,
            actor=actor[:255],
            action=action,
            target=target[:255],
            details=details or {},
        )


# Calendar availability, duplicate detection, outbound webhooks and rollback keep their models in
# their own packages; imported here by name because Django registers an app's models from its
# ``models`` module.
from syncs.appointments.models import Reminder, ReminderOffset  # noqa: E402, F401
from syncs.calendar.bookings.models import Booking  # noqa: E402, F401
from syncs.calendar.models import BusinessHours, CalendarRole, DateOverride, Service  # noqa: E402, F401
from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent  # noqa: E402, F401
from syncs.dedupe.models import DuplicateCandidate, MatchModel, Person, PersonKey  # noqa: E402, F401
from syncs.rollback.models import Rollback, RollbackStep  # noqa: E402, F401
from syncs.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage  # noqa: E402, F401
