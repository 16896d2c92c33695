"""A likely duplicate is decided in one place: held, it shows on the review queue and on the
duplicates page with the same choices until decided; *link* writes onto the existing contact
(the emulator still holds one contact), *create new* writes a second one."""

from __future__ import annotations

import pytest

from emulators.crm import control
from syncs.dedupe.models import DuplicateCandidate
from syncs.engine.runs import sync_job_run
from syncs.models import AuditEntry, JobStatus, SyncJob
from tests.connectors import crm_fixtures

from ..conftest import bearer

emulated = crm_fixtures.emulated

pytestmark = pytest.mark.django_db(transaction=True)
FIRST = {"name": "Robert Smith", "email": "robert.smith@acme.example",
         "phone": "+1 415 555 0100", "chatbot_session_id": "sess-1"}  # fmt: skip
# A typo and a plus-address, no shared phone: a likely duplicate, not an exact link.
SECOND = {"name": "Robert Smiht", "email": "robert.smith+web@acme.example",
          "phone": "+1 415 555 0199", "chatbot_session_id": "sess-2",
          "conversation_summary": "Asked about whitening."}  # fmt: skip


def _run_all() -> None:
    for job in SyncJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.QUEUED]):
        sync_job_run(job.pk)


def _contacts(account: str) -> list[dict]:
    return control.records("hubspot", account, "contacts")


@pytest.fixture
def held(api, world, emulated):
    _connection, account = emulated("hubspot")
    world.client_a.crm_provider = "hubspot"
    world.client_a.save()
    for lead in (FIRST, SECOND):
        assert (
            api.post("/api/v1/leads", lead, format="json", **bearer(world.key_a)).status_code == 202
        )
        _run_all()
    job = SyncJob.objects.get(status=JobStatus.NEEDS_REVIEW)
    pair = DuplicateCandidate.objects.get(status="open")
    assert len(_contacts(account)) == 1  # nothing sent while held
    return account, job, pair


def _pages(client, world) -> tuple[str, str]:
    base = f"/console/clients/{world.client_a.public_id}"
    review = client.get(base + "/review/").content.decode()
    duplicates = client.get(base + "/duplicates/").content.decode()
    return review, duplicates


def test_it_shows_the_held_lead_on_both_pages_until_linked(client, world, operator, held):
    account, job, pair = held
    client.force_login(operator)
    review, duplicates = _pages(client, world)
    for body in (review, duplicates):
        assert f'id="held-pair-{pair.pk}"' in body
        assert "Link to the existing record" in body and "Create new" in body
    assert f"#candidate-{pair.pk}" in review and f"#job-{job.pk}" in duplicates
    first_id = _contacts(account)[0]["id"]
    url = f"/console/clients/{world.client_a.public_id}/duplicates/{pair.pk}/link"
    assert client.post(url, {"back": "review"}).status_code == 302
    _run_all()
    job.refresh_from_db()
    assert job.status == JobStatus.SYNCED and job.external_id == first_id, job.last_error
    assert [c["id"] for c in _contacts(account)] == [first_id]  # no second contact
    note = control.records("hubspot", account, "notes")[0]
    assert note["links"]["associations"][0]["toObjectId"] == first_id
    pair.refresh_from_db()
    assert pair.status == "merged"
    assert (
        AuditEntry.objects.filter(action="duplicate.linked", target=f"duplicate:{pair.pk}").count()
        == 1
    )
    review, duplicates = _pages(client, world)
    assert f'id="held-pair-{pair.pk}"' not in review + duplicates


def test_create_new_writes_a_second_contact(client, world, operator, held):
    account, job, pair = held
    client.force_login(operator)
    url = f"/console/clients/{world.client_a.public_id}/duplicates/{pair.pk}/dismiss"
    assert client.post(url).status_code == 302  # "not the same" on a held pair: create new
    _run_all()
    job.refresh_from_db()
    assert job.status == JobStatus.SYNCED, job.last_error
    assert len(_contacts(account)) == 2
    pair.refresh_from_db()
    assert pair.status == "dismissed"


def test_a_viewer_sees_the_pair_but_cannot_decide(client, world, viewer, held):
    _account, job, pair = held
    client.force_login(viewer)
    review, _duplicates = _pages(client, world)
    assert f'id="held-pair-{pair.pk}"' in review and "Link to the existing record" not in review
    url = f"/console/clients/{world.client_a.public_id}/duplicates/{pair.pk}/link"
    assert client.post(url).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.NEEDS_REVIEW
