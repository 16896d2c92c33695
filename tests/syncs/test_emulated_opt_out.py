"""An ``opt_out`` event reaches each emulated CRM the vendor's own way, is audited, and a
rollback of its tag puts back what it replaced. The oracle is the emulator's records."""

from __future__ import annotations

import pytest

from emulators.crm import control, hubspot_people
from syncs.models import AuditEntry, ExternalRecord
from syncs.rollback.models import RollbackStep
from syncs.rollback.services import preview_rollback, start_rollback
from tests.connectors import crm_fixtures

from ..conftest import bearer
from .conftest import LEAD
from .test_emulated_rollback import STAFF, _post_and_sync, _run

emulated = crm_fixtures.emulated

pytestmark = pytest.mark.django_db(transaction=True)
EMAIL = "mary.obrien@example.com"
OPT_OUT = {"email": EMAIL, "source_tag": "Unsubscribe", "chatbot_vendor": "acme-bot"}
# How each CRM shows a person who may not be e-mailed (and one who may).
OPTED_OUT = {
    "hubspot": ("hs_email_optout", "true", "false"),
    "salesforce": ("HasOptedOutOfEmail", True, False),
    "zoho": ("Email_Opt_Out", True, False),
    "pipedrive": ("marketing_status", "unsubscribed", "no_consent"),
}
CONTACTS = {"hubspot": "contacts", "salesforce": "Contact", "zoho": "Contacts",
            "pipedrive": "persons"}  # fmt: skip


def _contact(vendor: str, account: str) -> dict:
    (row,) = control.records(vendor, account, CONTACTS[vendor])
    return row["data"]


def opt_out_and_sync(api, world) -> None:
    body = {"kind": "opt_out", "payload": OPT_OUT}
    response = api.post("/api/v1/events", body, format="json", **bearer(world.key_a))
    assert response.status_code == 202, response.content
    from syncs.engine.runs import sync_job_run
    from syncs.models import JobStatus, SyncJob

    for job in SyncJob.objects.exclude(status=JobStatus.SYNCED):
        sync_job_run(job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.SYNCED, job.last_error


@pytest.fixture
def synced(api, world, emulated):
    def make(vendor: str) -> str:
        _connection, account = emulated(vendor)
        control.add_default_mapping_fields(vendor, account)
        world.client_a.crm_provider = vendor
        world.client_a.save()
        _post_and_sync(api, world.key_a, LEAD)
        if vendor == "hubspot":  # the person gets the portal's marketing e-mail
            subscriptions = {EMAIL: {"statuses": {"1001": "SUBSCRIBED"}}}
            control.configure(vendor, account, subscriptions=subscriptions)
        return account

    return make


@pytest.mark.parametrize("vendor", ["hubspot", "salesforce", "zoho"])
def test_it_opts_the_person_out_in_the_crm_and_undoes_it(api, world, synced, vendor):
    account = synced(vendor)
    field, yes, no = OPTED_OUT[vendor]
    assert _contact(vendor, account).get(field) in (None, no)
    opt_out_and_sync(api, world)
    assert _contact(vendor, account)[field] == yes
    record = ExternalRecord.objects.get(object_type="contact_opt_out")
    assert AuditEntry.objects.filter(
        action="crm.contact_opt_out.updated", target__endswith=record.external_id
    ).exists()
    if vendor == "hubspot":
        assert hubspot_people.subscriptions_of(account, EMAIL) == {
            "wide": True, "statuses": {"1001": "NOT_SUBSCRIBED", "1002": "NOT_SUBSCRIBED"},
        }  # fmt: skip
    rollback = start_rollback(world.client_a, "Unsubscribe", requested_by=STAFF)
    _run(rollback)
    assert (rollback.status, rollback.failed) == ("done", 0)
    record.refresh_from_db()
    assert record.rolled_back_at is not None
    assert _contact(vendor, account)[field] == no
    if vendor == "hubspot":
        state = hubspot_people.subscriptions_of(account, EMAIL)
        assert state["wide"] is False and state["statuses"]["1001"] == "SUBSCRIBED"


def test_it_unsubscribes_a_pipedrive_person_whose_status_then_stays(api, world, synced):
    """Pipedrive lets a marketing status change once: the opt-out lands; the rollback's
    preview says it will keep it, and it does (audited as kept), asking Pipedrive nothing."""
    account = synced("pipedrive")
    opt_out_and_sync(api, world)
    assert _contact("pipedrive", account)["marketing_status"] == "unsubscribed"
    plan = preview_rollback(world.client_a, "Unsubscribe")
    (step,) = [p for p in plan if p.record.object_type == "contact_opt_out"]
    assert step.operation == "keep" and "change only once" in step.reason
    writes = control.write_calls("pipedrive", account)
    rollback = start_rollback(world.client_a, "Unsubscribe", requested_by=STAFF)
    _run(rollback)
    assert (rollback.status, rollback.failed, rollback.kept) == ("done", 0, 1)
    kept = RollbackStep.objects.get(status="kept")
    assert kept.record.object_type == "contact_opt_out" and "change only once" in kept.last_error
    assert AuditEntry.objects.filter(action="rollback.kept").count() == 1
    assert _contact("pipedrive", account)["marketing_status"] == "unsubscribed"
    assert (
        control.write_calls("pipedrive", account) == writes + 2
    )  # its fields and labels; no status call


def test_it_records_nothing_to_undo_for_a_person_already_opted_out(api, world, synced):
    """A second opt-out replaces nothing, so undoing it must not put the person back."""
    account = synced("salesforce")
    opt_out_and_sync(api, world)
    opt_out_and_sync(api, world)
    first, second = ExternalRecord.objects.filter(object_type="contact_opt_out").order_by("pk")
    assert (first.snapshot, second.snapshot) == ({"HasOptedOutOfEmail": "false"}, {})
    assert _contact("salesforce", account)["HasOptedOutOfEmail"] is True


def test_it_keeps_a_hubspot_opt_out_with_nothing_to_resubscribe(api, world, synced):
    account = synced("hubspot")
    control.configure("hubspot", account, subscriptions={})  # subscribed to nothing
    opt_out_and_sync(api, world)
    rollback = start_rollback(world.client_a, "Unsubscribe", requested_by=STAFF)
    _run(rollback)
    assert (rollback.status, rollback.failed, rollback.kept) == ("done", 0, 1)
    assert (
        "nothing to subscribe them to again" in RollbackStep.objects.get(status="kept").last_error
    )
    assert hubspot_people.subscriptions_of(account, EMAIL)["wide"] is True
