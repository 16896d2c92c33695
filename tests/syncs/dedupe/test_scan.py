"""Scanning a CRM's contacts: the source is any iterable of CrmRecord."""

from __future__ import annotations

import pytest

from connectors.base import CrmContact, CrmRecord
from syncs.dedupe import merge
from syncs.dedupe.models import DuplicateCandidate, Person
from syncs.dedupe.scan import contact_fields, scan_contacts

pytestmark = pytest.mark.django_db


def contacts() -> list[CrmRecord]:
    return [
        CrmRecord("1", "contact", {"firstname": "Robert", "lastname": "Smith",
                                   "email": "rob@acme.example", "phone": "415 555 0100"}),
        CrmRecord("2", "contact", {"firstname": "Bob", "lastname": "Smith",
                                   "email": "ROB@acme.example"}),
        CrmRecord("3", "contact", {"firstname": "Katherine", "lastname": "Lee",
                                   "email": "kate.lee+news@home.example", "company": "Lee Dental"}),
        CrmRecord("4", "contact", {"firstname": "Kate", "lastname": "Leee",
                                   "email": "kate.lee@home.example"}),
        CrmRecord("5", "contact", {"firstname": "Ann", "lastname": "Ng",
                                   "email": "info@dental.example"}),
        CrmRecord("6", "contact", {"firstname": "Tom", "lastname": "Ray",
                                   "email": "info@dental.example"}),
    ]  # fmt: skip


def test_it_prefers_the_connectors_own_contact():
    contact = CrmContact(first_name="Ann", last_name="Ng", email="ann@x.example", phone="+1415")
    record = CrmRecord("9", "contact", {"firstname": "Other"}, contact=contact)
    assert contact_fields(record)["first_name"] == "Ann"
    assert contact_fields(record)["email"] == "ann@x.example"


def test_it_reads_vendor_field_names():
    record = CrmRecord("9", "contact", {"FirstName": "Ann", "LastName": "Ng", "MobilePhone": "1"})
    assert contact_fields(record)["first_name"] == "Ann"
    assert contact_fields(record)["phone"] == "1"


def test_it_records_the_duplicates_a_crm_already_holds(world):
    report = scan_contacts(world.client_a, contacts(), provider="hubspot")
    assert (report.contacts, report.created, report.linked) == (6, 6, 0)
    pairs = {
        (c.existing.external_ids["hubspot"], c.person.external_ids["hubspot"]): c
        for c in DuplicateCandidate.objects.all()
    }
    assert set(pairs) == {("1", "2"), ("3", "4")}
    assert pairs[("1", "2")].score >= 0.99  # one mailbox held by two CRM contacts
    assert "crm_duplicate" in pairs[("1", "2")].reasons
    assert "crm_duplicate" not in pairs[("3", "4")].reasons
    assert report.candidates == 2


def test_it_can_run_again_without_new_people_or_pairs(world):
    scan_contacts(world.client_a, contacts(), provider="hubspot")
    again = scan_contacts(world.client_a, contacts(), provider="hubspot")
    assert (again.created, again.linked, again.candidates) == (0, 6, 0)
    assert Person.objects.count() == 6
    assert DuplicateCandidate.objects.count() == 2


def test_it_remembers_both_crm_ids_after_a_merge(world, operator):
    scan_contacts(world.client_a, contacts(), provider="hubspot")
    (pair,) = [c for c in DuplicateCandidate.objects.all() if "crm_duplicate" in c.reasons]
    survivor = merge(pair, operator)
    survivor.refresh_from_db()
    assert survivor.external_ids == {"hubspot": "1"}
    assert survivor.other_external_ids == ["hubspot:2"]
    again = scan_contacts(world.client_a, contacts()[:2], provider="hubspot")
    assert (again.created, again.linked, again.candidates) == (0, 2, 0)


def test_it_keeps_each_clients_scan_apart(world):
    scan_contacts(world.client_a, contacts()[:1], provider="hubspot")
    report = scan_contacts(world.client_b, contacts()[1:2], provider="salesforce")
    assert report.created == 1 and report.candidates == 0
    assert not DuplicateCandidate.objects.exists()
