"""Merging a pair from the duplicates page merges the two CRM records, after a confirmation
that shows which record survives, which values win and what each CRM will do; a CRM that
cannot merge is named before anything happens. The oracle is the HubSpot emulator."""

from __future__ import annotations

import json

import pytest

from connectors.base import CrmContact
from connectors.registry import client_for
from emulators.crm import control
from syncs.dedupe.models import DuplicateCandidate, Person
from syncs.models import AuditEntry
from tests.connectors import crm_fixtures

emulated = crm_fixtures.emulated

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def crm_pair(world, emulated):
    connection, account = emulated("hubspot")
    crm = client_for(connection)
    kept = crm.create_contact(CrmContact(email="robert@acme.example", first_name="Robert",
                                         last_name="Smith"), source_tag="t")  # fmt: skip
    gone = crm.create_contact(CrmContact(email="bob@home.example", first_name="Bob",
                                         last_name="Smith", phone="+14155550199"),
                              source_tag="t")  # fmt: skip
    crm.create_deal(contact_id=gone.id, name="Bob: whitening", stage="appointmentscheduled")
    existing = Person.objects.create(
        client=world.client_a, first_name="Robert", last_name="Smith",
        email="robert@acme.example", emails=["robert@acme.example"],
        external_ids={"hubspot": kept.id},
    )  # fmt: skip
    newer = Person.objects.create(
        client=world.client_a, first_name="Bob", last_name="Smith", email="bob@home.example",
        emails=["bob@home.example"], phone="+14155550199", phones=["+14155550199"],
        external_ids={"hubspot": gone.id},
    )  # fmt: skip
    pair = DuplicateCandidate.objects.create(
        client=world.client_a, person=newer, existing=existing, score=0.9, reasons=["nickname"]
    )
    return connection, account, kept.id, gone.id, pair


def _url(world, pair) -> str:
    return f"/console/clients/{world.client_a.public_id}/duplicates/{pair.pk}/merge"


def test_it_confirms_then_merges_the_crm_records(client, world, operator, crm_pair):
    _connection, account, kept, gone, pair = crm_pair
    client.force_login(operator)
    page = client.get(_url(world, pair)).content.decode()
    assert 'id="survivor"' in page and "robert@acme.example" in page.split('id="survivor"')[1]
    assert f"record {gone} is merged into record {kept}" in page
    assert "HubSpot keeps the surviving contact" in page and "cannot be undone" in page
    assert '<button type="submit" class="danger">Merge them</button>' in page
    assert (
        '+14155550199</td><td><strong>+14155550199</strong> <span class="muted">(from the other)'
        in page
    )
    assert control.record("hubspot", account, gone) is not None  # a look changes nothing
    response = client.post(_url(world, pair), {"confirm": "yes"})
    assert response.status_code == 302
    assert control.record("hubspot", account, gone) is None
    (deal,) = control.records("hubspot", account, "deals")
    assert deal["links"]["associations"][0]["toObjectId"] == kept
    entry = AuditEntry.objects.get(action="crm.contact.merged")
    assert entry.target == f"hubspot:contact:{kept}" and entry.details["merged"] == gone
    assert entry.actor == "staff:operator@northwind.example"
    # Ids and the names of the fields that won, none of the person's values.
    assert {"email", "firstname", "phone"} <= set(entry.details["vendor_fields"])
    stored = json.dumps(entry.details)
    assert not [v for v in ("robert@acme.example", "Robert", "4155550199") if v in stored]
    pair.refresh_from_db()
    assert pair.status == "merged"
    survivor = Person.objects.get(pk=pair.existing_id)
    assert survivor.external_ids == {"hubspot": kept} and survivor.other_external_ids == []


def test_it_says_before_merging_that_a_crm_cannot(client, world, operator, crm_pair):
    connection, account, _kept, gone, pair = crm_pair
    connection.status = "needs_reauth"
    connection.save()
    client.force_login(operator)
    page = client.get(_url(world, pair)).content.decode()
    assert "cannot merge:" in page and "reconnect it, then merge" in page
    assert 'id="merge-confirm"' not in page and 'id="merge-blocked"' in page
    client.post(_url(world, pair), {"confirm": "yes"})
    pair.refresh_from_db()
    assert pair.status == "open" and control.record("hubspot", account, gone) is not None
    assert not AuditEntry.objects.filter(action__in=["crm.contact.merged", "duplicate.merged"])
