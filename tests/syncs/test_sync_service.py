"""The sync service against a small in-memory CRM (unit level; the emulator tests count the
same effects against the vendors' wire formats)."""

from __future__ import annotations

import pytest

from syncs.engine.runs import sync_job_run
from syncs.intake.review import release_review
from syncs.models import AuditEntry, ExternalRecord, JobStatus, SyncJob

from .crm_double import MemoryCrm
from .helpers import event_of, lead_job

pytestmark = pytest.mark.django_db


def run(job, crm) -> SyncJob:
    sync_job_run(job.pk, vendor=crm)
    return SyncJob.objects.get(pk=job.pk)


def test_it_creates_the_contact_deal_and_note_normalised_and_tagged(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    assert job.status == JobStatus.SYNCED and job.attempts == 1
    (contact,) = crm.contacts.values()
    assert job.external_id == contact.id
    assert contact.fields["email"] == "Mary.OBrien@example.com"
    assert contact.fields["phone"] == "+14155552671"
    assert (contact.fields["first_name"], contact.fields["last_name"]) == ("Mary", "O'Brien")
    assert contact.fields["source_tag"] == "AI_Chatbot"
    (deal,) = crm.deals.values()
    assert (
        deal.fields["contact_id"] == contact.id and deal.fields["stage"] == "appointmentscheduled"
    )
    (note,) = crm.notes.values()
    assert "Wants a cleaning" in note.fields["body"] and "acme-bot" in note.fields["body"]
    assert "sess-1" in note.fields["body"]
    assert contact.fields["tags"] == "AI_Chatbot;acme-bot"  # source tag and chatbot vendor
    kinds = set(ExternalRecord.objects.values_list("object_type", "action"))
    assert kinds == {
        ("contact", "created"),
        ("deal", "created"),
        ("note", "created"),
        ("contact_tags", "updated"),
    }
    assert AuditEntry.objects.filter(action__startswith="crm.").count() == 4
    assert event_of(job).status == "synced"
    assert event_of(job).normalised["phone"] == "+14155552671"


def test_it_updates_a_contact_found_by_email_and_keeps_what_it_replaced(world, crm_a):
    crm = MemoryCrm()
    from connectors.base import CrmContact

    existing = crm.create_contact(
        CrmContact(email="Mary.OBrien@example.com", company="Old Co"), source_tag="manual"
    )
    job = run(lead_job(world.client_a, lead_score=10, intent=""), crm)
    assert job.external_id == existing.id and len(crm.contacts) == 1
    assert crm.contacts[existing.id].fields["company"] == "O'Brien Dental"
    record = ExternalRecord.objects.get(object_type="contact")
    assert record.action == "updated" and record.snapshot["company"] == "Old Co"
    assert not crm.deals  # score 10, no intent: no deal


def test_it_finds_the_contact_by_phone_when_the_email_is_unknown(world, crm_a):
    from connectors.base import CrmContact

    crm = MemoryCrm()
    existing = crm.create_contact(CrmContact(phone="+14155552671"), source_tag="x")
    run(lead_job(world.client_a), crm)
    assert len(crm.contacts) == 1 and crm.contacts[existing.id].fields["email"]


def test_a_duplicated_message_does_nothing(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    assert sync_job_run(job.pk, vendor=crm) == "skipped"
    assert crm.writes == ["create_contact", "create_deal", "add_note", "tag_contact"]


def test_a_job_rerun_after_a_crash_skips_what_it_already_wrote(world, crm_a):
    """The worker died after the CRM writes: the redelivered message must not write again."""
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    SyncJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)  # redelivered
    assert run(job, crm).status == JobStatus.SYNCED
    assert len(crm.contacts) == len(crm.deals) == len(crm.notes) == 1


def test_a_contact_created_but_not_recorded_is_found_not_duplicated(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    ExternalRecord.objects.filter(job=job, object_type="contact").delete()  # lost with the crash
    SyncJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    run(job, crm)
    assert len(crm.contacts) == 1


def test_a_second_lead_of_the_same_person_moves_the_deal(world, crm_a):
    crm = MemoryCrm()
    run(lead_job(world.client_a, intent="booking"), crm)
    run(lead_job(world.client_a, intent="purchase"), crm)
    (deal,) = crm.deals.values()
    assert deal.fields["stage"] == "decisionmakerboughtin"
    moved = ExternalRecord.objects.get(object_type="deal", action="updated")
    assert moved.snapshot == {"stage": "appointmentscheduled"}


def test_follow_up_tags_come_from_the_connection_settings(world, crm_a):
    crm_a.settings = {"follow_up_tags": ["marketingqualifiedlead"]}
    crm_a.save()
    crm = MemoryCrm()
    run(lead_job(world.client_a), crm)
    (contact,) = crm.contacts.values()
    assert contact.fields["tags"].split(";") == ["AI_Chatbot", "acme-bot", "marketingqualifiedlead"]
    assert ExternalRecord.objects.get(object_type="contact_tags").snapshot == {"tags": ""}


def test_deal_stages_come_from_the_connection_settings(world, crm_a):
    crm_a.settings = {"deal_stages": {"booking": "presentationscheduled"}}
    crm_a.save()
    crm = MemoryCrm()
    run(lead_job(world.client_a), crm)
    assert next(iter(crm.deals.values())).fields["stage"] == "presentationscheduled"


@pytest.mark.parametrize(
    "score, intent, deal", [(70, "", True), (69, "", False), (0, "purchase", True), (5, "x", False)]
)
def test_the_default_deal_rules(world, crm_a, score, intent, deal):
    crm = MemoryCrm()
    run(lead_job(world.client_a, lead_score=score, intent=intent), crm)
    assert bool(crm.deals) is deal


def test_a_bad_phone_is_held_for_review_and_nothing_is_sent(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a, phone="555-01"), crm)
    assert job.status == JobStatus.NEEDS_REVIEW and "555-01" in job.review_reason
    assert crm.calls == []
    assert event_of(job).status == "needs_review"
    assert AuditEntry.objects.filter(action="sync.needs_review").count() == 1


def test_a_bad_email_is_held_for_review(world, crm_a):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a, email="mary@@example"), crm)
    assert job.status == JobStatus.NEEDS_REVIEW and "email" in job.review_reason
    assert crm.calls == []


