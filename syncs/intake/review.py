"""The review queue: jobs held as ``needs_review`` are fixed by staff and released."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from syncs.audit.log import audit_log
from syncs.engine.events import refresh_event_status
from syncs.engine.outbox import publish_on_commit
from syncs.engine.runs import REVIEWED
from syncs.engine.waits import REVIEW, wait_ends
from syncs.intake.normalise import normalise_person
from syncs.models import JobStatus, SyncJob

FIXABLE_FIELDS = frozenset({"name", "first_name", "last_name", "email", "phone", "company"})


def release_review(job: SyncJob, fixed_fields: dict[str, Any], actor: str) -> SyncJob:
    """Apply staff's fixes and send the job again.

    The event's payload stays as received; fixes are kept on the job (``overrides``) and
    audited. Raises ValidationError if a field is not fixable, the fixed person still cannot
    be made valid (then keyed by the field each reason is about, ``NON_FIELD_ERRORS`` for the
    person as a whole, so a form shows each beside its field), or the job is not waiting for
    review.
    """
    unknown = sorted(set(fixed_fields) - FIXABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be fixed here: {', '.join(unknown)}.")
    with transaction.atomic():
        job = SyncJob.objects.select_for_update().select_related("event", "client").get(pk=job.pk)
        if job.status != JobStatus.NEEDS_REVIEW:
            raise ValidationError("This job is not waiting for review.")
        overrides = {**job.overrides, **{k: str(v) for k, v in fixed_fields.items()}}
        overrides[REVIEWED] = "1"  # the duplicate check does not hold a released job again
        person = normalise_person({**job.event.payload, **overrides}, job.client.default_region)
        if person.problems:
            raise ValidationError(
                {
                    name or NON_FIELD_ERRORS: reasons
                    for name, reasons in person.problems_by_field.items()
                }
            )
        job.overrides, job.status, job.review_reason = overrides, JobStatus.PENDING, ""
        waits = wait_ends(job, REVIEW, received_at=job.event.received_at)
        job.finished_at = None
        job.save(update_fields=["overrides", "status", "review_reason", "finished_at", *waits])
        audit_log(
            client=job.client,
            actor=actor,
            action="review.released",
            target=f"job:{job.pk}",
            details={"fixed": sorted(fixed_fields), "event": str(job.event.public_id)},
        )
        refresh_event_status(job.event)
        publish_on_commit([job.pk])
    return job
