"""Scan a connected CRM for duplicates it already holds.

``scan_contacts`` is the core and takes any iterable of ``CrmRecord`` (tests pass a list);
``scan_crm`` only asks the connector registry for the connection's client and pages through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import CrmRecord
from syncs.dedupe.estimation import estimate_for_client
from syncs.dedupe.store import (
    CandidateMatch,
    MatchResult,
    check,
    index,
    person_for_external_id,
)
from tenants.models import Client

if TYPE_CHECKING:
    from connectors.models import Connection

# Vendor field names a CRM client may hand back, per unified field (lower-cased for lookup).
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "firstname", "first name", "given_name"),
    "last_name": ("last_name", "lastname", "last name", "family_name", "surname"),
    "name": ("name", "full_name", "fullname"),
    "email": ("email", "email_address", "primary_email", "emailaddress"),
    "phone": ("phone", "phone_number", "mobilephone", "mobile_phone", "mobile", "work_phone"),
    "company": ("company", "company_name", "account_name", "organization", "org_name"),
}


@dataclass
class ScanReport:
    contacts: int = 0
    created: int = 0  # people first seen in this scan
    linked: int = 0  # contacts matched exactly to a person already indexed
    candidates: int = 0  # review candidates recorded (pairs)


def contact_fields(record: CrmRecord) -> dict[str, str]:
    """Unified person fields: the connector's own ``contact`` when it parsed one, else the
    record's fields under whatever names the vendor used."""
    contact = getattr(record, "contact", None)
    if contact is not None:
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "company": contact.company,
        }
    lowered = {k.lower(): (v or "") for k, v in record.fields.items()}
    fields: dict[str, str] = {}
    for unified, names in FIELD_NAMES.items():
        fields[unified] = next((str(lowered[n]) for n in names if lowered.get(n)), "")
    return fields


def scan_contacts(
    client: Client, contacts: Iterable[CrmRecord], provider: str = "crm"
) -> ScanReport:
    """Index every contact under ``provider``'s ids and record candidate pairs.

    Two CRM contacts the model links are one person twice in the CRM: rather than
    folding them together silently (and losing a CRM id), the second is indexed on its own and
    queued for review with the probability that would have linked it. Re-running a scan is
    harmless: a contact already indexed is found by its CRM id and only updated."""
    report = ScanReport()
    for record in contacts:
        report.contacts += 1
        fields = contact_fields(record)
        ids = {provider: record.id}
        known = person_for_external_id(client, provider, record.id)
        result = check(client, fields)
        if known is not None:
            result = MatchResult(linked=known)
        elif result.linked is not None and result.linked.external_ids.get(provider):
            reasons = (*result.linked_reasons, "crm_duplicate")
            exact = CandidateMatch(result.linked, result.linked_score, reasons)
            result = MatchResult(candidates=[exact, *result.candidates])
        index(client, fields, ids, result=result)
        if result.linked is not None:
            report.linked += 1
        else:
            report.created += 1
            report.candidates += len(result.candidates)
    return report


def scan_crm(connection: Connection, page_size: int = 100) -> ScanReport:
    """Scan the CRM behind ``connection`` (a ``connectors.models.Connection``)."""
    from connectors.registry import client_for  # the registry lands with the CRM connectors

    crm = client_for(connection)
    contacts = crm.iter_contacts(page_size=page_size)
    report = scan_contacts(connection.client, contacts, provider=connection.provider)
    # The client's people are all indexed now: the moment to learn its duplicate model.
    estimate_for_client(connection.client)
    return report