def test_staff_fix_and_release_a_held_job(world, crm_a, owner, broker):
    crm = MemoryCrm()
    job = run(lead_job(world.client_a, phone="555-01"), crm)
    broker.drain()
    with pytest.raises(Exception, match="not a valid number"):
        release_review(job, {"phone": "12"}, actor="staff:owner@northwind.example")
    released = release_review(job, {"phone": "415 555 2671"}, actor="staff:owner@x.example")
    assert released.status == JobStatus.PENDING and released.overrides == {
        "phone": "415 555 2671",
        "_reviewed": "1",
    }
    assert event_of(job).payload["phone"] == "555-01"  # as received, untouched
    assert run(job, crm).status == JobStatus.SYNCED
    assert next(iter(crm.contacts.values())).fields["phone"] == "+14155552671"
    entry = AuditEntry.objects.get(action="review.released")
    assert entry.actor == "staff:owner@x.example"


def test_release_refuses_a_job_that_is_not_held(world, crm_a):
    from django.core.exceptions import ValidationError

    job = lead_job(world.client_a)
    with pytest.raises(ValidationError):
        release_review(job, {"phone": "415 555 2671"}, actor="staff:x")
    with pytest.raises(ValidationError):
        release_review(job, {"crm_id": "1"}, actor="staff:x")


