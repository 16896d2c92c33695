"""Salesforce REST client: Contact, Opportunity (+ contact role), ContentNote or Task, SOQL.

A record and the record that links it (deal and contact role, note and its link) are created
together in one composite call with ``allOrNone``.

Quirks handled here: SOQL literals are escaped (quotes, backslashes, control characters) so a
lead's email can never change a query; query results page through ``nextRecordsUrl``; the
session token has no ``expires_in``, so a 401 ``INVALID_SESSION_ID`` means refresh; an exhausted
daily allowance is 403 ``REQUEST_LIMIT_EXCEEDED`` (a rate limit, not a refusal); orgs without
Notes answer 404 for ContentNote, and the note becomes a completed Task.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import requests

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.salesforce import fields as catalogue
from connectors.salesforce.fields import Field  # in class scope the method catalogue() shadows
from connectors.salesforce.mapping import (
    COMPANY_FIELD,
    MISSING_LAST_NAME,
    SOURCE_TAG_FIELD,
    TAGS_FIELD,
)
from connectors.salesforce.meetings import SalesforceMeetings
from connectors.salesforce.people import SalesforcePeople
from connectors.salesforce.replies import (
    classify,
    composite_failure,
    composite_status,
    duplicate_of,
)

API_VERSION = "v62.0"
CONTACT_FIELDS = ("Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone")
SOBJECTS = {
    "contact": "Contact",
    "lead": "Lead",
    "deal": "Opportunity",
    "note": "ContentDocument",  # a ContentNote is deleted through its ContentDocument
    "task": "Task",
    "meeting": "Event",
}
TAG_PREFIX = "Switchboard tags: "
# A write refused over a field the cached describe still lists (an admin deleted it, or took
# the integration user's access away): the describe is read again and the write sent once more.
STALE_DESCRIBE = frozenset({"INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE"})
T = TypeVar("T")
SOQL_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                "\b": "\\b", "\f": "\\f"}  # fmt: skip


def soql_quote(value: str) -> str:
    """A SOQL string literal: Salesforce's escapes for quotes, backslashes, control chars."""
    return "'" + "".join(SOQL_ESCAPES.get(c, c) for c in value) + "'"


def _contact_record(row: dict[str, Any]) -> CrmRecord:
    fields = {k: s.text(v) for k, v in row.items() if k != "attributes"}
    contact = CrmContact(
        email=fields.get("Email", ""),
        phone=fields.get("Phone", "") or fields.get("MobilePhone", ""),
        first_name=fields.get("FirstName", ""),
        last_name=fields.get("LastName", ""),
    )
    return CrmRecord(id=fields.get("Id", ""), object_type="contact", fields=fields, contact=contact)


def _with_tag_line(description: str, tags: list[str]) -> str:
    """The description with ``tags`` merged into its one tags line (other lines kept)."""
    lines = description.splitlines()
    existing = next((ln for ln in lines if ln.startswith(TAG_PREFIX)), "")
    merged = s.merge_tags(s.split_tags(existing[len(TAG_PREFIX) :]), tags)
    others = [ln for ln in lines if not ln.startswith(TAG_PREFIX)]
    return "\n".join([*others, TAG_PREFIX + "; ".join(merged)])


def _fitted_name(name: str, known: dict[str, catalogue.Field]) -> str:
    """The deal name as the org stores it (Opportunity.Name is 120 characters): cut the same
    way when creating and when a re-run looks for it."""
    field = known.get("Name")
    return name[: field.length] if field and field.length else name


def _note_title(body: str) -> str:
    return (body.strip().splitlines() or ["Chatbot conversation"])[0][:255]


