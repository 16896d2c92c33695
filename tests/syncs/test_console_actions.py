"""Sync console pages that act: roles gate every change (viewer cannot release, edit mappings
or roll back), validation errors are shown inline, and staff actions are audited."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from connectors.base import ConnectorError, CrmField
from syncs.crm import clients as crm_module
from syncs.crm.mapping import default_rules
from syncs.models import AuditEntry, ExternalRecord, FieldMapping, SyncJob
from syncs.rollback.models import Rollback, RollbackStep
from syncs.rollback.services import start_rollback

from .console_helpers import page, scene
from .crm_double import MemoryCrm
from .rollback_helpers import run_rollback

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(world):
    return scene(world)


class CatalogueCrm(MemoryCrm):
    """A CRM that has the provider's default fields as well (whatever the defaults are)."""

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        names = {r["target"] for r in default_rules("hubspot")}
        return super().field_catalogue(object_type) + [CrmField(n, n) for n in sorted(names)]


@pytest.fixture
def catalogue(monkeypatch):
    """The CRM's field list comes through the registry seam from an in-memory CRM."""
    crm = CatalogueCrm()
    monkeypatch.setattr(crm_module, "crm_client_for", lambda connection: crm)
    return crm


def url(world, rest: str) -> str:
    return f"/console/clients/{world.client_a.public_id}/{rest}"


FIX = {"phone": "+1 415 555 2672", "email": "fixed@example.com"}


def fix_form(job):
    return {f"job{job.pk}-{k}": v for k, v in FIX.items()}


def test_an_operator_fixes_and_releases_a_held_job(client, world, operator, seen):
    client.force_login(operator)
    body = page(client, url(world, "review/"))
    assert "Fix and release" in body and escape(seen.held.review_reason) in body
    response = client.post(url(world, f"review/{seen.held.pk}/release"), fix_form(seen.held))
    assert response.status_code == 302
    job = SyncJob.objects.get(pk=seen.held.pk)
    assert job.status in ("pending", "queued") and job.overrides["email"] == "fixed@example.com"
    entry = AuditEntry.objects.get(action="review.released")
    assert entry.actor == "staff:operator@northwind.example"
    assert "Nothing waits for review." in page(client, url(world, "review/"))


def test_a_viewer_cannot_release(client, world, viewer, seen):
    client.force_login(viewer)
    assert "Fix and release" not in page(client, url(world, "review/"))
    response = client.post(url(world, f"review/{seen.held.pk}/release"), fix_form(seen.held))
    assert response.status_code == 403
    assert SyncJob.objects.get(pk=seen.held.pk).status == "needs_review"


def test_a_release_that_is_still_invalid_is_refused_with_the_reason(client, world, operator, seen):
    client.force_login(operator)
    bad = {f"job{seen.held.pk}-phone": "12345"}
    response = client.post(url(world, f"review/{seen.held.pk}/release"), bad, follow=True)
    assert "not released" in response.content.decode()
    assert SyncJob.objects.get(pk=seen.held.pk).status == "needs_review"


def test_a_refused_fix_is_shown_as_typed_with_each_reason_beside_its_field(
    client, world, operator, seen
):
    """Held for e-mail "not-an-email" and phone "12": staff fix the e-mail but mistype the
    phone. The page keeps both as typed and says what is wrong beside the phone only."""
    client.force_login(operator)
    job = seen.held
    typed = {f"job{job.pk}-email": "fixed@example.com", f"job{job.pk}-phone": "555"}
    response = client.post(url(world, f"review/{job.pk}/release"), typed)
    assert response.status_code == 400
    body = response.content.decode()
    form = re.search(rf'<section class="card review" id="job-{job.pk}">.*?</section>', body, re.S)
    fields = {
        name: re.search(
            rf'<p class="field[^"]*">.*?name="job{job.pk}-{name}".*?</p>', form[0], re.S
        )[0]
        for name in ("email", "phone", "name")
    }
    assert 'value="fixed@example.com"' in fields["email"] and 'value="not-an-email"' not in form[0]
    assert 'value="555"' in fields["phone"] and 'value="12"' not in fields["phone"]
    assert 'class="field invalid"' in fields["phone"] and 'aria-invalid="true"' in fields["phone"]
    assert escape("phone '555' is not a valid number") in fields["phone"]
    assert "errors" not in fields["email"] and "errors" not in fields["name"]
    assert f"Job {job.pk} not released" in body
    assert SyncJob.objects.get(pk=job.pk).status == "needs_review"
    assert not AuditEntry.objects.filter(action="review.released").exists()


def test_a_fix_refused_for_the_person_as_a_whole_says_so_above_the_fields(
    client, world, operator, crm_a
):
    from .rollback_helpers import sync_lead

    held = sync_lead(world.client_a, MemoryCrm(), email="", phone="", chatbot_session_id="s1")
    assert SyncJob.objects.get(pk=held.pk).status == "needs_review"
    client.force_login(operator)
    response = client.post(url(world, f"review/{held.pk}/release"), {f"job{held.pk}-name": "Al"})
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r'<div class="errors" role="alert">.*no email or phone', body, re.S)
    assert 'value="Al"' in body