def test_shadow_mode_records_what_would_be_written_and_sends_nothing(world, crm_a):
    crm_a.shadow_mode = True
    crm_a.save()
    crm = MemoryCrm()
    job = run(lead_job(world.client_a), crm)
    assert job.status == JobStatus.SYNCED
    assert crm.writes == [] and not crm.contacts
    records = {r.object_type: r for r in ExternalRecord.objects.all()}
    assert {r.action for r in records.values()} == {"would_create", "would_update"}
    assert records["contact_tags"].values == {"tags": ["AI_Chatbot", "acme-bot"]}
    assert records["contact"].values["phone"] == "+14155552671"
    assert records["deal"].values["stage"] == "appointmentscheduled"
    assert not AuditEntry.objects.filter(action__startswith="crm.").exists()


def test_shadow_mode_records_a_would_be_update_with_the_current_values(world, crm_a):
    from connectors.base import CrmContact

    crm_a.shadow_mode = True
    crm_a.save()
    crm = MemoryCrm()
    crm.create_contact(CrmContact(email="Mary.OBrien@example.com", company="Old"), source_tag="m")
    run(lead_job(world.client_a), crm)
    record = ExternalRecord.objects.get(object_type="contact")
    assert record.action == "would_update" and record.snapshot["company"] == "Old"
    assert crm.writes == ["create_contact"]  # only the test's own setup


def test_leads_of_one_client_never_reach_another_clients_crm(world, crm_a, crm_b):
    crm = MemoryCrm()
    job = lead_job(world.client_b, phone="020 7946 0958")  # B's region is GB
    assert job.connection == crm_b
    assert run(job, crm).status == JobStatus.SYNCED
    assert not ExternalRecord.objects.filter(client=world.client_a).exists()
    assert ExternalRecord.objects.filter(client=world.client_b, provider="salesforce").exists()
    assert next(iter(crm.contacts.values())).fields["phone"] == "+442079460958"


def test_an_opt_out_adds_no_deal(world, crm_a):
    from syncs.intake.services import event_create

    crm = MemoryCrm()
    payload = {"email": "a@b.example", "lead_score": 99, "conversation_summary": "Stop please"}
    event = event_create(client=world.client_a, kind="opt_out", payload=payload)
    run(SyncJob.objects.get(event=event), crm)
    assert not crm.deals and len(crm.notes) == 1
    assert next(iter(crm.contacts.values())).fields["email_opt_out"] == "true"


def test_it_records_an_opt_out_in_shadow_mode_without_writing(world, crm_a):
    from syncs.intake.services import event_create

    crm_a.shadow_mode = True
    crm_a.save()
    crm = MemoryCrm()
    event = event_create(client=world.client_a, kind="opt_out", payload={"email": "a@b.example"})
    run(SyncJob.objects.get(event=event), crm)
    assert "opt_out" not in crm.calls
    record = ExternalRecord.objects.get(object_type="contact_opt_out")
    assert record.action == "would_update"


def test_a_create_the_crm_turned_into_an_update_is_recorded_as_one(world, crm_a):
    """HubSpot answers a create for a known email with 409 and the client updates instead."""
    from types import SimpleNamespace

    from connectors.base import CrmRecord

    class LaggingSearch(MemoryCrm):
        def create_contact(self, contact, *, source_tag):
            self._call("create_contact")
            self.contacts["77"] = CrmRecord("77", "contact", {"company": contact.company})
            # CrmRecord gains ``existed`` on the crm branch; same attributes here.
            return SimpleNamespace(
                id="77", object_type="contact", fields={"company": "Old Co"}, existed=True
            )

    job = run(lead_job(world.client_a, intent="", lead_score=1), LaggingSearch())
    record = ExternalRecord.objects.get(job=job, object_type="contact")
    assert record.action == "updated" and record.snapshot == {"company": "Old Co"}
    assert job.external_id == "77"


def test_mapping_rules_can_read_the_summary_and_session(world, crm_a):
    from syncs.crm.mapping import field_mapping_save

    crm = MemoryCrm()
    rules = [
        {"source": "summary", "target": "lifecyclestage", "transform": "copy", "args": {}},
        {"source": "session_id", "target": "chatbot_location", "transform": "copy", "args": {}},
    ]
    field_mapping_save(connection=crm_a, rules=rules, actor="staff:x", crm=crm)
    run(lead_job(world.client_a), crm)
    (contact,) = crm.contacts.values()
    assert contact.fields["lifecyclestage"] == "Wants a cleaning next week."
    assert contact.fields["chatbot_location"] == "sess-1"


