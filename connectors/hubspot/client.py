"""HubSpot CRM v3 client: contacts, deals, notes, properties (wire format only).

Quirks handled here: a duplicate email on create is 409 "Existing ID: N" (treated as found and
updated); search is for lookups only (it stops at 10,000 results and has its own 5/s limit), so
full scans page the list endpoint; lifecycle stages cannot move backwards without first being
cleared, which matters when undoing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord
from connectors.http import VendorHttp
from connectors.hubspot.mapping import SOURCE_TAG_PROPERTY, TAGS_PROPERTY
from connectors.hubspot.meetings import HubSpotMeetings
from connectors.hubspot.people import HubSpotPeople
from connectors.hubspot.properties import PortalSchema
from connectors.hubspot.write_key import WRITE_KEY_PROPERTY, WriteKey
from connectors.models import Connection

CONTACT_PROPERTIES = ("email", "firstname", "lastname", "phone", "mobilephone", "company")
OBJECTS = {"contact": "contacts", "deal": "deals", "note": "notes", "meeting": "meetings"}
# Rows per combined email-or-phone search (HubSpot allows up to 200 per page).
EITHER_PAGE = 10
EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
LIFECYCLE_STAGES = (
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer", "evangelist", "other",
)  # fmt: skip
# HubSpot-defined association type ids (VENDORS.md): note→contact 202, deal→contact 3.
NOTE_TO_CONTACT = 202
DEAL_TO_CONTACT = 3
ASSOCIATIONS_PAGE = 500  # the associations list's page limit
# The associations API, dated: /crm/v4/ loses support on 30 March 2027 (developer changelog
# "Deprecating support for HubSpot v4 APIs", quoted in HubSpot/hubspot-api-python#495; read
# 2026-12-04). Its 2026-03 paths take the same calls and answer in the same shapes (API
# reference "latest", crm/objects/2026-03/.../associations; docs/vendors/hubspot.md).
ASSOCIATIONS = "/crm/objects/2026-03"
BATCH_READ = 100  # ids per batch read


def _association(to_id: str, type_id: int) -> dict[str, Any]:
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def _contact_record(body: dict[str, Any], *, existed: bool = False) -> CrmRecord:
    props = {k: s.text(v) for k, v in s.obj(body.get("properties")).items()}
    contact = CrmContact(
        email=props.get("email", ""),
        phone=props.get("phone", "") or props.get("mobilephone", ""),
        first_name=props.get("firstname", ""),
        last_name=props.get("lastname", ""),
        company=props.get("company", ""),
    )
    return CrmRecord(
        id=s.text(body.get("id")), object_type="contact", fields=props, contact=contact,
        existed=existed,
    )  # fmt: skip


def _split_tags(tags: Sequence[str]) -> tuple[list[str], list[str]]:
    """(lifecycle-stage names, the other tags): a stage name sets ``lifecyclestage``."""
    stages = [t for t in tags if t.lower() in LIFECYCLE_STAGES]
    return stages, [t for t in tags if t.lower() not in LIFECYCLE_STAGES]


def _tag_values(tags: Sequence[str], options: Sequence[str], current: str = "") -> dict[str, str]:
    """The properties that carry ``tags``: a lifecycle-stage name sets ``lifecyclestage``; the
    others that are options of the tags property join what it already holds (HubSpot refuses
    the whole write over a value that is not an option: ``PortalSchema.add_options`` adds
    them first, and one it could not add is left out rather than lose the write)."""
    stages, others = _split_tags(tags)
    others = [t for t in others if t in options]
    values: dict[str, str] = {}
    if stages:
        values["lifecyclestage"] = stages[-1].lower()
    if others:
        values[TAGS_PROPERTY] = ";".join(s.merge_tags(s.split_tags(current), others))
    return values


def _refused_value(exc: ConnectorError) -> bool:
    """A 400 over a property or an option the portal lacks (someone removed it since the
    catalogue was read): worth one more try after reading the catalogue again."""
    text = str(exc)
    return exc.status == 400 and (
        "PROPERTY_DOESNT_EXIST" in text
        or "INVALID_OPTION" in text
        or "does not exist" in text
        or "allowed options" in text
    )


class HubSpotClient(HubSpotMeetings, HubSpotPeople):
    """``CrmClient`` for HubSpot; every method raises ``ConnectorError``."""

    # A new contact takes its tags in the create call (two calls fewer than tagging it after).
    tags_on_create = True
    write_key_property = WRITE_KEY_PROPERTY

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.schema = PortalSchema(http)
        self.write_key = WriteKey(http, self.schema.scopes)

    # --- contacts ---------------------------------------------------------------------------

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        """The oldest contact with this email; failing that, the oldest with this phone."""
        email, phone = email.strip().lower(), phone.strip()
        # HubSpot keeps two phone properties; either one identifies the person (OR groups).
        by_phone = [("phone", phone), ("mobilephone", phone)] if phone else []
        if email and by_phone:
            return self._find_either(email, by_phone)
        if email:
            return self._search([("email", email)])
        return self._search(by_phone) if by_phone else None

    def _find_either(self, email: str, by_phone: list[tuple[str, str]]) -> CrmRecord | None:
        """Email and phone in one search (OR groups, oldest first): one call instead of two for
        a new person. An email match on the page wins; a page with none is all the matches
        when it is complete, so its first row is the oldest phone match. Otherwise (more phone
        matches than fit a page) the email is searched on its own, as before."""
        results, total = self._search_page([("email", email), *by_phone], EITHER_PAGE)
        for row in results:
            if s.text(s.obj(row.get("properties")).get("email")).lower() == email:
                return _contact_record(row)
        if total > len(results):
            return self._search([("email", email)]) or _contact_record(results[0])
        return _contact_record(results[0]) if results else None

    def _search(self, alternatives: list[tuple[str, str]]) -> CrmRecord | None:
        results, _ = self._search_page(alternatives, 1)
        return _contact_record(results[0]) if results else None

    def _search_page(
        self, alternatives: list[tuple[str, str]], limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}
                for name, value in alternatives
            ],
            "properties": list(CONTACT_PROPERTIES),
            "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
            "limit": limit,
        }
        data = s.obj(self.http.request("POST", "/crm/v3/objects/contacts/search", json=body).json())
        results = [s.obj(row) for row in s.items(data.get("results"))]
        total = data.get("total")
        return results, total if isinstance(total, int) else len(results)

    def create_contact(
        self, contact: CrmContact, *, source_tag: str, tags: Sequence[str] = ()
    ) -> CrmRecord:
        """Create the contact, tagged; on 409 update the existing one instead (untagged: the
        caller tags it as it tags any existing contact, merging with the tags it has).

        Only properties the portal's catalogue confirmed are sent (``PortalSchema``); a 400
        over one that went missing since is tried once more after reading it again."""
        props = {
            "email": contact.email.lower(),
            "firstname": contact.first_name,
            "lastname": contact.last_name,
            "phone": contact.phone,
            "company": contact.company,
            SOURCE_TAG_PROPERTY: source_tag,
            **contact.extra,
        }
        props = {k: v for k, v in props.items() if v}
        try:
            response = self._post_contact(props, tags)
        except ConnectorError as exc:
            if not _refused_value(exc):
                raise
            self.schema.forget()
            try:
                self.ensure_tags(list(tags))
            except ConnectorError as refused:
                if not refused.permanent:
                    raise  # a tag the portal will not take is left out, never the contact
            response = self._post_contact(props, tags)
        body = s.obj(s.json_of(response))
        if response.status_code == 201:
            return _contact_record(body)
        # 409: the email is taken (a search index lag or a race). Found it: update instead,
        # leaving the existing person's source tag alone (we did not create them).
        match = EXISTING_ID.search(s.text(body.get("message")))
        if match is None:
            raise ConnectorError(
                f"hubspot 409 without an existing id: {s.text(body.get('message'))[:200]}",
                status=409, code="CONFLICT", permanent=True,
            )  # fmt: skip
        props.pop(SOURCE_TAG_PROPERTY, None)
        props.pop("email", None)
        previous = self.update_contact(match.group(1), props)
        return CrmRecord(
            id=previous.id, object_type="contact", fields=previous.fields, existed=True
        )

    def _post_contact(self, props: dict[str, str], tags: Sequence[str]) -> requests.Response:
        values = {**props, **_tag_values(tags, self.schema.tag_options())}
        return self.http.request(
            "POST",
            "/crm/v3/objects/contacts",
            json={"properties": self.schema.writable("contacts", values)},
            expect=(201, 409),
        )

    def ensure_fields(
        self, object_type: str = "contact", wanted: Sequence[str] = ()
    ) -> list[tuple[str, str, list[str]]]:
        """Read the portal's catalogue for ``object_type`` and add Switchboard's missing
        properties where the grant allows (``PortalSchema.ensure``): what changed or was
        refused, for the caller's audit log. ``wanted`` (the mapping's
        targets) is not used: the fields Switchboard adds here are its own."""
        return self.schema.ensure(OBJECTS[object_type])

    def ensure_tags(self, tags: list[str]) -> list[str]:
        """Add the tags (not lifecycle stages) the tags property lacks as its options; returns
        those added. Raises a permanent ``ConnectorError`` when the portal would not let us:
        the caller audits it, and the writes then carry the tags the portal knows."""
        return self.schema.add_options(_split_tags(tags)[1])

    def _get(self, object_type: str, record_id: str, props: list[str]) -> dict[str, str]:
        response = self.http.request(
            "GET",
            f"/crm/v3/objects/{object_type}/{record_id}",
            params={"properties": ",".join(props)},
        )
        body = s.obj(response.json())
        return {k: s.text(v) for k, v in s.obj(body.get("properties")).items()}

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        """Set the values the portal has properties for, the others as lines of the contact's
        ``message`` (``PortalSchema.writable``); returns the previous values of what was
        written, ``message`` included, so a rollback restores it."""
        sent = self.schema.writable("contacts", values)
        current = self._get("contacts", record_id, list(sent))
        if set(sent) - set(values):  # lines for properties the portal lacks: keep its message
            sent = self.schema.writable("contacts", values, current.get("message", ""))
        previous = {name: current.get(name, "") for name in sent}
        self._patch("contacts", record_id, sent)
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    def _patch(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        self.http.request(
            "PATCH", f"/crm/v3/objects/{object_type}/{record_id}", json={"properties": values}
        )

    # --- deals and notes ------------------------------------------------------------------------

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
        """Create the deal, associated with the contact.

        With a ``write_key`` and a portal that has (or lets us add) the unique deal property
        ``WRITE_KEY_PROPERTY``, the deal is upserted by that key: a second call with the same
        key, from a re-run whose first run died with its create still on the wire, finds the
        same deal at HubSpot instead of making another (``existed`` is then true). HubSpot's
        upsert takes no associations, so the association is a second, idempotent call."""
        props = {"dealname": name, "dealstage": stage, "pipeline": "default"}
        if amount:
            props["amount"] = amount
        if source_tag:
            props.update(self._deal_tag(source_tag))
        if write_key and self.write_key.ready():
            return self._upsert_deal(contact_id, props, write_key)
        body = {"properties": props, "associations": [_association(contact_id, DEAL_TO_CONTACT)]}
        data = s.obj(self.http.request("POST", "/crm/v3/objects/deals", json=body).json())
        return CrmRecord(id=s.text(data.get("id")), object_type="deal", fields=props)

    def _upsert_deal(self, contact_id: str, props: dict[str, str], write_key: str) -> CrmRecord:
        row = {"idProperty": WRITE_KEY_PROPERTY, "id": write_key, "properties": props}
        body = {"inputs": [row]}
        data = s.obj(
            self.http.request("POST", "/crm/v3/objects/deals/batch/upsert", json=body).json()
        )
        results = [s.obj(r) for r in s.items(data.get("results"))]
        deal_id = s.text(results[0].get("id")) if results else ""
        if not deal_id:
            # A batch answers 207 with per-input errors (a property value refused, say): the
            # same input would be refused again. Without either, sending it again is safe.
            errors = [s.obj(e) for e in s.items(data.get("errors"))]
            detail = s.text(errors[0].get("message")) if errors else s.text(data.get("status"))
            raise ConnectorError(
                f"hubspot: the deal upsert made no deal: {detail[:200]}",
                code=s.text(errors[0].get("category")) if errors else "upsert_empty",
                permanent=bool(errors),
            )
        if contact_id:
            self.http.request(
                "PUT",
                f"{ASSOCIATIONS}/deals/{deal_id}/associations/default/contacts/{contact_id}",
            )
        existed = results[0].get("new") is False
        return CrmRecord(id=deal_id, object_type="deal", fields=props, existed=existed)

    def ensure_write_key(self) -> str:
        """Make sure deals can be upserted by ``WRITE_KEY_PROPERTY``; what changed at HubSpot,
        for the audit log (``WriteKey.ensure``)."""
        return self.write_key.ensure()

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        """The oldest deal associated with the contact that has this name (and source tag).

        Read through the contact's associations, not CRM search: search is indexed a moment
        after a write, and a re-run can come a second after the create it is looking for.
        """
        wanted = {"dealname": name, **(self._deal_tag(source_tag) if source_tag else {})}
        props = ["dealname", "dealstage", "pipeline", *self._deal_tag("x")]
        for row in self._associated("deals", contact_id, props):
            fields = {k: s.text(v) for k, v in s.obj(row.get("properties")).items()}
            if all(fields.get(k) == v for k, v in wanted.items()):
                return CrmRecord(id=s.text(row.get("id")), object_type="deal", fields=fields)
        return None

    def _deal_tag(self, source_tag: str) -> dict[str, str]:
        """Where a deal carries its source tag: our property where the portal has it, else
        HubSpot's own deal description (a write never names a property not confirmed)."""
        if self.schema.has("deals", SOURCE_TAG_PROPERTY):
            return {SOURCE_TAG_PROPERTY: source_tag}
        return {"description": f"Source tag: {source_tag}"}

    def _associated(self, object_type: str, contact_id: str, props: list[str]) -> list[dict]:
        """The contact's associated records of ``object_type``, oldest first: their ids from
        the associations list (paged by ``after``), then the records by batch read."""
        ids: list[str] = []
        path = f"{ASSOCIATIONS}/contacts/{contact_id}/associations/{object_type}"
        params: dict[str, Any] = {"limit": ASSOCIATIONS_PAGE}
        while True:
            data = s.obj(self.http.request("GET", path, params=params).json())
            ids += [s.text(s.obj(r).get("toObjectId")) for r in s.items(data.get("results"))]
            after = s.obj(s.obj(data.get("paging")).get("next")).get("after")
            if not after:
                break
            params["after"] = s.text(after)
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH_READ):
            body = {
                "properties": props,
                "propertiesWithHistory": [],  # required by HubSpot's BatchReadInput schema
                "inputs": [{"id": i} for i in ids[start : start + BATCH_READ]],
            }
            response = self.http.request(
                "POST", f"/crm/v3/objects/{object_type}/batch/read", json=body, expect=(200, 207)
            )  # 207: some ids were deleted meanwhile; the others are still answered
            rows += [s.obj(r) for r in s.items(s.obj(response.json()).get("results"))]
        return sorted(
            rows, key=lambda r: (s.text(r.get("createdAt")), int(s.text(r.get("id")) or 0))
        )

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        previous = self._get("deals", deal_id, ["dealstage"]).get("dealstage", "")
        self._patch("deals", deal_id, {"dealstage": stage})
        return CrmRecord(id=deal_id, object_type="deal", fields={"dealstage": previous})

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        props = {"hs_timestamp": now, "hs_note_body": body}
        payload = {"properties": props, "associations": [_association(contact_id, NOTE_TO_CONTACT)]}
        data = s.obj(self.http.request("POST", "/crm/v3/objects/notes", json=payload).json())
        return CrmRecord(id=s.text(data.get("id")), object_type="note", fields=props)

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        """The contact's note with exactly this body (read like ``find_deal``)."""
        for row in self._associated("notes", contact_id, ["hs_note_body", "hs_timestamp"]):
            props = {k: s.text(v) for k, v in s.obj(row.get("properties")).items()}
            if props.get("hs_note_body", "").strip() == body.strip():
                return CrmRecord(id=s.text(row.get("id")), object_type="note", fields=props)
        return None

    def delete(self, object_type: str, record_id: str) -> None:
        self.http.request(
            "DELETE", f"/crm/v3/objects/{OBJECTS[object_type]}/{record_id}", expect=(204, 404)
        )

    # --- catalogue, tags, undo, scans ------------------------------------------------------------

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        data = s.obj(self.http.request("GET", f"/crm/v3/properties/{OBJECTS[object_type]}").json())
        return [
            CrmField(
                name=s.text(p.get("name")),
                label=s.text(p.get("label")),
                type=s.text(p.get("type")) or "string",
                custom=not p.get("hubspotDefined", False),
            )
            for p in map(s.obj, s.items(data.get("results")))
        ]

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        """Lifecycle-stage names set ``lifecyclestage``; other tags join the tags property."""
        current = self._get("contacts", record_id, ["lifecyclestage", TAGS_PROPERTY])
        options = self.schema.tag_options()
        values = _tag_values(tags, options, current.get(TAGS_PROPERTY, ""))
        if values:
            self._patch("contacts", record_id, values)
        previous = {name: current.get(name, "") for name in values}
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        path = f"/crm/v3/objects/{OBJECTS[object_type]}/{record_id}"
        if "lifecyclestage" in values:
            # HubSpot refuses to move a lifecycle stage backwards unless it is cleared first.
            response = self.http.request(
                "PATCH", path, json={"properties": {"lifecyclestage": ""}}, expect=(200, 404)
            )
            if response.status_code == 404:
                return
        self.http.request("PATCH", path, json={"properties": values}, expect=(200, 404))

    def iter_contacts(self, page_size: int = 100) -> Iterator[CrmRecord]:
        params: dict[str, Any] = {
            "limit": max(1, min(page_size, 100)),
            "properties": ",".join(CONTACT_PROPERTIES),
        }
        while True:
            data = s.obj(self.http.request("GET", "/crm/v3/objects/contacts", params=params).json())
            for item in s.items(data.get("results")):
                yield _contact_record(s.obj(item))
            after = s.obj(s.obj(data.get("paging")).get("next")).get("after")
            if not after:
                return
            params["after"] = s.text(after)


def build(connection: Connection) -> HubSpotClient:
    return HubSpotClient(s.make_http(connection))
