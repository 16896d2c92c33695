"""Staff decide about people in a real browser: a merge goes through its confirmation and
merges the CRM records; a held likely duplicate is linked from the review queue and writes no
second contact. The oracle is the HubSpot emulator behind the same live server."""

from __future__ import annotations

import pytest

from emulators.crm import control
from syncs.engine.runs import sync_job_run
from syncs.models import JobStatus, SyncJob
from tests.connectors import crm_fixtures
from tests.syncs.test_console_merge import crm_pair  # noqa: F401
from tests.syncs.test_emulated_held_duplicate import held  # noqa: F401

from .test_console import sign_in

emulated = crm_fixtures.emulated

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_merge_is_confirmed_then_done_in_the_crm(page, live_server, world, operator, crm_pair):  # noqa: F811
    _connection, account, kept, gone, pair = crm_pair
    sign_in(page, live_server.url, operator.email)
    page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/duplicates/")
    page.click(f"#candidate-{pair.pk} >> text=Merge…")
    page.wait_for_selector("#merge-fields")
    assert "cannot be undone" in page.content()
    assert f"record {gone} is merged into record {kept}" in page.locator("#merge-crms").inner_text()
    assert control.record("hubspot", account, gone) is not None  # nothing yet
    page.click("#merge-confirm button[type=submit]")
    page.wait_for_selector(".messages")
    assert "merged in Switchboard and in HubSpot" in page.content()
    assert control.record("hubspot", account, gone) is None


def test_a_held_lead_is_linked_from_the_review_queue(page, live_server, world, operator, held):  # noqa: F811
    account, job, pair = held
    sign_in(page, live_server.url, operator.email)
    page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/duplicates/")
    assert page.locator(f"#held-pair-{pair.pk}").count() == 1
    page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/review/")
    page.click(f"#held-pair-{pair.pk} >> text=Link to the existing record")
    page.wait_for_selector(".messages")
    assert "linked to the existing record" in page.content()
    for pending in SyncJob.objects.filter(status__in=[JobStatus.PENDING, JobStatus.QUEUED]):
        sync_job_run(pending.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SYNCED
    assert len(control.records("hubspot", account, "contacts")) == 1


def test_an_opt_out_reaches_the_crm_and_shows_on_its_event(
    page, live_server, world, operator, api, emulated
):
    from syncs.models import AiEvent
    from tests.syncs.test_emulated_opt_out import OPT_OUT, opt_out_and_sync
    from tests.syncs.test_emulated_rollback import _post_and_sync

    from ..syncs.conftest import LEAD

    _connection, account = emulated("salesforce")
    world.client_a.crm_provider = "salesforce"
    world.client_a.save()
    _post_and_sync(api, world.key_a, LEAD)
    opt_out_and_sync(api, world)
    (contact,) = control.records("salesforce", account, "Contact")
    assert contact["data"]["HasOptedOutOfEmail"] is True
    event = AiEvent.objects.get(kind="opt_out", payload__email=OPT_OUT["email"])
    sign_in(page, live_server.url, operator.email)
    page.goto(
        f"{live_server.url}/console/clients/{world.client_a.public_id}/events/{event.public_id}/"
    )
    records = page.locator("#records").inner_text()
    assert "contact_opt_out" in records and contact["id"] in records
