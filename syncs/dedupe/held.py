"""A lead held because it is probably someone the client already has: the one place that
holds it and the one place that decides it, whichever console page staff decide from.

Holding a lead indexes its person (without a CRM id) and queues the pair on the duplicates
page, and the job remembers the pair (``HELD`` in its overrides), so the review queue and the
duplicates page show the same pair until it is decided:

- *link to the existing record*: the lead is that person. The two are merged in our index and
  the job is released to write onto the existing CRM contact (``LINKED``), never a new one;
- *create new*: not the same person. The pair is dismissed and the job released as it is;
- *fix*: the review form; releasing it settles the pair by what the run wrote (``settle``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from syncs import dedupe
from syncs.audit.log import SYSTEM, audit_log, staff_actor
from syncs.dedupe.models import DuplicateCandidate
from syncs.engine.runs import hold_for_review
from syncs.intake.normalise import Person
from syncs.models import JobStatus, SyncJob
from tenants.scoping import for_client

# Keys of SyncJob.overrides this module owns (a leading "_": not lead fields).
HELD = "_duplicate_pair"
LINKED = "_linked_contact"
DECISIONS = ("link", "create")


def hold_duplicate(job: SyncJob, person: Person, result: Any) -> DuplicateCandidate | None:
    """Index the lead's person, queue its likely duplicates, and hold the job on the best one.
    One transaction: a run that dies here leaves neither an indexed person (which a re-run
    would match exactly and write past) nor a job without its pair."""
    with transaction.atomic():
        newcomer = dedupe.index(job.client, person, {}, result=result)
        pair = (
            for_client(DuplicateCandidate, job.client)
            .filter(person=newcomer, status=DuplicateCandidate.Status.OPEN)
            .order_by("-score", "pk")
            .first()
        )
        if pair is not None:
            job.overrides = {**job.overrides, HELD: pair.pk}
            SyncJob.objects.filter(pk=job.pk).update(overrides=job.overrides)
        hold_for_review(job, result.reason)
    return pair


def held_jobs(client: Any, pairs: list[DuplicateCandidate]) -> dict[int, SyncJob]:
    """The jobs waiting on these pairs, by pair id (one query)."""
    ids = {p.pk for p in pairs}
    if not ids:
        return {}
    jobs = for_client(SyncJob, client).filter(
        status=JobStatus.NEEDS_REVIEW, **{f"overrides__{HELD}__in": sorted(ids)}
    )
    found = {int(j.overrides[HELD]): j for j in jobs if int(j.overrides[HELD]) in ids}
    for pair in pairs:  # what "link" would write onto, for the page to say
        if pair.pk in found:
            pair.link_target = link_target(pair, found[pair.pk])
    return found


def pairs_of(client: Any, jobs: list[SyncJob]) -> dict[int, DuplicateCandidate]:
    """The open pairs these held jobs wait on, by job id (one query)."""
    wanted = {int(j.overrides[HELD]): j.pk for j in jobs if j.overrides.get(HELD)}
    pairs = (
        for_client(DuplicateCandidate, client)
        .filter(pk__in=wanted, status=DuplicateCandidate.Status.OPEN)
        .select_related("person", "existing")
    )
    by_job = {j.pk: j for j in jobs}
    found = {wanted[p.pk]: p for p in pairs}
    for job_id, pair in found.items():
        pair.link_target = link_target(pair, by_job[job_id])
    return found


def link_target(pair: DuplicateCandidate, job: SyncJob) -> str:
    """The existing person's contact in the job's CRM ('' when they have none there: then
    linking could not write onto a record, and the page says so)."""
    return str((pair.existing.external_ids or {}).get(job.provider) or "")


def decide(pair: DuplicateCandidate, decision: str, user: Any) -> SyncJob:
    """Staff's decision on a held lead's pair (``link`` or ``create``); releases the job.
    Raises ValueError when the pair is decided already, holds no job, or cannot be linked."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    job = held_jobs(pair.client, [pair]).get(pair.pk)
    if job is None:
        raise ValueError(f"pair {pair.pk} holds no lead waiting for review")
    from syncs.intake.review import release_review  # the review module runs jobs: imported late

    actor = staff_actor(user)
    with transaction.atomic():
        if decision == "link":
            target = link_target(pair, job)
            if not target:
                raise ValueError(f"{pair.existing} has no {job.provider} record to link to")
            dedupe.merge(pair, user)
            SyncJob.objects.filter(pk=job.pk).update(overrides={**job.overrides, LINKED: target})
        else:
            dedupe.dismiss(pair, user)
        job = release_review(job, {}, actor)
        audit_log(
            client=pair.client,
            actor=actor,
            action="duplicate.linked" if decision == "link" else "duplicate.kept_apart",
            target=f"duplicate:{pair.pk}",
            details={"job": job.pk, "person": pair.person_id, "existing": pair.existing_id,
                     "contact": job.overrides.get(LINKED, "")},
        )  # fmt: skip
    return job


def settle(job: SyncJob, contact_id: str) -> None:
    """After a held job released by *fix* has written: its pair, still open, is decided by
    what happened (the CRM found the existing contact: linked; else kept apart)."""
    pair_id = job.overrides.get(HELD)
    if not pair_id:
        return
    pair = (
        for_client(DuplicateCandidate, job.client)
        .filter(pk=pair_id, status=DuplicateCandidate.Status.OPEN)
        .select_related("existing")
        .first()
    )
    if pair is None:
        return
    same = bool(contact_id) and link_target(pair, job) == contact_id
    (dedupe.merge if same else dedupe.dismiss)(pair, None)
    audit_log(
        client=job.client,
        actor=SYSTEM,
        action="duplicate.linked" if same else "duplicate.kept_apart",
        target=f"duplicate:{pair.pk}",
        details={"job": job.pk, "released_with_fixes": True, "contact": contact_id},
    )
