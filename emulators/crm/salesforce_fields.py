"""The Salesforce emulator's field catalogue: what a new org's describe lists, and the checks
Salesforce runs on a create or update body against it.

Only standard fields: an org has no custom field (``…__c``) until an admin or an API call
adds one (``custom_fields`` in the account's config, or the Tooling API's CustomField create).
Names, types, lengths and the create/update flags are Salesforce's Object Reference for the
standard objects (Contact, Opportunity, OpportunityContactRole, ContentNote,
ContentDocumentLink, Task; developer.salesforce.com/docs/atlas.en-us.object_reference.meta,
and the Limit Info / error pages of the REST API Developer Guide, checked 2026-12-04), cut to
the fields the product touches plus the few an admin typically maps. Error bodies are REST
API's ``[{"message","errorCode","fields"}]`` with the codes of the SOAP API's StatusCode list.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SfField:
    """One field as ``/sobjects/<type>/describe`` describes it."""

    name: str
    label: str
    type: str  # describe's type: string, email, phone, textarea, picklist, reference, ...
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted: bool = False  # defaultedOnCreate: Salesforce fills it when left out
    picklist: tuple[str, ...] = ()
    restricted: bool = False  # a restricted picklist refuses values outside its list
    custom: bool = False
    reference_to: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        """What a create must carry (REQUIRED_FIELD_MISSING otherwise)."""
        return self.createable and not self.nillable and not self.defaulted

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "type": self.type, "length": self.length,
            "nillable": self.nillable, "createable": self.createable,
            "updateable": self.updateable, "defaultedOnCreate": self.defaulted,
            "custom": self.custom, "referenceTo": list(self.reference_to),
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False}
                for v in self.picklist
            ],
        }  # fmt: skip


LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
    "Closed Lost",
)  # fmt: skip
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


def _ref(name: str, label: str, to: str, **kw: Any) -> SfField:
    return SfField(name, label, "reference", 18, reference_to=(to,), **kw)


STANDARD: dict[str, tuple[SfField, ...]] = {
    "Contact": (
        SfField("FirstName", "First Name", "string", 40),
        SfField("LastName", "Last Name", "string", 80, nillable=False),
        SfField("Email", "Email", "email", 80),
        SfField("Phone", "Business Phone", "phone", 40),
        SfField("MobilePhone", "Mobile Phone", "phone", 40),
        SfField("Title", "Title", "string", 128),
        SfField("Department", "Department", "string", 80),
        SfField("HasOptedOutOfEmail", "Email Opt Out", "boolean", nillable=False, defaulted=True),
        SfField("Description", "Contact Description", "textarea", 32000),
        # LeadSource is not restricted: the API takes a value outside its list.
        SfField("LeadSource", "Lead Source", "picklist", 255, picklist=LEAD_SOURCES),
        _ref("AccountId", "Account ID", "Account"),
    ),
    "Opportunity": (
        SfField("Name", "Name", "string", 120, nillable=False),
        SfField(
            "StageName", "Stage", "picklist", 255, nillable=False, picklist=STAGES, restricted=True
        ),
        SfField("CloseDate", "Close Date", "date", nillable=False),
        SfField("Amount", "Amount", "currency"),
        SfField("LeadSource", "Lead Source", "picklist", 255, picklist=LEAD_SOURCES),
        SfField("Description", "Description", "textarea", 32000),
    ),
    "OpportunityContactRole": (
        _ref("OpportunityId", "Opportunity ID", "Opportunity", nillable=False, updateable=False),
        _ref("ContactId", "Contact ID", "Contact", nillable=False),
        SfField("IsPrimary", "Primary", "boolean", nillable=False, defaulted=True),
        SfField(
            "Role",
            "Role",
            "picklist",
            40,
            picklist=("Business User", "Decision Maker", "Economic Buyer", "Other"),
        ),
    ),
    "ContentNote": (
        SfField("Title", "Title", "string", 255, nillable=False),
        SfField("Content", "Content", "base64"),
    ),
    "ContentDocumentLink": (
        _ref(
            "ContentDocumentId",
            "ContentDocument ID",
            "ContentDocument",
            nillable=False,
            updateable=False,
        ),
        _ref("LinkedEntityId", "Linked Entity ID", "Contact", nillable=False, updateable=False),
        SfField(
            "ShareType",
            "Share Type",
            "picklist",
            40,
            nillable=False,
            defaulted=True,
            picklist=("V", "C", "I"),
            restricted=True,
        ),
        SfField(
            "Visibility",
            "Visibility",
            "picklist",
            40,
            nillable=False,
            defaulted=True,
            picklist=("AllUsers", "InternalUsers", "SharedUsers"),
            restricted=True,
        ),
    ),
    "Task": (
        SfField("Subject", "Subject", "combobox", 255),
        SfField("Description", "Comments", "textarea", 32000),
        _ref("WhoId", "Name ID", "Contact"),
        _ref("WhatId", "Related To ID", "Opportunity"),
        SfField(
            "Status",
            "Status",
            "picklist",
            255,
            nillable=False,
            defaulted=True,
            picklist=TASK_STATUSES,
            restricted=True,
        ),
        SfField(
            "Priority",
            "Priority",
            "picklist",
            40,
            nillable=False,
            defaulted=True,
            picklist=("High", "Normal", "Low"),
            restricted=True,
        ),
        SfField("ActivityDate", "Due Date Only", "date"),
    ),
    # Object Reference, Event (read 2026-12-05): a timed event needs EndDateTime or
    # DurationInMinutes beside its start (``event_problem``); times travel in UTC.
    "Event": (
        SfField("Subject", "Subject", "combobox", 255),
        SfField("StartDateTime", "Start", "datetime"),
        SfField("EndDateTime", "End", "datetime"),
        SfField("ActivityDateTime", "Due Date Time", "datetime"),
        SfField("DurationInMinutes", "Duration", "int"),
        SfField("IsAllDayEvent", "All-Day Event", "boolean", nillable=False, defaulted=True),
        _ref("WhoId", "Name ID", "Contact"),
        _ref("WhatId", "Related To ID", "Opportunity"),
        SfField("Description", "Description", "textarea", 32000),
        SfField("Location", "Location", "string", 255),
        SfField(
            "ShowAs",
            "Show Time As",
            "picklist",
            40,
            nillable=False,
            defaulted=True,
            picklist=("Busy", "OutOfOffice", "Free"),
            restricted=True,
        ),
    ),
}
# Read-only fields every sObject has: a body that sets one is refused.
SYSTEM = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")
# Tooling API CustomField types -> describe types (Metadata API's FieldType).
CUSTOM_TYPES = {"Text": "string", "LongTextArea": "textarea", "TextArea": "textarea",
                "Number": "double", "Email": "email", "Phone": "phone", "Checkbox": "boolean",
                "Date": "date", "Url": "url"}  # fmt: skip


def custom_field(entry: dict[str, Any]) -> SfField:
    """A custom field from the account's config (``name``, ``label``, ``type``, ``length``)."""
    kind = str(entry.get("type", "string"))
    kind = CUSTOM_TYPES.get(kind, kind)
    length = int(entry.get("length") or (255 if kind == "string" else 0))
    return SfField(str(entry["name"]), str(entry.get("label") or entry["name"]), kind, length,
                   custom=True)  # fmt: skip