class SalesforceClient(SalesforceMeetings, SalesforcePeople):
    """``CrmClient`` for Salesforce; every method raises ``ConnectorError``."""

    # A new contact takes its tags in the create call (no read-then-patch of its Description).
    tags_on_create = True

    def __init__(self, http: VendorHttp, version: str = API_VERSION) -> None:
        self.http = http
        self.root = f"/services/data/{version}"

    # --- queries --------------------------------------------------------------------------

    def query(self, soql: str, batch_size: int = 2000) -> Iterator[dict[str, Any]]:
        """Every row of a SOQL query, following ``nextRecordsUrl``."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        response = self.http.request("GET", f"{self.root}/query", params={"q": soql},
                                      headers=headers)  # fmt: skip
        while True:
            data = s.obj(response.json())
            yield from map(s.obj, s.items(data.get("records")))
            next_url = s.text(data.get("nextRecordsUrl"))
            if data.get("done", True) or not next_url:
                return
            response = self.http.request("GET", next_url, headers=headers)

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        select = f"SELECT {', '.join(CONTACT_FIELDS)} FROM Contact WHERE "  # noqa: S608 -- SOQL; literals go through soql_quote
        if email.strip():
            soql = select + f"Email = {soql_quote(email.strip().lower())} LIMIT 1"
            for row in self.query(soql):
                return _contact_record(row)
        if phone.strip():
            quoted = soql_quote(phone.strip())
            soql = select + f"Phone = {quoted} OR MobilePhone = {quoted} LIMIT 1"
            for row in self.query(soql):
                return _contact_record(row)
        return None

    # --- records --------------------------------------------------------------------------

    def _create(self, sobject: str, values: dict[str, Any]) -> str:
        response = self.http.request("POST", f"{self.root}/sobjects/{sobject}", json=values)
        return s.text(s.obj(response.json()).get("id"))

    def _create_together(self, steps: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Create records in one composite call, all or none (``allOrNone``): a later record
        names an earlier one's id as ``@{<i>.id}``, ``i`` its place in ``steps``.

        One call against the daily allowance instead of one per record, and never half the
        pair: a deal without its contact role (or a note without its link) would be invisible
        from the contact, so a re-run could not find it and would create it again. Returns
        each subrequest's result (``httpStatusCode``, ``body``); the caller reads failures
        with ``composite_failure``.
        """
        body = {
            "allOrNone": True,
            "compositeRequest": [
                {"method": "POST", "url": f"{self.root}/sobjects/{sobject}",
                 "referenceId": f"r{i}", "body": values}
                for i, (sobject, values) in enumerate(steps)
            ],
        }  # fmt: skip
        data = s.obj(self.http.request("POST", f"{self.root}/composite", json=body).json())
        results = [s.obj(r) for r in s.items(data.get("compositeResponse"))]
        if len(results) != len(steps):
            raise ConnectorError(
                f"salesforce: composite answered {len(results)} results for {len(steps)}",
                code="composite_incomplete",
            )
        return results

    def _get(self, sobject: str, record_id: str, names: list[str]) -> dict[str, str]:
        response = self.http.request(
            "GET", f"{self.root}/sobjects/{sobject}/{record_id}", params={"fields": ",".join(names)}
        )
        return {k: s.text(v) for k, v in s.obj(response.json()).items() if k != "attributes"}

    def _patch(
        self,
        sobject: str,
        record_id: str,
        values: dict[str, str],
        expect: tuple[int, ...] = (204,),
    ) -> requests.Response:
        # Salesforce clears a field with null, not with an empty string.
        body = {k: (v if v != "" else None) for k, v in values.items()}
        return self.http.request(
            "PATCH", f"{self.root}/sobjects/{sobject}/{record_id}", json=body, expect=expect
        )

    def create_contact(
        self, contact: CrmContact, *, source_tag: str, tags: Sequence[str] = ()
    ) -> CrmRecord:
        """Create the contact with its follow-up tags already on their Description line; the
        fields the org lacks go to lines of that Description (``fields.fit``)."""
        values = {
            "FirstName": contact.first_name,
            "LastName": contact.last_name or MISSING_LAST_NAME,
            "Email": contact.email.lower(),
            "Phone": contact.phone,
            SOURCE_TAG_FIELD: source_tag,
            **({COMPANY_FIELD: contact.company} if contact.company else {}),
            **contact.extra,
        }
        wanted = {k: v for k, v in values.items() if v}

        def post(known: dict[str, catalogue.Field]) -> tuple[str, dict[str, Any], str]:
            values = catalogue.fit(wanted, known, creating=True)
            if tags:
                values[TAGS_FIELD] = _with_tag_line(values.get(TAGS_FIELD, ""), list(tags))
            url = f"{self.root}/sobjects/Contact"
            response = self.http.request("POST", url, json=values, expect=(201, 400))
            if response.status_code == 400:
                return "", values, duplicate_of(response)  # or raises the refusal
            return s.text(s.obj(response.json()).get("id")), values, ""

        record_id, values, existing = self._fresh_on_refusal("Contact", post)
        if existing:
            return self._adopt(existing, wanted, list(tags), contact)
        fields = {k: s.text(v) for k, v in values.items()}
        return CrmRecord(id=record_id, object_type="contact", fields=fields, contact=contact)

    def _adopt(
        self, record_id: str, wanted: dict[str, Any], tags: list[str], contact: CrmContact
    ) -> CrmRecord:
        """The org's duplicate rule says the person is there already (a match our email and
        phone search could not see, e.g. by name): update that contact instead, as HubSpot's
        409 is handled, and hand back what it replaced (``existed``) so a rollback restores it.
        The last-name placeholder never overwrites a real name."""
        update = {k: s.text(v) for k, v in wanted.items()
                  if not (k == "LastName" and v == MISSING_LAST_NAME)}  # fmt: skip
        previous = dict(self.update_contact(record_id, update).fields)
        if tags:
            tagged = self.tag_contact(record_id, tags)
            previous.setdefault(TAGS_FIELD, tagged.fields.get(TAGS_FIELD, ""))
        return CrmRecord(id=record_id, object_type="contact", fields=previous, contact=contact,
                         existed=True)  # fmt: skip

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        """Set what the org has; the rest goes to Description lines. Returns the previous
        values of what was written, Description included when it changed."""

        def patch(known: dict[str, catalogue.Field]) -> dict[str, str]:
            readable = [n for n in values if n in known]
            if any(n not in known for n in values) and TAGS_FIELD not in readable:
                readable.append(TAGS_FIELD)
            current = self._get("Contact", record_id, readable)
            fitted = catalogue.fit(
                values, known, creating=False, description=current.get(TAGS_FIELD, "")
            )
            self._patch("Contact", record_id, {k: s.text(v) for k, v in fitted.items()})
            return {name: current.get(name, "") for name in fitted}

        previous = self._fresh_on_refusal("Contact", patch)
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    def catalogue(self, sobject: str) -> dict[str, catalogue.Field]:
        """The org's fields of ``sobject`` as its describe lists them (cached an hour)."""
        return catalogue.describe(self.http, self.root, sobject)

    def ensure_fields(
        self, object_type: str = "contact", wanted: Sequence[str] = ()
    ) -> list[tuple[str, str, list[str]]]:
        """Add the custom contact fields among ``wanted`` (the connection's mapping targets)
        that the org lacks, where it lets us; see ``connectors.salesforce.fields.ensure``.
        What changed ("created"), was refused or stays hidden from the user, for the audit
        log. The mapping writes contacts only, so other object types have nothing to add."""
        if object_type != "contact":
            return []
        changes = catalogue.ensure(self.http, self.root, wanted)
        return [(change, "contact-fields", names) for change, names in changes.items()]

    def _fresh_on_refusal(self, sobject: str, write: Callable[[dict[str, Field]], T]) -> T:
        """``write`` with the cached describe; if the org refuses a field in it (400
        ``INVALID_FIELD``: an admin deleted the field or hid it from the integration user
        since the describe was read), read the describe afresh and write once more, so a
        removed field costs one retry instead of an hour of failed leads (as the HubSpot
        client does after ``PROPERTY_DOESNT_EXIST``). A second refusal is the refusal."""
        try:
            return write(self.catalogue(sobject))
        except ConnectorError as exc:
            if exc.status != 400 or exc.code not in STALE_DESCRIBE:
                raise
        return write(catalogue.describe(self.http, self.root, sobject, fresh=True))

    def create_deal(
        self,
        *,
        contact_id: str,
        name: str,
        stage: str,
        amount: str = "",
        source_tag: str = "",
        write_key: str = "",
    ) -> CrmRecord:
        """``write_key`` is not used: this vendor has no upsert by a key we can count on having
        (a re-run looks with ``find_deal`` first). Amount and LeadSource are written only where
        the org's describe lets us (a field hidden from the API user refuses the whole deal)."""

        def post(known: dict[str, catalogue.Field]) -> tuple[str, dict[str, Any]]:
            values: dict[str, Any] = {
                "Name": _fitted_name(name, known),
                "StageName": stage,
                "CloseDate": (date.today() + timedelta(days=30)).isoformat(),  # required field
            }
            optional = {"Amount": float(amount) if amount else None, SOURCE_TAG_FIELD: source_tag}
            for field, value in optional.items():
                if value and field in known and known[field].createable:
                    values[field] = value
            role = {"OpportunityId": "@{r0.id}", "ContactId": contact_id, "IsPrimary": True}
            steps = [("Opportunity", values), ("OpportunityContactRole", role)]
            results = self._create_together(steps)
            if (failure := composite_failure(results)) is not None:
                raise failure  # allOrNone: nothing was created, so sending again is safe
            return s.text(s.obj(results[0].get("body")).get("id")), values

        deal_id, values = self._fresh_on_refusal("Opportunity", post)
        fields = {k: s.text(v) for k, v in values.items()}
        return CrmRecord(id=deal_id, object_type="deal", fields=fields)

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        """Opportunities with this Name (and LeadSource), then the one among them whose
        contact role names the contact, as ``create_deal`` links them. The second query is
        sent only when the first found any."""
        known = self.catalogue("Opportunity")
        where = f"Name = {soql_quote(_fitted_name(name, known))}"
        if source_tag and SOURCE_TAG_FIELD in known:
            where += f" AND {SOURCE_TAG_FIELD} = {soql_quote(source_tag)}"
        soql = f"SELECT Id, Name, StageName FROM Opportunity WHERE {where} ORDER BY CreatedDate"  # noqa: S608 -- literals go through soql_quote
        candidates = [{k: s.text(v) for k, v in row.items() if k != "attributes"}
                      for row in self.query(soql)]  # fmt: skip
        if not candidates:
            return None
        roles = "SELECT OpportunityId FROM OpportunityContactRole WHERE ContactId = "
        linked = {s.text(r.get("OpportunityId"))
                  for r in self.query(roles + soql_quote(contact_id))}  # fmt: skip
        for fields in candidates:
            if fields.get("Id") in linked:
                return CrmRecord(id=fields["Id"], object_type="deal", fields=fields)
        return None

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        previous = self._get("Opportunity", deal_id, ["StageName"]).get("StageName", "")
        self._patch("Opportunity", deal_id, {"StageName": stage})
        return CrmRecord(id=deal_id, object_type="deal", fields={"StageName": previous})

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        title = _note_title(body)
        content = "<p>" + html.escape(body).replace("\n", "<br>") + "</p>"
        note = {"Title": title, "Content": base64.b64encode(content.encode()).decode()}
        link = {"ContentDocumentId": "@{r0.id}", "LinkedEntityId": contact_id, "ShareType": "V"}
        results = self._create_together([("ContentNote", note), ("ContentDocumentLink", link)])
        if composite_status(results[0]) == 404:  # Notes are off: log a completed Task
            task = {"Subject": title, "Description": body, "WhoId": contact_id,
                    "Status": "Completed"}  # fmt: skip
            return CrmRecord(id=self._create("Task", task), object_type="task", fields=task)
        if (failure := composite_failure(results)) is not None:
            raise failure
        document_id = s.text(s.obj(results[0].get("body")).get("id"))
        return CrmRecord(id=document_id, object_type="note", fields={"Title": title})

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        """The ContentNote linked to the contact with the title ``add_note`` gives this body;
        else the completed Task it logs when Notes are off (Task.Description is a long text
        area, which SOQL cannot filter on, so it is compared here)."""
        title = _note_title(body)
        links = "SELECT ContentDocumentId FROM ContentDocumentLink WHERE LinkedEntityId = "
        documents = {s.text(r.get("ContentDocumentId"))
                     for r in self.query(links + soql_quote(contact_id))}  # fmt: skip
        if documents:
            soql = f"SELECT Id, Title FROM ContentNote WHERE Title = {soql_quote(title)}"  # noqa: S608
            for row in self.query(soql):
                if s.text(row.get("Id")) in documents:
                    return CrmRecord(id=s.text(row.get("Id")), object_type="note",
                                     fields={"Title": title})  # fmt: skip
        soql = (
            "SELECT Id, Subject, Description FROM Task WHERE "  # noqa: S608
            f"WhoId = {soql_quote(contact_id)} AND Subject = {soql_quote(title)}"
        )
        for row in self.query(soql):
            if s.text(row.get("Description")) == body:
                task = {"Subject": title, "Description": body}
                return CrmRecord(id=s.text(row.get("Id")), object_type="task", fields=task)
        return None

    def delete(self, object_type: str, record_id: str) -> None:
        # 404 covers NOT_FOUND and ENTITY_IS_DELETED: gone either way.
        self.http.request(
            "DELETE", f"{self.root}/sobjects/{SOBJECTS[object_type]}/{record_id}",
            expect=(204, 404),
        )  # fmt: skip

    # --- catalogue, tags, undo, scans -----------------------------------------------------

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        sobject = SOBJECTS.get(object_type, "Contact")
        data = s.obj(self.http.request("GET", f"{self.root}/sobjects/{sobject}/describe").json())
        return [
            CrmField(
                name=s.text(f.get("name")),
                label=s.text(f.get("label")),
                type=s.text(f.get("type")) or "string",
                required=bool(
                    f.get("createable") and not f.get("nillable") and not f.get("defaultedOnCreate")
                ),
                custom=bool(f.get("custom")),
            )
            for f in map(s.obj, s.items(data.get("fields")))
        ]

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        """Keep the follow-up tags on one line of the Description (no tags on a Contact)."""
        previous = self._get("Contact", record_id, [TAGS_FIELD]).get(TAGS_FIELD, "")
        self._patch("Contact", record_id, {TAGS_FIELD: _with_tag_line(previous, tags)})
        return CrmRecord(id=record_id, object_type="contact", fields={TAGS_FIELD: previous})

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        """Put back what an update replaced. A contact field the org lacks was never written
        (its value went to a Description line, restored with the Description)."""
        sobject = SOBJECTS[object_type]
        if sobject == "Contact":
            known = self.catalogue(sobject)
            values = {k: v for k, v in values.items() if k in known and known[k].updateable}
            if not values:
                return
        self._patch(sobject, record_id, values, expect=(204, 404))

    def iter_contacts(self, page_size: int = 2000) -> Iterator[CrmRecord]:
        soql = f"SELECT {', '.join(CONTACT_FIELDS)} FROM Contact"  # noqa: S608 -- no user input
        batch = max(200, min(page_size, 2000))  # Salesforce's allowed batch sizes
        for row in self.query(soql, batch_size=batch):
            yield _contact_record(row)


def build(connection: Connection) -> SalesforceClient:
    version = s.text((connection.settings or {}).get("api_version")) or API_VERSION
    return SalesforceClient(s.make_http(connection, classify=classify), version)