def test_it_cannot_release_another_clients_job(client, world, owner, seen):
    other = f"/console/clients/{world.client_b.public_id}/review/{seen.held.pk}/release"
    client.force_login(owner)
    assert client.post(other, fix_form(seen.held)).status_code == 404


RULE = {"source": "intent", "target": "chatbot_location", "transform": "upper", "args": ""}


def test_it_lists_the_default_rules_and_adds_one(client, world, owner, seen, catalogue):
    client.force_login(owner)
    editor = url(world, f"mappings/{seen.connection.pk}/")
    body = page(client, editor)
    assert "default rules" in body and default_rules("hubspot")[0]["target"] in body
    assert client.post(editor, RULE).status_code == 302
    rules = FieldMapping.objects.get(connection=seen.connection).rules
    assert rules[-1] == {**RULE, "args": {}} and len(rules) == len(default_rules("hubspot")) + 1
    assert AuditEntry.objects.filter(action="mapping.saved").count() == 1


def test_it_shows_the_validators_refusal_inline_and_saves_nothing(
    client, world, owner, seen, catalogue
):
    client.force_login(owner)
    editor = url(world, f"mappings/{seen.connection.pk}/")
    response = client.post(editor, {**RULE, "target": "no_such_field"})
    assert response.status_code == 400
    assert "The CRM has no field named &#x27;no_such_field&#x27;" in response.content.decode()
    response = client.post(editor, {**RULE, "transform": "value_map", "args": "{}"})
    assert "value_map needs args.map" in response.content.decode()
    response = client.post(editor, {**RULE, "args": "{not json"})
    assert "Not valid JSON" in response.content.decode()
    assert not FieldMapping.objects.exists()


def test_it_picks_targets_from_the_crms_field_list_with_types(
    client, world, owner, seen, catalogue
):
    client.force_login(owner)
    body = page(client, url(world, f"mappings/{seen.connection.pk}/"))
    picker = re.search(r'<select name="target"[^>]*>(.*?)</select>', body, re.S)
    assert picker, "the target is a choice among the CRM's fields, not a text box"
    assert 'class="field-picker"' in body and 'id="target-search"' in body
    assert "Chatbot location — chatbot_location (string, custom)" in picker.group(1)
    assert '<optgroup label="The CRM&#x27;s fields">' in picker.group(1)
    assert '<input type="text" name="target"' not in body


def test_each_rule_shows_its_crm_fields_label_and_type_or_that_it_is_gone(
    client, world, owner, seen, catalogue
):
    rules = [
        {"source": "intent", "target": target, "transform": "copy", "args": {}}
        for target in ("chatbot_location", "deleted_in_crm")
    ]
    FieldMapping.objects.create(client=world.client_a, connection=seen.connection, rules=rules)
    client.force_login(owner)
    body = page(client, url(world, f"mappings/{seen.connection.pk}/"))
    cells = re.findall(r'<td class="target">(.*?)</td>', body, re.S)
    assert "Chatbot location · string · custom" in cells[0]
    assert "not in the CRM's field list" in cells[1] and "·" not in cells[1]


