"""A re-run looks for the deal and note an earlier run may have created without recording them;
a first run never does (unit level, against the in-memory CRM)."""

from __future__ import annotations

import pytest

from connectors.base import ConnectorError, CrmRecord
from syncs.engine.runs import sync_job_run
from syncs.models import ExternalRecord, JobStatus, SyncJob

from .crm_double import MemoryCrm
from .helpers import lead_job

pytestmark = pytest.mark.django_db


def run(job, crm) -> SyncJob:
    sync_job_run(job.pk, vendor=crm)
    return SyncJob.objects.get(pk=job.pk)


class ThrottledAfterCreate(MemoryCrm):
    """A vendor (or a gateway in front of it) that made the deal, then answered 429."""

    def create_deal(self, **kwargs) -> CrmRecord:
        deal = super().create_deal(**kwargs)
        if len(self.deals) == 1:
            raise ConnectorError("slow down", status=429, retry_after=1)
        return deal


def test_a_first_run_makes_no_search_for_the_deal_or_the_note(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    assert job.status == JobStatus.SYNCED and job.claims == 1
    assert "find_deal" not in crm.calls and "find_note" not in crm.calls


def test_a_throttled_first_run_still_makes_the_retry_a_rerun(world, crm_a):
    """A throttle gives its attempt back, so ``attempts`` says "first run" again; the claims
    count does not, and the retry finds the deal instead of making a second one."""
    crm = ThrottledAfterCreate()
    job = run(lead_job(world.client_a), crm)
    assert (job.status, job.attempts, job.claims) == (JobStatus.FAILED, 0, 1)
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    job = run(job, crm)
    assert (job.status, job.attempts, job.claims) == (JobStatus.SYNCED, 1, 2)
    assert len(crm.deals) == 1 and crm.calls.count("find_deal") == 1
    (deal,) = crm.deals
    assert ExternalRecord.objects.get(job=job, object_type="deal").external_id == deal


def test_a_deal_another_job_recorded_is_not_adopted(world, crm_a):
    """The same name for the same contact, but a live record of another job owns it."""
    crm = MemoryCrm()
    first = run(lead_job(world.client_a), crm)
    (deal_id,) = crm.deals
    record = ExternalRecord.objects.get(job=first, object_type="deal")
    record.values = {**record.values, "contact_id": "someone else"}  # not "earlier" for them
    record.save(update_fields=["values"])
    second = lead_job(world.client_a, chatbot_session_id="sess-2")
    SyncJob.objects.filter(pk=second.pk).update(claims=1)
    second = run(second, crm)
    assert second.status == JobStatus.SYNCED and crm.calls.count("find_deal") == 1
    assert len(crm.deals) == 2
    assert ExternalRecord.objects.get(job=second, object_type="deal").external_id != deal_id
