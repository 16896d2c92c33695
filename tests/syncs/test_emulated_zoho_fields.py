"""A Zoho org without our company field: the sync adds it where the grant and the org allow
(audited), or writes the company to a standard field (the refusal audited once a day); the
lead lands either way. The oracle is the emulator's record and its field list."""

from __future__ import annotations

import pytest

from emulators.crm import control
from syncs.engine.runs import sync_job_run
from syncs.models import AuditEntry, JobStatus, SyncJob
from tests.connectors import crm_fixtures

from ..conftest import bearer
from .conftest import LEAD

emulated = crm_fixtures.emulated
pytestmark = pytest.mark.django_db(transaction=True)
V = "zoho"


def _sync(api, world, lead) -> str:
    assert api.post("/api/v1/leads", lead, format="json", **bearer(world.key_a)).status_code == 202
    job = SyncJob.objects.order_by("-pk").first()
    assert sync_job_run(job.pk) == JobStatus.SYNCED, SyncJob.objects.get(pk=job.pk).last_error
    return SyncJob.objects.get(pk=job.pk).external_id


def _field_audits() -> list[tuple[str, str, list[str]]]:
    return [(a.action, a.target, a.details["fields"]) for a in AuditEntry.objects.filter(
        action__startswith="crm.fields.").order_by("pk")]  # fmt: skip


@pytest.fixture
def zoho_client(world):
    world.client_a.crm_provider = V
    world.client_a.save()
    return world.client_a


def test_it_adds_the_company_field_where_allowed_and_audits_it(api, world, emulated, zoho_client):
    connection, account = emulated(V)
    connection.scopes = ["ZohoCRM.modules.contacts.ALL", "ZohoCRM.settings.fields.CREATE"]
    connection.save()
    crm_id = _sync(api, world, LEAD)
    assert control.record(V, account, crm_id)["data"]["AI_Company"] == "O'Brien Dental"
    assert _field_audits() == [("crm.fields.created", "zoho:Contacts", ["AI_Company"])]


def test_without_the_scope_the_company_lands_in_a_standard_field(api, world, emulated,
                                                                  zoho_client):  # fmt: skip
    _connection, account = emulated(V)  # granted no field-create scope
    first = _sync(api, world, LEAD)
    second = _sync(api, world, {**LEAD, "email": "other@example.com", "phone": "+14155550199"})
    for crm_id in (first, second):
        data = control.record(V, account, crm_id)["data"]
        assert "AI Company: O'Brien Dental" in data["Description"] and "AI_Company" not in data
    # once, not per lead
    assert _field_audits() == [("crm.fields.refused", "zoho:Contacts", ["AI_Company"])]
