"""Rollback end to end against each CRM emulator: after syncing leads under a tag and rolling
that tag back, the emulator's CRM is as it was before (created records gone, updated fields
restored), and a second rollback sends nothing. The oracle is the emulator's own records.
"""

from __future__ import annotations

import pytest

from emulators.crm import control
from syncs.models import ExternalRecord, JobStatus, SyncJob
from syncs.rollback.models import RollbackStep
from syncs.rollback.services import rollback_step_run, start_rollback
from tests.connectors import crm_fixtures

from ..conftest import bearer
from .conftest import LEAD

emulated = crm_fixtures.emulated

pytestmark = pytest.mark.django_db(transaction=True)
VENDORS = ["hubspot", "salesforce", "zoho", "pipedrive"]
STAFF = "staff:operator@northwind.example"
# Bookkeeping the vendor changes on every write (not data we wrote or restore).
VOLATILE = ("modif", "updated", "update_time", "lastmodified", "systemmodstamp", "version")


def _stable(value):
    """Data minus vendor bookkeeping; a field cleared ("" or null) counts as never set, which
    is how the vendors' APIs answer for both."""
    if isinstance(value, dict):
        return {
            k: _stable(v)
            for k, v in value.items()
            if v not in ("", None) and not any(w in k.lower() for w in VOLATILE)
        }
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def crm_state(vendor: str, account: str) -> dict:
    return {
        (r["object_type"], r["id"]): _stable(r["data"]) for r in control.records(vendor, account)
    }


def _post_and_sync(api, key, lead) -> None:
    assert api.post("/api/v1/leads", lead, format="json", **bearer(key)).status_code == 202
    for job in SyncJob.objects.exclude(status=JobStatus.SYNCED):
        sync_job_run_ok(job)


def sync_job_run_ok(job) -> None:
    from syncs.engine.runs import sync_job_run

    sync_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SYNCED, job.last_error


def _run(rollback) -> None:
    for step_id in (
        RollbackStep.objects.filter(rollback=rollback)
        .order_by("position")
        .values_list("pk", flat=True)
    ):
        rollback_step_run(step_id)
    rollback.refresh_from_db()


@pytest.mark.parametrize("vendor", VENDORS)
def test_rollback_leaves_the_emulators_crm_as_it_was(api, world, emulated, vendor):
    _connection, account = emulated(vendor)
    control.add_default_mapping_fields(vendor, account)
    world.client_a.crm_provider = vendor
    world.client_a.save()
    # The person exists in the CRM before the chatbot arrives (imported under another tag).
    earlier = {**LEAD, "intent": "", "lead_score": 0, "conversation_summary": "",
               "transcript_url": "", "source_tag": "Import"}  # fmt: skip
    _post_and_sync(api, world.key_a, earlier)
    before = crm_state(vendor, account)
    _post_and_sync(api, world.key_a, {**LEAD, "company": "Brightsmile Dental"})
    _post_and_sync(api, world.key_a, {**LEAD, "email": "new.person@example.com",
                                      "phone": "+14155550123", "name": "Ann Lee"})  # fmt: skip
    assert crm_state(vendor, account) != before
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    _run(rollback)
    assert (rollback.status, rollback.failed) == ("done", 0), list(
        RollbackStep.objects.values_list("error", flat=True)
    )
    assert crm_state(vendor, account) == before
    writes = control.write_calls(vendor, account)
    again = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert again.total == 0 and control.write_calls(vendor, account) == writes
    assert ExternalRecord.objects.filter(source_tag="Import", rolled_back_at__isnull=True).exists()


def test_rollback_restores_the_description_lines_of_an_org_without_the_custom_fields(
    api, world, emulated
):
    """Salesforce without the AI_*__c fields: an update puts their values on Description lines,
    and the rollback puts the Description back (it used to send the absent fields: 400)."""
    _connection, account = emulated("salesforce")
    world.client_a.crm_provider = "salesforce"
    world.client_a.save()
    earlier = {**LEAD, "intent": "", "lead_score": 0, "conversation_summary": "",
               "transcript_url": "", "source_tag": "Import"}  # fmt: skip
    _post_and_sync(api, world.key_a, earlier)
    before = crm_state("salesforce", account)
    _post_and_sync(api, world.key_a, {**LEAD, "company": "Brightsmile Dental"})
    [contact] = control.records("salesforce", account, "Contact")
    assert "Company: Brightsmile Dental" in contact["data"]["Description"]
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    _run(rollback)
    assert (rollback.status, rollback.failed) == ("done", 0), list(
        RollbackStep.objects.values_list("error", flat=True)
    )
    assert crm_state("salesforce", account) == before
