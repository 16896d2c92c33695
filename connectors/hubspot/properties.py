"""What the HubSpot client may write in a portal: the properties the portal's catalogue
confirmed, Switchboard's own properties added on first use where the grant allows it, and the
options of the tags property.

A HubSpot portal has only the properties it was given, and refuses a whole create or update
that names one it lacks (``PROPERTY_DOESNT_EXIST``) or sets an enumeration to a value that is
not one of its options (``INVALID_OPTION``; shared/VENDORS.md, "HubSpot enumeration
properties"). So no write names a property this module has not seen in the catalogue, and a
tag becomes an option of ``switchboard_tags`` before a contact carries it.

Adding a property or an option needs ``crm.schemas.<object>.write``, asked for as an optional
scope: the scopes HubSpot granted (``Connection.scopes``, from the token answer) decide
whether it is tried at all; a connection whose scopes were never recorded asks and takes a
403 as the answer. What the portal has is remembered per connection for a day (a reconnect,
which may grant more, asks again at once).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from connectors import crm_support as s
from connectors.base import ConnectorError
from connectors.http import VendorHttp
from connectors.hubspot.mapping import SOURCE_TAG_PROPERTY, TAGS_PROPERTY

KNOWN_S = 24 * 3600
OPTION_FIELDS = ("label", "value", "hidden", "displayOrder", "description")  # OptionInput


def _text(name: str, label: str, group: str, field_type: str = "text") -> dict[str, Any]:
    return {"name": name, "label": label, "type": "string", "fieldType": field_type,
            "groupName": group, "description": f"Set by Switchboard: {label.lower()}."}  # fmt: skip


# Switchboard's own properties, created where missing (the default field map's targets, the
# source tag and the tags property). HubSpot's groups: contactinformation, dealinformation.
OWN_PROPERTIES: dict[str, tuple[dict[str, Any], ...]] = {
    "contacts": (
        _text(SOURCE_TAG_PROPERTY, "Source tag", "contactinformation"),
        {**_text("ai_lead_score", "AI lead score", "contactinformation"),
         "type": "number", "fieldType": "number"},
        _text("ai_intent", "AI intent", "contactinformation"),
        _text("ai_summary", "AI conversation summary", "contactinformation", "textarea"),
        _text("ai_chatbot_vendor", "Chatbot vendor", "contactinformation"),
        _text("ai_session_id", "Chatbot session id", "contactinformation"),
        {**_text(TAGS_PROPERTY, "Follow-up tags", "contactinformation"),
         "type": "enumeration", "fieldType": "checkbox", "options": []},
    ),
    "deals": (_text(SOURCE_TAG_PROPERTY, "Source tag", "dealinformation"),),
}  # fmt: skip
LABELS = {d["name"]: d["label"] for ds in OWN_PROPERTIES.values() for d in ds}
# Where a value goes whose property the portal lacks: a standard textarea (see ``writable``).
FALLBACK = {"contacts": "message"}
MESSAGE_MAX = 65_536  # "string property values are limited to 65,536 characters" (properties guide)
# HubSpot's own properties the client writes: they exist in every portal.
STANDARD = {
    "contacts": {"email", "firstname", "lastname", "phone", "mobilephone", "company",
                 "lifecyclestage"},
    "deals": {"dealname", "dealstage", "pipeline", "amount", "description"},
    "notes": {"hs_timestamp", "hs_note_body"},
}  # fmt: skip


def with_lines(text: str, lines: dict[str, str]) -> str:
    """``text`` with one ``Label: value`` line per entry, replacing a line of the same label
    (a later sync updates its line, never adds a second), other lines kept in order."""
    prefixes = tuple(f"{label}: " for label in lines)
    kept = [ln for ln in text.splitlines() if not ln.startswith(prefixes)]
    added = [f"{label}: {' '.join(value.split())}" for label, value in lines.items()]
    return "\n".join([*kept, *added])[:MESSAGE_MAX]


def may(connection_scopes: list[str], object_type: str, access: str) -> bool:
    """Whether the grant has ``crm.schemas.<object_type>.<access>``; an empty list means the
    scopes were never recorded (a connection made before they were), so the portal is asked."""
    return not connection_scopes or f"crm.schemas.{object_type}.{access}" in connection_scopes


class PortalSchema:
    """The portal's writable properties per object type and the tags property's options."""

    def __init__(self, http: VendorHttp) -> None:
        self.http = http
        self.scopes = [str(x) for x in (http.connection.scopes or [])]
        self._known: dict[str, Any] | None = None

    def _key(self) -> str:
        return s.connection_key("hubspot:schema", self.http.connection)

    def _state(self) -> dict[str, Any]:
        if self._known is None:
            self._known = cache.get(self._key())
        if self._known is None:
            self.ensure()
        return self._known or {}

    def forget(self) -> None:
        """Read the portal again next time (a write was refused: something changed there)."""
        cache.delete(self._key())
        self._known = None

    def ensure(self, object_type: str = "contacts") -> list[tuple[str, str, list[str]]]:
        """Read the object's catalogue and add Switchboard's missing properties where the grant
        allows; returns what changed or was refused, for the audit log, as (``"created"`` or
        ``"refused"``, object type, names). Remembered for a day."""
        known = cache.get(self._key()) or {}
        if object_type in known:
            self._known = known
            return []
        names, options = self._catalogue(object_type)
        changes: list[tuple[str, str, list[str]]] = []
        if names is not None:
            missing = [d for d in OWN_PROPERTIES.get(object_type, ()) if d["name"] not in names]
            created, refused = self._create(object_type, missing)
            names |= set(created)
            changes += [(a, object_type, n) for a, n in (("created", created),
                                                         ("refused", refused)) if n]  # fmt: skip
        known[object_type] = sorted(names if names is not None else STANDARD[object_type])
        if object_type == "contacts":
            known["tag_options"] = options
        cache.set(self._key(), known, KNOWN_S)
        self._known = known
        return changes

    def _catalogue(self, object_type: str) -> tuple[set[str] | None, list[str]]:
        """The names of the object's properties and the tags property's options; None when
        the catalogue cannot be read (no ``crm.schemas.<object>.read``: deals' is optional)."""
        if object_type != "contacts" and not may(self.scopes, object_type, "read"):
            return None, []
        response = self.http.request("GET", f"/crm/v3/properties/{object_type}", expect=(200, 403))
        if response.status_code == 403:
            return None, []
        rows = [s.obj(p) for p in s.items(s.obj(response.json()).get("results"))]
        options: list[str] = []
        for row in rows:
            if row.get("name") == TAGS_PROPERTY:
                options = [s.text(s.obj(o).get("value")) for o in s.items(row.get("options"))]
        return {s.text(r.get("name")) for r in rows}, options

    def _create(self, object_type: str, missing: list[dict[str, Any]]) -> tuple[list, list]:
        if not missing:
            return [], []
        names = [d["name"] for d in missing]
        if not may(self.scopes, object_type, "write"):
            return [], names
        created: list[str] = []
        for definition in missing:
            response = self.http.request(
                "POST", f"/crm/v3/properties/{object_type}", json=definition,
                expect=(201, 403, 409),
            )  # fmt: skip
            if response.status_code == 403:
                return created, [n for n in names if n not in created]
            created.append(definition["name"])  # 409: another worker added it a moment ago
        return created, []

    # --- what a write may carry -------------------------------------------------------------

    def writable(
        self, object_type: str, values: dict[str, str], current: str = ""
    ) -> dict[str, str]:
        """``values`` as the portal takes them: a property it was not seen to have is not
        named; its value becomes a ``Label: value`` line of the standard ``message`` textarea
        (merged into ``current``, the contact's message now), as Salesforce and Zoho keep such
        values in their Description, so nothing the lead said is lost when the grant could not
        create our properties. Only where the catalogue lists ``message`` (HubSpot's default
        contact property "Message", a textarea; its default contact properties list,
        knowledge.hubspot.com/properties/hubspots-default-contact-properties, checked
        2026-12-04): no write depends on a property the catalogue has not confirmed."""
        confirmed = set(self._confirmed(object_type))
        kept = {k: v for k, v in values.items() if k in confirmed}
        lines = {
            LABELS.get(k, k): str(v)
            for k, v in values.items()
            if k not in confirmed and k != TAGS_PROPERTY and v not in (None, "")
        }
        fallback = FALLBACK.get(object_type, "")
        if lines and fallback in confirmed:
            kept[fallback] = with_lines(str(kept.get(fallback) or current or ""), lines)
        return kept

    def has(self, object_type: str, name: str) -> bool:
        return name in self._confirmed(object_type)

    def _confirmed(self, object_type: str) -> list[str]:
        state = self._state()
        if object_type not in state:
            self.ensure(object_type)
            state = self._known or {}
        return list(state.get(object_type, STANDARD.get(object_type, ())))

    def tag_options(self) -> list[str]:
        self._confirmed("contacts")  # the options are read with the contacts' catalogue
        return list(self._state().get("tag_options") or [])

    def add_options(self, tags: list[str]) -> list[str]:
        """Make ``tags`` options of the tags property (HubSpot's PATCH replaces the whole
        options list, so the old ones are sent too); returns the ones added. Raises a
        permanent ``ConnectorError`` when the portal has no tags property or the grant may
        not change it: the caller audits that and writes the tags the portal knows."""
        current = self.tag_options()
        new = [t for t in dict.fromkeys(tags) if t and t not in current]
        if not new:
            return []
        if not self.has("contacts", TAGS_PROPERTY) or not may(self.scopes, "contacts", "write"):
            raise ConnectorError(
                f"hubspot: cannot add {', '.join(new)} as options of {TAGS_PROPERTY}",
                code="tags_refused", permanent=True,
            )  # fmt: skip
        # Read the options afresh: another worker may have added some since ours were read,
        # and a PATCH from a stale list would take them away again.
        fresh = self.http.request(
            "GET", f"/crm/v3/properties/contacts/{TAGS_PROPERTY}", expect=(200, 403, 404)
        )
        kept: list[dict[str, Any]] = [
            {"label": v, "value": v, "hidden": False, "displayOrder": i}
            for i, v in enumerate(current)
        ]
        if fresh.status_code == 200:
            # Kept as the portal has them (an admin's labels, hidden options, order).
            rows = [s.obj(o) for o in s.items(s.obj(fresh.json()).get("options"))]
            kept = [{k: o[k] for k in OPTION_FIELDS if k in o} for o in rows]
            current = [s.text(o.get("value")) for o in rows]
            new = [t for t in new if t not in current]
            if not new:
                self._remember_options(current)
                return []
        options = kept + [
            {"label": v, "value": v, "hidden": False, "displayOrder": len(kept) + i}
            for i, v in enumerate(new)
        ]
        response = self.http.request(
            "PATCH", f"/crm/v3/properties/contacts/{TAGS_PROPERTY}",
            json={"options": options}, expect=(200, 403),
        )  # fmt: skip
        if response.status_code == 403:
            raise ConnectorError(
                f"hubspot 403: the grant may not add options to {TAGS_PROPERTY}",
                status=403, code="MISSING_SCOPES", permanent=True,
            )  # fmt: skip
        self._remember_options([*current, *new])
        return new

    def _remember_options(self, options: list[str]) -> None:
        state = self._state()
        state["tag_options"] = options
        cache.set(self._key(), state, KNOWN_S)