def test_a_target_the_crm_lacks_is_refused_beside_the_field(client, world, owner, seen, catalogue):
    client.force_login(owner)
    response = client.post(
        url(world, f"mappings/{seen.connection.pk}/"), {**RULE, "target": "nope"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    beside = re.search(r'<p class="field invalid" id="field-target">(.*?)</p>', body, re.S)
    assert beside and "The CRM has no field named &#x27;nope&#x27;" in beside.group(1)
    assert "nope (not in the CRM&#x27;s field list)" in beside.group(1)  # still visible, marked
    assert not FieldMapping.objects.exists()


def test_the_editor_says_when_the_field_list_cannot_be_read(
    client, world, owner, seen, monkeypatch
):
    def unreachable(connection):
        raise ConnectorError("CRM down", status=503)

    monkeypatch.setattr(crm_module, "crm_client_for", unreachable)
    client.force_login(owner)
    body = page(client, url(world, f"mappings/{seen.connection.pk}/"))
    assert 'id="catalogue-error"' in body and "Could not read the CRM&#x27;s field list" in body


def test_it_says_so_when_the_crm_field_list_cannot_be_read(client, world, owner, seen, monkeypatch):
    def unreachable(connection):
        raise ConnectorError("CRM down", status=503)

    monkeypatch.setattr(crm_module, "crm_client_for", unreachable)
    client.force_login(owner)
    response = client.post(url(world, f"mappings/{seen.connection.pk}/"), RULE)
    assert "Could not read the CRM" in response.content.decode()
    assert not FieldMapping.objects.exists()


def test_it_edits_and_deletes_a_rule(client, world, owner, seen, catalogue):
    client.force_login(owner)
    editor = url(world, f"mappings/{seen.connection.pk}/")
    assert 'value="company"' in page(client, editor + "?edit=4")
    changed = {"source": "company", "target": "company", "transform": "upper", "index": "4"}
    assert client.post(editor, changed).status_code == 302
    rules = FieldMapping.objects.get(connection=seen.connection).rules
    defaults = default_rules("hubspot")
    assert rules[4]["transform"] == "upper" and len(rules) == len(defaults)
    assert client.post(editor + "rules/0/delete").status_code == 302
    rules = FieldMapping.objects.get(connection=seen.connection).rules
    assert len(rules) == len(defaults) - 1 and rules[0] == defaults[1]


def test_only_configure_may_change_mappings(client, world, operator, seen, catalogue):
    client.force_login(operator)
    editor = url(world, f"mappings/{seen.connection.pk}/")
    assert "Save rule" not in page(client, editor)
    assert client.post(editor, RULE).status_code == 403
    assert client.post(editor + "rules/0/delete").status_code == 403
    assert not FieldMapping.objects.exists()


def test_it_previews_then_starts_a_rollback_and_reports_it(client, world, operator, seen):
    client.force_login(operator)
    preview = page(client, url(world, "rollback/?tag=AI_Chatbot"))
    assert "Preview: 4 records" in preview and "Roll back these 4 records" in preview
    assert seen.synced.external_id in preview
    response = client.post(url(world, "rollback/"), {"tag": "AI_Chatbot", "confirm": "yes"})
    rollback = Rollback.objects.get()
    assert response["Location"] == url(world, f"rollback/{rollback.pk}/")
    assert rollback.requested_by == "staff:operator@northwind.example" and rollback.total == 4
    run_rollback(rollback, seen.crm)
    report = page(client, url(world, f"rollback/{rollback.pk}/"))
    assert "4 records: 3 deleted, 1 restored, 0 kept, 0 skipped, 0 failed" in report
    assert "Done" in report and not seen.crm.contacts
    assert "Preview: 0 records" in page(client, url(world, "rollback/?tag=AI_Chatbot"))


def test_a_rollback_starts_only_from_the_previews_destructive_button(client, world, operator, seen):
    client.force_login(operator)
    preview = page(client, url(world, "rollback/?tag=AI_Chatbot"))
    assert '<button type="submit" class="danger">Roll back these 4 records</button>' in preview
    assert "cannot be brought back" in preview
    response = client.post(url(world, "rollback/"), {"tag": "AI_Chatbot"})
    assert response.status_code == 302 and response["Location"].endswith("?tag=AI_Chatbot")
    assert not Rollback.objects.exists()


def test_a_viewer_may_preview_but_not_roll_back(client, world, viewer, seen):
    client.force_login(viewer)
    preview = page(client, url(world, "rollback/?tag=AI_Chatbot"))
    assert "Preview: 4 records" in preview and "Roll back these" not in preview
    assert client.post(url(world, "rollback/"), {"tag": "AI_Chatbot"}).status_code == 403
    assert client.post(url(world, "rollback/1/resume")).status_code == 403
    assert not Rollback.objects.exists()
    assert not ExternalRecord.objects.filter(rolled_back_at__isnull=False).exists()


def test_it_refuses_a_window_that_ends_before_it_starts(client, world, operator, seen):
    client.force_login(operator)
    bad = {"tag": "AI_Chatbot", "since": "2030-01-02T00:00", "until": "2030-01-01T00:00"}
    assert "must start before it ends" in page(
        client, url(world, "rollback/?" + "&".join(f"{k}={v}" for k, v in bad.items()))
    )
    client.post(url(world, "rollback/"), bad)
    assert not Rollback.objects.exists()


def test_rollback_of_one_client_from_the_console_leaves_the_other_alone(client, world, owner, seen):
    client.force_login(owner)
    other = f"/console/clients/{world.client_b.public_id}/rollback/"
    client.post(other, {"tag": "AI_Chatbot", "confirm": "yes"})
    rollback = Rollback.objects.get()
    assert rollback.client == world.client_b and rollback.total == 0


def test_an_operator_resumes_a_stalled_rollback(client, world, operator, seen):
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by="staff:x")
    first = RollbackStep.objects.get(rollback=rollback, position=0)
    RollbackStep.objects.filter(pk=first.pk).update(status="running")  # its worker died
    client.force_login(operator)
    report = page(client, url(world, f"rollback/{rollback.pk}/"))
    assert "Resume if stalled" in report and 'http-equiv="refresh"' in report
    response = client.post(url(world, f"rollback/{rollback.pk}/resume"), follow=True)
    assert "The next step is queued again." in response.content.decode()
    first.refresh_from_db()
    assert first.status == "pending"


def test_a_long_preview_shows_one_page_and_the_full_count(
    client, world, operator, seen, monkeypatch
):
    from syncs.rollback import console as rollback_console

    monkeypatch.setattr(rollback_console, "PREVIEW_LIMIT", 2)
    client.force_login(operator)
    preview = page(client, url(world, "rollback/?tag=AI_Chatbot"))
    assert "Preview: 4 records" in preview and "Showing the first 2." in preview
    assert preview.count("<td>deleted</td>") + preview.count("<td>restored</td>") == 2
