"""``scan_crm`` end to end: the HubSpot client pages through its emulator's contacts."""

from __future__ import annotations

import pytest

from connectors.base import CrmContact
from connectors.hubspot.client import build
from syncs.dedupe import scan_crm
from syncs.dedupe.models import DuplicateCandidate, MatchModel
from tests.connectors.crm_fixtures import emulated  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_finds_the_duplicates_a_connected_crm_holds(emulated):  # noqa: F811
    connection, _ = emulated("hubspot")
    crm = build(connection)
    people = [
        CrmContact(first_name="Robert", last_name="Smith", email="rob@acme.example",
                   phone="+14155550100"),
        CrmContact(first_name="Bob", last_name="Smith", email="bob.smith@home.example",
                   phone="(415) 555-0100"),
        CrmContact(first_name="Ann", last_name="Ng", email="ann@ng.example"),
    ]  # fmt: skip
    ids = [crm.create_contact(person, source_tag="seed").id for person in people]
    report = scan_crm(connection, page_size=2)  # two pages
    assert (report.contacts, report.created, report.candidates) == (3, 3, 1)
    assert MatchModel.objects.filter(client=connection.client).exists()  # estimated after
    pair = DuplicateCandidate.objects.get()
    assert {pair.person.external_ids["hubspot"], pair.existing.external_ids["hubspot"]} == {
        ids[0],
        ids[1],
    }
    assert pair.client == connection.client and 0.5 <= pair.score < 0.99  # emails differ
