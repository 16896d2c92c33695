"""Rollback by source tag: exact preview, delete what we created, restore what we replaced,
one audit entry per record, a no-op when run again, and nothing of another client touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.base import ConnectorError, CrmContact
from syncs.models import AuditEntry, ExternalRecord
from syncs.rollback.models import RollbackStep
from syncs.rollback.services import preview_rollback, rollback_step_run, start_rollback

from .rollback_helpers import UndoCrm, published_steps, run_rollback, sync_lead

pytestmark = pytest.mark.django_db
STAFF = "staff:operator@northwind.example"
PER_RECORD = ("rollback.deleted", "rollback.restored")


@pytest.fixture
def two_leads(world, crm_a):
    """Lead 1 creates contact, deal and note; lead 2 (same person) updates the contact's
    company and adds a second note."""
    crm = UndoCrm()
    sync_lead(world.client_a, crm)
    sync_lead(world.client_a, crm, company="Brightsmile", chatbot_session_id="sess-2")
    return crm


def test_it_previews_exactly_the_clients_tagged_real_writes_newest_first(world, two_leads, crm_b):
    ExternalRecord.objects.create(
        client=world.client_a, provider="hubspot", object_type="contact", action="would_create"
    )
    sync_lead(world.client_b, UndoCrm(), phone="+14155552671")
    other = {"email": "x@example.com", "phone": "+14155550177"}  # another person
    sync_lead(world.client_a, two_leads, source_tag="Other_Bot", **other)
    plan = preview_rollback(world.client_a, "AI_Chatbot")
    expected = ExternalRecord.objects.filter(
        client=world.client_a, source_tag="AI_Chatbot", action__in=["created", "updated"]
    ).order_by("-created_at", "-pk")
    assert [p.record.pk for p in plan] == [r.pk for r in expected]
    assert [(p.record.object_type, p.operation) for p in plan] == [
        ("contact_tags", "restore"),
        ("note", "delete"),
        ("contact", "restore"),
        ("contact_tags", "restore"),
        ("note", "delete"),
        ("deal", "delete"),
        ("contact", "delete"),
    ]
    assert plan[2].values["company"] == "O'Brien Dental"
    assert plan[3].values == {"tags": ""}


def test_it_deletes_what_it_created_and_leaves_the_crm_as_before(world, crm_a):
    crm = UndoCrm()
    before = crm.state()
    sync_lead(world.client_a, crm)
    sync_lead(world.client_a, crm, company="Brightsmile")
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert run_rollback(rollback, crm) == [
        "restored", "deleted", "restored", "restored", "deleted", "deleted", "deleted"
    ]  # fmt: skip
    assert crm.state() == before
    assert (rollback.status, rollback.total, rollback.deleted, rollback.restored) == (
        "done",
        7,
        4,
        3,
    )
    assert not ExternalRecord.objects.filter(
        client=world.client_a, action__in=["created", "updated"], rolled_back_at__isnull=True
    ).exists()


def test_it_restores_the_fields_an_update_replaced(world, crm_a):
    crm = UndoCrm()
    existing = crm.create_contact(
        CrmContact(email="Mary.OBrien@example.com", company="Old Co", phone="+14155550000"),
        source_tag="manual",
    )
    original = {k: v for k, v in crm.contacts[existing.id].fields.items() if v}
    sync_lead(world.client_a, crm, lead_score=10, intent="", conversation_summary="")
    sync_lead(world.client_a, crm, lead_score=10, intent="", company="Newer Co")
    assert crm.contacts[existing.id].fields["company"] == "Newer Co"
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)
    restored = {k: v for k, v in crm.contacts[existing.id].fields.items() if v}
    assert restored == original  # both updates unwound, in order (blank = never set)
    assert set(crm.contacts) == {existing.id}


def test_a_contact_another_tag_wrote_to_since_is_kept_until_that_tag_is_undone(world, crm_a):
    crm = UndoCrm()
    before = crm.state()
    sync_lead(world.client_a, crm, lead_score=10, intent="")
    (contact_id,) = crm.contacts
    sync_lead(world.client_a, crm, source_tag="Other_Bot", lead_score=10, intent="",
              company="Brightsmile")  # fmt: skip
    plan = preview_rollback(world.client_a, "AI_Chatbot")
    kept = [p for p in plan if p.operation == "keep"]
    assert {p.record.object_type for p in kept} == {"contact", "contact_tags"}
    assert all("Other_Bot" in p.reason for p in kept)

    first = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert sorted(run_rollback(first, crm)) == ["deleted", "kept", "kept"]  # the note goes
    assert crm.contacts[contact_id].fields["company"] == "Brightsmile"
    assert first.kept == 2 and AuditEntry.objects.filter(action="rollback.kept").count() == 2

    run_rollback(start_rollback(world.client_a, "Other_Bot", requested_by=STAFF), crm)
    again = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert sorted(run_rollback(again, crm)) == ["deleted", "restored"]
    assert crm.state() == before


def test_a_later_write_of_the_same_tag_outside_the_session_is_not_undone(world, crm_a):
    """Rolling back one chatbot session must not delete a contact a later session of the same
    tag updated (nor put back a field it wrote): that later write is outside the rollback."""
    crm = UndoCrm()
    quiet = {"lead_score": 10, "intent": "", "conversation_summary": ""}
    sync_lead(world.client_a, crm, chatbot_session_id="sess-1", **quiet)
    (contact_id,) = crm.contacts
    sync_lead(world.client_a, crm, chatbot_session_id="sess-2", company="Brightsmile", **quiet)
    plan = preview_rollback(world.client_a, "AI_Chatbot", session_id="sess-1")
    (contact,) = [p for p in plan if p.record.object_type == "contact"]
    assert contact.operation == "keep" and "outside this rollback" in contact.reason
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF, session_id="sess-1")
    run_rollback(rollback, crm)
    assert crm.contacts[contact_id].fields["company"] == "Brightsmile"
    later = timezone.now() + timedelta(minutes=1)
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)
    assert contact_id not in crm.contacts  # the whole tag: both sessions undone
    assert preview_rollback(world.client_a, "AI_Chatbot", until=later) == []


def test_a_field_another_tag_wrote_since_keeps_that_tags_value(world, crm_a):
    crm = UndoCrm()
    existing = crm.create_contact(
        CrmContact(email="Mary.OBrien@example.com", company="Old Co", phone="+14155550000"),
        source_tag="manual",
    )
    quiet = {"lead_score": 10, "intent": "", "conversation_summary": ""}
    sync_lead(world.client_a, crm, company="Ours Co", **quiet)
    sync_lead(world.client_a, crm, source_tag="Other_Bot", company="Theirs Co", **quiet)
    (contact,) = [
        p for p in preview_rollback(world.client_a, "AI_Chatbot")
        if p.record.object_type == "contact"
    ]  # fmt: skip
    assert "company" not in contact.values and "company" in contact.reason
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm)
    fields = crm.contacts[existing.id].fields
    assert fields["company"] == "Theirs Co"  # not put back over the later tag's value
    assert fields["first_name"] == ""  # what only our tag wrote is undone


def test_it_is_a_no_op_when_run_again(world, two_leads):
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), two_leads)
    calls, audits = list(two_leads.calls), AuditEntry.objects.count()
    again = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert run_rollback(again, two_leads) == []
    assert (again.status, again.total, again.finished_at is not None) == ("done", 0, True)
    assert two_leads.calls == calls
    per_record = AuditEntry.objects.filter(action__in=PER_RECORD).count()
    assert per_record == 7 and AuditEntry.objects.count() == audits + 2  # started + finished


def test_it_skips_a_step_whose_record_was_undone_meanwhile(world, two_leads):
    first = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    second = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    run_rollback(first, two_leads)
    calls = list(two_leads.calls)
    assert set(run_rollback(second, two_leads)) == {"skipped"}
    assert two_leads.calls == calls and second.skipped == 7
    assert AuditEntry.objects.filter(action__in=PER_RECORD).count() == 7


def test_it_touches_nothing_of_another_client_or_tag(world, crm_a, crm_b):
    crm_of_a, crm_of_b = UndoCrm(), UndoCrm()
    sync_lead(world.client_a, crm_of_a)
    sync_lead(
        world.client_a,
        crm_of_a,
        source_tag="Other_Bot",
        email="o@example.com",
        phone="+14155550199",
    )
    sync_lead(world.client_b, crm_of_b, phone="+14155552671")
    b_before, b_records = (
        crm_of_b.state(),
        set(ExternalRecord.objects.filter(client=world.client_b).values_list("pk", flat=True)),
    )
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), crm_of_a)
    assert crm_of_b.writes == ["create_contact", "create_deal", "add_note", "tag_contact"]
    assert crm_of_b.state() == b_before
    assert not ExternalRecord.objects.filter(pk__in=b_records, rolled_back_at__isnull=False)
    other = ExternalRecord.objects.filter(client=world.client_a, source_tag="Other_Bot")
    assert other.count() == 4 and not other.filter(rolled_back_at__isnull=False).exists()
    assert len(crm_of_a.contacts) == 1  # the Other_Bot contact is still there
    assert not AuditEntry.objects.filter(client=world.client_b, action__startswith="rollback")


def test_it_writes_one_audit_entry_per_record(world, two_leads):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    run_rollback(rollback, two_leads)
    entries = AuditEntry.objects.filter(action__in=PER_RECORD)
    records = ExternalRecord.objects.filter(client=world.client_a, rolled_back_at__isnull=False)
    assert sorted(e.details["record"] for e in entries) == sorted(r.pk for r in records)
    assert {e.actor for e in entries} == {STAFF}
    assert {e.details["rollback"] for e in entries} == {rollback.pk}


def test_audit_entries_cannot_be_changed_or_removed(world, two_leads):
    run_rollback(start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF), two_leads)
    entry = AuditEntry.objects.filter(action="rollback.deleted").first()
    entry.action = "rollback.nothing"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    assert AuditEntry.objects.get(pk=entry.pk).action == "rollback.deleted"


def test_it_narrows_to_a_session_and_a_time_window(world, two_leads):
    by_session = preview_rollback(world.client_a, "AI_Chatbot", session_id="sess-2")
    assert [p.record.object_type for p in by_session] == ["contact_tags", "note", "contact"]
    later = timezone.now() + timedelta(minutes=1)
    assert preview_rollback(world.client_a, "AI_Chatbot", since=later) == []
    assert len(preview_rollback(world.client_a, "AI_Chatbot", until=later)) == 7


def test_it_counts_a_record_the_vendor_already_removed_as_deleted(world, two_leads):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    first = RollbackStep.objects.filter(rollback=rollback, operation="delete").first()
    two_leads.failures.append(ConnectorError("Not found", status=404, permanent=True))
    assert rollback_step_run(first.pk, vendor=two_leads) == "deleted"
    entry = AuditEntry.objects.get(action="rollback.deleted", details__record=first.record_id)
    assert entry.details["already_gone"] is True


def test_it_retries_a_transient_error_before_going_on(world, two_leads):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    first = RollbackStep.objects.get(rollback=rollback, position=0)
    two_leads.failures.append(ConnectorError("Bad gateway", status=502))
    assert rollback_step_run(first.pk, vendor=two_leads) == "pending"
    assert ExternalRecord.objects.get(pk=first.record_id).rolled_back_at is None
    assert run_rollback(rollback, two_leads)[0] == "restored"
    assert rollback.status == "done"


def test_it_reports_a_permanent_failure_and_finishes_the_rest(world, two_leads):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    two_leads.failures.append(ConnectorError("Forbidden", status=403, permanent=True))
    assert run_rollback(rollback, two_leads)[0] == "failed"
    assert (rollback.status, rollback.failed, rollback.deleted) == ("done_with_errors", 1, 4)
    retry = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    assert retry.total == 1 and run_rollback(retry, two_leads) == ["restored"]


def test_it_runs_as_chained_celery_tasks_queued_on_commit(
    world, two_leads, monkeypatch, django_capture_on_commit_callbacks
):
    from syncs.crm import clients as crm_module
    from syncs.rollback.tasks import run_rollback_step

    monkeypatch.setattr(crm_module, "crm_client_for", lambda connection: two_leads)
    published_steps()
    with django_capture_on_commit_callbacks(execute=True):
        rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by=STAFF)
    order = []
    while queued := published_steps():
        assert len(queued) == 1  # one step at a time, in order
        order.append(queued[0])
        with django_capture_on_commit_callbacks(execute=True):
            run_rollback_step(queued[0])
    steps = RollbackStep.objects.filter(rollback=rollback).order_by("position")
    assert order == [s.pk for s in steps]
    rollback.refresh_from_db()
    assert (rollback.status, rollback.deleted, rollback.restored) == ("done", 4, 3)
    assert not two_leads.contacts and not two_leads.deals and not two_leads.notes
