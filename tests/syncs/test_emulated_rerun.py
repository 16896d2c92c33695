"""A job re-run after its deal or note reached the CRM but not our records: still one of each.

The first run dies right after the vendor's create (our record's write fails, as when the
database or the worker goes away), the re-run looks for what it may have made before creating,
and the oracle is the emulator's own record and call counts.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

import syncs.crm.writes
from emulators.crm import control
from syncs.engine.runs import sync_job_run
from syncs.models import ExternalRecord, JobStatus, SyncJob
from tests.connectors import crm_fixtures

from ..conftest import bearer
from .conftest import LEAD

emulated = crm_fixtures.emulated

pytestmark = pytest.mark.django_db(transaction=True)
VENDORS = ["hubspot", "salesforce", "zoho", "pipedrive"]
DEALS = {"hubspot": "deals", "salesforce": "Opportunity", "zoho": "Deals", "pipedrive": "deals"}
NOTES = {"hubspot": "notes", "salesforce": "ContentNote", "zoho": "Notes", "pipedrive": "notes"}
# The searches a re-run sends before creating the deal and the note (nothing found).
RERUN_SEARCHES = {"hubspot": 2, "salesforce": 3, "zoho": 2, "pipedrive": 2}


def connect(world, vendor: str, emulated) -> str:
    _connection, account = emulated(vendor)
    control.add_default_mapping_fields(vendor, account)
    world.client_a.crm_provider = vendor
    world.client_a.save()
    return account


def post_lead(api, world, **changes) -> SyncJob:
    response = api.post("/api/v1/leads", {**LEAD, **changes}, format="json",
                        **bearer(world.key_a))  # fmt: skip
    assert response.status_code == 202
    return SyncJob.objects.order_by("-pk").first()


def lose_the_record_of(monkeypatch, object_type: str) -> None:
    """The next ``object_type`` record fails to be written, after the vendor call."""
    real = syncs.crm.writes._record

    def failing(ctx, kind, *args, **kwargs):
        if kind == object_type:
            monkeypatch.setattr(syncs.crm.writes, "_record", real)
            raise RuntimeError("database went away")
        return real(ctx, kind, *args, **kwargs)

    monkeypatch.setattr(syncs.crm.writes, "_record", failing)


def first_run_loses_the_record_of(
    api, world, emulated, vendor: str, monkeypatch, kind: str
) -> tuple[str, SyncJob]:
    """A lead whose first run writes ``kind`` to the CRM and then fails before recording it."""
    account = connect(world, vendor, emulated)
    job = post_lead(api, world)
    lose_the_record_of(monkeypatch, kind)
    assert sync_job_run(job.pk) == JobStatus.FAILED
    return account, job


def run_again(job: SyncJob) -> SyncJob:
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert sync_job_run(job.pk) == JobStatus.SYNCED, SyncJob.objects.get(pk=job.pk).last_error
    return SyncJob.objects.get(pk=job.pk)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_deal_created_but_not_recorded_is_found_not_duplicated(
    api, world, emulated, vendor, monkeypatch
):
    account, job = first_run_loses_the_record_of(api, world, emulated, vendor, monkeypatch, "deal")
    assert control.counts(vendor, account)["objects"][DEALS[vendor]] == 1
    assert not ExternalRecord.objects.filter(object_type="deal").exists()

    job = run_again(job)
    (deal,) = control.records(vendor, account, DEALS[vendor])
    record = ExternalRecord.objects.get(job=job, object_type="deal")
    assert (record.external_id, record.action) == (deal["id"], "created")
    assert control.counts(vendor, account)["objects"][NOTES[vendor]] == 1


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_note_created_but_not_recorded_is_found_not_duplicated(
    api, world, emulated, vendor, monkeypatch
):
    account, job = first_run_loses_the_record_of(api, world, emulated, vendor, monkeypatch, "note")
    job = run_again(job)
    (note,) = control.records(vendor, account, NOTES[vendor])
    assert ExternalRecord.objects.get(job=job, object_type="note").external_id == note["id"]
    assert control.counts(vendor, account)["objects"][DEALS[vendor]] == 1


@pytest.mark.parametrize("vendor", VENDORS)
def test_only_a_rerun_searches_before_creating(api, world, emulated, vendor):
    account = connect(world, vendor, emulated)
    # A company's first lead may set up what every later one uses (Pipedrive: the source
    # labels), which is not what a rerun repeats: measure from the second lead on.
    warm = post_lead(api, world, email="wes@example.com", phone="(415) 555-2670", name="Wes Warm")
    assert sync_job_run(warm.pk) == JobStatus.SYNCED
    setup_calls = control.counts(vendor, account)["api_calls"]
    first = post_lead(api, world)
    assert sync_job_run(first.pk) == JobStatus.SYNCED
    first_run_calls = control.counts(vendor, account)["api_calls"] - setup_calls

    # The same kind of lead for another person, claimed once before by a worker that died
    # before writing anything: the same calls plus the searches, and still one of each.
    second = post_lead(api, world, email="other@example.com", phone="(415) 555-2672",
                       name="Ann Other")  # fmt: skip
    SyncJob.objects.filter(pk=second.pk).update(claims=1)
    assert sync_job_run(second.pk) == JobStatus.SYNCED
    rerun_calls = control.counts(vendor, account)["api_calls"] - setup_calls - first_run_calls
    assert rerun_calls - first_run_calls == RERUN_SEARCHES[vendor]
    counts = control.counts(vendor, account)["objects"]
    assert (counts[DEALS[vendor]], counts[NOTES[vendor]]) == (3, 3)


def test_a_dead_runs_deal_create_landing_after_the_rerun_adds_no_deal(api, world, emulated):
    """HubSpot: the deal is upserted by the job's write key, so the create a killed run left on
    the wire, answered only after its re-run has searched (nothing yet) and created, lands on
    the re-run's deal instead of making a second (the window a search alone cannot close)."""
    from connectors.hubspot.client import build
    from syncs.crm.writes import deal_write_key

    account = connect(world, "hubspot", emulated)
    job = post_lead(api, world)
    SyncJob.objects.filter(pk=job.pk).update(claims=1)  # a run claimed it and died
    assert sync_job_run(job.pk) == JobStatus.SYNCED
    record = ExternalRecord.objects.get(job=job, object_type="deal")
    late = build(job.connection).create_deal(
        contact_id=record.values["contact_id"],
        name=record.values["name"],
        stage=record.values["stage"],
        source_tag="AI_Chatbot",
        write_key=deal_write_key(job),
    )  # fmt: skip  (the dead run's create, arriving now)
    assert (late.id, late.existed) == (record.external_id, True)
    assert control.counts("hubspot", account)["objects"]["deals"] == 1
