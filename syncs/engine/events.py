"""An event's status, as its jobs say: computed here, stored with each job outcome, and
announced to whoever listens (the outbound webhooks) with ``event_status_changed``.

The engine changes jobs; what a status change means to a chatbot vendor is the webhooks
package's business, so it subscribes to the signal (``syncs.apps``) rather than the engine
calling it.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from syncs.models import AiEvent, EventStatus, JobStatus, SyncJob

# Sent with ``event`` (its ``status`` just changed) and ``jobs`` (its jobs in id order, or
# None when the sender did not read them), inside the transaction that changed it.
event_status_changed = Signal()


def event_status(job_statuses: list[str]) -> str:
    """One status for an event from its jobs' statuses, the most actionable first."""
    statuses = set(job_statuses)
    if not statuses:
        return EventStatus.ACCEPTED
    if statuses == {JobStatus.SYNCED}:
        return EventStatus.SYNCED
    # What was written is (at least in part) undone: saying "synced" would be false. The
    # targets say which.
    if JobStatus.ROLLED_BACK in statuses and statuses <= {JobStatus.SYNCED, JobStatus.ROLLED_BACK}:
        return EventStatus.ROLLED_BACK
    if JobStatus.DEAD in statuses:
        return EventStatus.FAILED
    if JobStatus.NEEDS_REVIEW in statuses:
        return EventStatus.NEEDS_REVIEW
    if statuses <= {JobStatus.SYNCED, JobStatus.WAITING_CONNECTION}:
        return EventStatus.WAITING_CONNECTION
    if statuses <= {JobStatus.PENDING, JobStatus.QUEUED}:
        return EventStatus.ACCEPTED
    return EventStatus.PROCESSING


def refresh_event_status(
    event: AiEvent,
    *,
    jobs: list[SyncJob] | None = None,
    normalised: dict[str, Any] | None = None,
) -> str:
    """Store the event's status as its jobs now say (the API computes it the same way).

    ``jobs``: all of the event's jobs, current, when the caller holds them (a job with no
    siblings); otherwise they are read. ``normalised``: the person a run made of the event,
    written in the same statement as the status when that changes.
    """
    if jobs is None:
        jobs = list(SyncJob.objects.filter(event=event).order_by("pk"))
    status = event_status([job.status for job in jobs])
    pending = normalised is not None and normalised != event.normalised
    extra = {"normalised": normalised} if pending else {}
    # Conditional, so that of two jobs finishing together only one sees the change and announces it.
    changed = (
        AiEvent.objects.filter(pk=event.pk).exclude(status=status).update(status=status, **extra)
    )
    if pending and not changed:
        AiEvent.objects.filter(pk=event.pk).update(normalised=normalised)
    if pending:
        event.normalised = normalised
    event.status = status
    if changed:
        event_status_changed.send(sender=AiEvent, event=event, jobs=jobs)
    return status
