"""A Pipedrive company without Switchboard's custom person fields: the sync adds them where
the grant and the company allow (audited), or keeps their values in a note on the person (the
refusal audited once a day); the person lands whole either way. The oracle is the emulator's
records and its field list."""

from __future__ import annotations

import pytest

from connectors.pipedrive.fields import OWN_FIELDS
from emulators.crm import common, control
from syncs.engine.runs import sync_job_run
from syncs.models import AuditEntry, JobStatus, SyncJob
from tests.connectors import crm_fixtures

from ..conftest import bearer
from .conftest import LEAD

emulated = crm_fixtures.emulated
pytestmark = pytest.mark.django_db(transaction=True)
V = "pipedrive"
OTHER = {**LEAD, "name": "Bo Two", "email": "two@example.com", "phone": "+14155550199"}


def _sync(api, world, lead) -> str:
    assert api.post("/api/v1/leads", lead, format="json", **bearer(world.key_a)).status_code == 202
    job = SyncJob.objects.order_by("-pk").first()
    assert sync_job_run(job.pk) == JobStatus.SYNCED, SyncJob.objects.get(pk=job.pk).last_error
    return SyncJob.objects.get(pk=job.pk).external_id


def _field_audits() -> list[tuple[str, str, list[str]]]:
    return [(a.action, a.target, a.details["fields"]) for a in AuditEntry.objects.filter(
        action__startswith="crm.fields.").order_by("pk")]  # fmt: skip


def _keys(account: str) -> dict[str, str]:
    from emulators.crm.pipedrive import custom_person_fields

    return {f["name"]: f["key"] for f in custom_person_fields(account)}


def _notes(account: str, person_id: str) -> str:
    rows = common.records_of(V, account, "notes")
    return "\n".join(r.data["content"] for r in rows if str(r.data.get("person_id")) == person_id)


@pytest.fixture
def pipedrive_client(world):
    world.client_a.crm_provider = V
    world.client_a.save()
    return world.client_a


def test_a_bare_company_gets_switchboards_fields_and_the_change_is_audited(
    api, world, emulated, pipedrive_client
):
    _connection, account = emulated(V)  # scopes never recorded: Pipedrive is asked
    assert _keys(account) == {}
    first = _sync(api, world, LEAD)
    second = _sync(api, world, OTHER)
    keys = _keys(account)
    assert sorted(keys) == sorted(OWN_FIELDS)
    values = control.record(V, account, first)["data"]["custom_fields"]
    assert {name: values.get(key) for name, key in keys.items()} == {
        "Source tag": "AI_Chatbot", "AI lead score": "82", "AI intent": "booking",
        "Chatbot vendor": "acme-bot", "Chatbot session id": "sess-1",
    }  # fmt: skip
    assert control.record(V, account, second)["data"]["custom_fields"][keys["AI intent"]]
    assert _field_audits() == [("crm.fields.created", "pipedrive:person", list(OWN_FIELDS))]
    assert "kept these here" not in _notes(account, first)  # nothing needed a note


@pytest.mark.parametrize("why", ["no_scope", "company_refuses"])
def test_a_company_refusing_new_fields_still_gets_the_whole_lead(
    api, world, emulated, pipedrive_client, why
):
    connection, account = emulated(V)
    if why == "no_scope":  # the app's Marketplace settings grant no fields scope
        connection.scopes = ["base", "contacts:full", "deals:full", "search:read"]
        connection.save()
    else:  # asked, and answered 403 Scope and URL mismatch
        control.configure(V, account, fields_admin=False)
    first = _sync(api, world, LEAD)
    second = _sync(api, world, OTHER)
    for crm_id in (first, second):
        person = control.record(V, account, crm_id)["data"]
        assert not person.get("custom_fields") and person["emails"]
        notes = _notes(account, crm_id)
        for line in ("AI lead score: 82", "AI intent: booking", "Chatbot vendor: acme-bot",
                     "Chatbot session id: sess-1"):  # fmt: skip
            assert line in notes, notes
    assert _keys(account) == {}
    # once a day, not per lead
    assert _field_audits() == [("crm.fields.refused", "pipedrive:person", list(OWN_FIELDS))]
