"""The sync pipeline feeds the duplicate index and honours a staff review of duplicates."""

from __future__ import annotations

import pytest

from syncs.dedupe.models import Person
from syncs.engine.runs import sync_job_run
from syncs.intake.review import release_review
from syncs.models import JobStatus, SyncJob

from .crm_double import MemoryCrm
from .helpers import lead_job

pytestmark = pytest.mark.django_db


def run(job, crm) -> SyncJob:
    sync_job_run(job.pk, vendor=crm)
    return SyncJob.objects.get(pk=job.pk)


def test_it_indexes_the_person_with_the_crm_id_it_wrote(world, crm_a):
    job = run(lead_job(world.client_a), MemoryCrm())
    assert job.status == JobStatus.SYNCED
    person = Person.objects.get(client=world.client_a)
    assert person.external_ids == {"hubspot": job.external_id}
    assert not Person.objects.filter(client=world.client_b).exists()


def test_a_likely_duplicate_is_held_then_released_once_reviewed(world, crm_a):
    crm = MemoryCrm()
    first = run(
        lead_job(
            world.client_a,
            name="Robert Smith",
            email="robert.smith@acme.example",
            phone="+1 415 555 0100",
        ),
        crm,
    )
    assert first.status == JobStatus.SYNCED
    # A typo and a plus-address, no shared phone: a likely duplicate, not an exact link.
    held = run(
        lead_job(
            world.client_a,
            name="Robert Smiht",
            email="robert.smith+web@acme.example",
            phone="+1 415 555 0199",
            chatbot_session_id="sess-2",
        ),
        crm,
    )
    assert held.status == JobStatus.NEEDS_REVIEW, held.last_error
    assert "duplicate" in held.review_reason.lower() or "person" in held.review_reason
    assert len(crm.contacts) == 1  # nothing sent while held
    released = release_review(held, {}, actor="staff@example.com")
    assert run(released, crm).status == JobStatus.SYNCED  # not held a second time
    assert len(crm.contacts) == 2


def test_it_writes_the_clean_name_and_keeps_the_raw_text_in_the_event(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a, name="Hallo, ich bin Frau Dr. Gabi Weber!"), crm)
    assert job.status == JobStatus.SYNCED, job.last_error
    (contact,) = crm.contacts.values()
    assert (contact.fields["first_name"], contact.fields["last_name"]) == ("Gabi", "Weber")
    assert job.event.payload["name"] == "Hallo, ich bin Frau Dr. Gabi Weber!"
    person = Person.objects.get(client=world.client_a)
    assert (person.first_name, person.last_name, person.norm_first) == ("Gabi", "Weber", "gabi")


def test_a_junior_and_a_senior_on_one_landline_are_not_one_person(world, crm_a):
    crm = MemoryCrm()
    run(lead_job(world.client_a, name="John Smith Sr.", email="", phone="+1 415 555 0100"), crm)
    junior = run(
        lead_job(
            world.client_a,
            name="John Smith Jr.",
            email="",
            phone="(415) 555-0100",
            chatbot_session_id="sess-2",
        ),
        crm,
    )
    assert junior.status == JobStatus.SYNCED
    people = Person.objects.filter(client=world.client_a).order_by("id")
    assert [p.norm_generation for p in people] == ["sr", "jr"]


def test_a_held_pair_is_settled_by_what_a_fixed_release_wrote(world, crm_a):
    """Fixed to the existing person's address, the CRM search finds their contact: the pair
    is closed as linked, not left open on the duplicates page."""
    from syncs.dedupe.models import DuplicateCandidate
    from syncs.models import AuditEntry

    crm = MemoryCrm()
    known = {"name": "Robert Smith", "email": "robert.smith@acme.example"}
    first = run(lead_job(world.client_a, phone="+1 415 555 0100", **known), crm)
    typo = {"name": "Robert Smiht", "email": "robert.smith+web@acme.example"}
    held = run(
        lead_job(world.client_a, phone="+1 415 555 0199", chatbot_session_id="s2", **typo), crm
    )
    pair = DuplicateCandidate.objects.get(status="open")
    fixed = release_review(held, {"email": "robert.smith@acme.example"}, actor="staff@example.com")
    assert run(fixed, crm).external_id == first.external_id and len(crm.contacts) == 1
    pair.refresh_from_db()
    assert pair.status == "merged"
    assert AuditEntry.objects.filter(action="duplicate.linked").count() == 1


def test_a_job_parses_and_profiles_its_person_once(world, crm_a):
    """The CRM's clean name, the duplicate check, the index's re-check and the indexed
    person's display name all read the same name parts, and the check, the re-check and the
    index's keys the same profile: each made once (``parse_parts`` and the profile are
    cached), the other reads served from the cache, with the same result."""
    from syncs.dedupe.normalize import _profile
    from syncs.intake.personname import parse_parts

    parse_parts.cache_clear()
    _profile.cache_clear()
    job = run(lead_job(world.client_a, name="Dr. Maria Wendt-Ostrowski Jr."), MemoryCrm())
    assert job.status == JobStatus.SYNCED
    parts, profiles = parse_parts.cache_info(), _profile.cache_info()
    assert (parts.misses, parts.hits >= 1) == (1, True)
    assert (profiles.misses, profiles.hits) == (1, 2)
    person = Person.objects.get(client=world.client_a)
    assert (person.first_name, person.last_name) == ("Maria", "Wendt-Ostrowski Jr.")