def test_tags_the_crm_refuses_are_audited_and_the_job_still_syncs(world, crm_a):
    from connectors.base import ConnectorError

    class NoSuchLabel(MemoryCrm):
        def tag_contact(self, record_id, tags):
            raise ConnectorError("no person label ['AI_Chatbot']", permanent=True)

    crm = NoSuchLabel()
    job = run(lead_job(world.client_a), crm)
    assert job.status == JobStatus.SYNCED and len(crm.contacts) == 1
    assert AuditEntry.objects.filter(action="crm.tags.refused").count() == 1


def test_a_transient_tag_failure_retries_without_writing_twice(world, crm_a):
    from connectors.base import ConnectorError

    crm = MemoryCrm()
    crm.failures = []
    original = crm.tag_contact
    calls = []

    def flaky(record_id, tags):
        calls.append(record_id)
        if len(calls) == 1:
            raise ConnectorError("503", status=503)
        return original(record_id, tags)

    crm.tag_contact = flaky
    job = run(lead_job(world.client_a), crm)
    assert job.status == JobStatus.FAILED
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    assert run(job, crm).status == JobStatus.SYNCED
    assert crm.writes.count("create_contact") == 1 and crm.writes.count("create_deal") == 1
    assert crm.writes.count("add_note") == 1 and len(calls) == 2


def test_an_event_naming_only_the_session_finds_the_person_of_that_session(world, crm_a):
    from syncs.intake.services import event_create

    crm = MemoryCrm()
    run(lead_job(world.client_a, intent="", lead_score=1), crm)
    payload = {"chatbot_session_id": "sess-1", "conversation_summary": "Booked for Tuesday."}
    event = event_create(client=world.client_a, kind="conversation.ended", payload=payload)
    job = run(SyncJob.objects.get(event=event), crm)
    assert job.status == JobStatus.SYNCED and len(crm.contacts) == 1
    assert any("Booked for Tuesday" in n.fields["body"] for n in crm.notes.values())


def test_a_session_of_another_client_is_not_used(world, crm_a, crm_b):
    from syncs.intake.services import event_create

    crm = MemoryCrm()
    run(lead_job(world.client_b, phone="020 7946 0958"), crm)  # B's lead, session sess-1
    payload = {"chatbot_session_id": "sess-1", "conversation_summary": "Hi"}
    event = event_create(client=world.client_a, kind="conversation.ended", payload=payload)
    job = run(SyncJob.objects.get(event=event), crm)
    assert job.status == JobStatus.NEEDS_REVIEW and "no email or phone" in job.review_reason


def _record_reads(queries) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"syncs_externalrecord"."job_id" =' in q["sql"]
    )


def test_a_first_run_reads_no_records_and_a_rerun_reads_them_once(world, crm_a):
    """Only a run of the job writes its records: a first claim has none to read; a re-run
    reads what the earlier run wrote once for all its steps (contact, deal, note, tags)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connectors.base import ConnectorError

    crm = MemoryCrm()
    original, notes = crm.add_note, []

    def flaky(**kwargs):
        notes.append(kwargs)
        if len(notes) == 1:
            raise ConnectorError("503", status=503)
        return original(**kwargs)

    crm.add_note = flaky
    job = lead_job(world.client_a)
    with CaptureQueriesContext(connection) as first:
        assert run(job, crm).status == JobStatus.FAILED
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    with CaptureQueriesContext(connection) as second:
        assert run(job, crm).status == JobStatus.SYNCED
    assert _record_reads(first) == 0 and _record_reads(second) == 1
    assert crm.writes.count("create_contact") == 1 and crm.writes.count("create_deal") == 1
    assert len(crm.notes) == 1