def problem(sobject: str, field: SfField, value: Any, creating: bool) -> tuple[str, str] | None:
    """(errorCode, message) when Salesforce refuses ``value`` for ``field``, else None."""
    if not (field.createable if creating else field.updateable):
        return ("INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {field.name}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.")  # fmt: skip
    if value is None:
        return None  # null clears (a required field is checked by the caller)
    if isinstance(value, dict | list):
        ok = False
    elif field.type == "boolean":
        ok = isinstance(value, bool) or value in ("true", "false")
    elif field.type in ("double", "currency", "percent", "int"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok and isinstance(value, str):
            ok = _number(value)
    elif field.type == "date":
        ok = isinstance(value, str) and _date(value)
    elif field.type == "datetime":
        ok = isinstance(value, str) and _datetime(value) is not None
    else:
        ok = True  # a JSON number or boolean becomes its text, as at Salesforce
    if not ok:
        return ("JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {field.type} from {type(value).__name__} "
                f"value {value!r} for field {field.name}")  # fmt: skip
    if isinstance(value, str) and field.length and len(value) > field.length:
        return (
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {value[:40]} (max length={field.length})",
        )
    if field.restricted and value not in field.picklist:
        return (
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field.label}: bad value for restricted picklist field: {value}",
        )
    if field.type == "email" and value and ("@" not in value or " " in value.strip()):
        return ("INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {value}")
    return None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _datetime(text: str) -> datetime.datetime | None:
    """An ISO 8601 dateTime with a zone (``2027-03-28T08:30:00.000+0000`` or ``…Z``)."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def event_problem(data: dict[str, Any]) -> tuple[str, str, list[str]] | None:
    """What Salesforce refuses in an Event create beyond field checks: a timed event without a
    start, or without an end or a duration (REQUIRED_FIELD_MISSING), or one that ends before
    it starts (FIELD_INTEGRITY_EXCEPTION; its exact wording is not published, see
    docs/vendors/salesforce.md)."""
    if data.get("IsAllDayEvent") in (True, "true"):
        return None
    if not (data.get("StartDateTime") or data.get("ActivityDateTime")):
        return ("REQUIRED_FIELD_MISSING", "Required fields are missing: [StartDateTime]",
                ["StartDateTime"])  # fmt: skip
    if not (data.get("EndDateTime") or data.get("DurationInMinutes")):
        return ("REQUIRED_FIELD_MISSING", "Required fields are missing: [DurationInMinutes]",
                ["DurationInMinutes"])  # fmt: skip
    start = _datetime(str(data.get("StartDateTime") or data.get("ActivityDateTime")))
    end = _datetime(str(data.get("EndDateTime") or ""))
    if start is not None and end is not None and end < start:
        return ("FIELD_INTEGRITY_EXCEPTION", "End Date Time: End time can't be before start time",
                ["EndDateTime"])  # fmt: skip
    return None
