"""A small in-memory CRM implementing ``connectors.base.CrmClient``, for unit tests only.

It keeps what was written so tests count effects (records created, calls made) the way the
integration tests will count them in the vendor emulators. ``failures`` queues errors that
the next calls raise, in order.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from connectors.base import ConnectorError, CrmContact, CrmField, CrmRecord

CATALOGUE = [
    CrmField("email", "Email"),
    CrmField("phone", "Phone"),
    CrmField("first_name", "First name"),
    CrmField("last_name", "Last name"),
    CrmField("company", "Company"),
    CrmField("lifecyclestage", "Lifecycle stage"),
    CrmField("chatbot_location", "Chatbot location", custom=True),
]


class MemoryCrm:
    def __init__(self) -> None:
        self.contacts: dict[str, CrmRecord] = {}
        self.deals: dict[str, CrmRecord] = {}
        self.notes: dict[str, CrmRecord] = {}
        self.calls: list[str] = []
        self.failures: list[ConnectorError] = []
        self._ids = itertools.count(100)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.failures:
            raise self.failures.pop(0)

    @property
    def writes(self) -> list[str]:
        return [c for c in self.calls if not c.startswith(("find", "field"))]

    def find_contact(self, *, email: str = "", phone: str = "") -> CrmRecord | None:
        self._call("find_contact")
        for key, value in (("email", email), ("phone", phone)):
            for record in self.contacts.values():
                if value and record.fields.get(key) == value:
                    return record
        return None

    def create_contact(self, contact: CrmContact, *, source_tag: str) -> CrmRecord:
        self._call("create_contact")
        fields = {
            "email": contact.email,
            "phone": contact.phone,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "company": contact.company,
            "source_tag": source_tag,
            **contact.extra,
        }
        record = CrmRecord(str(next(self._ids)), "contact", fields)
        self.contacts[record.id] = record
        return record

    def update_contact(self, record_id: str, values: dict[str, str]) -> CrmRecord:
        self._call("update_contact")
        before = self.contacts[record_id]
        self.contacts[record_id] = replace(before, fields={**before.fields, **values})
        return before

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
        """A vendor without upsert, like Pipedrive: ``write_key`` is recorded, not enforced."""
        self._call("create_deal")
        fields = {"contact_id": contact_id, "name": name, "stage": stage, "source_tag": source_tag,
                  "write_key": write_key}  # fmt: skip
        record = CrmRecord(str(next(self._ids)), "deal", fields)
        self.deals[record.id] = record
        return record

    def find_deal(self, *, contact_id: str, name: str, source_tag: str = "") -> CrmRecord | None:
        self._call("find_deal")
        wanted = {"contact_id": contact_id, "name": name, "source_tag": source_tag}
        for record in self.deals.values():
            if all(record.fields.get(k) == v for k, v in wanted.items()):
                return record
        return None

    def move_deal(self, deal_id: str, stage: str) -> CrmRecord:
        self._call("move_deal")
        before = self.deals[deal_id]
        self.deals[deal_id] = replace(before, fields={**before.fields, "stage": stage})
        return before

    def add_note(self, *, contact_id: str, body: str) -> CrmRecord:
        self._call("add_note")
        record = CrmRecord(str(next(self._ids)), "note", {"contact_id": contact_id, "body": body})
        self.notes[record.id] = record
        return record

    def find_note(self, *, contact_id: str, body: str) -> CrmRecord | None:
        self._call("find_note")
        wanted = {"contact_id": contact_id, "body": body}
        return next((r for r in self.notes.values() if r.fields == wanted), None)

    def delete(self, object_type: str, record_id: str) -> None:
        self._call("delete")
        for store in (self.contacts, self.deals, self.notes):
            store.pop(record_id, None)

    def tag_contact(self, record_id: str, tags: list[str]) -> CrmRecord:
        self._call("tag_contact")
        before = self.contacts[record_id]
        current = [t for t in before.fields.get("tags", "").split(";") if t]
        merged = ";".join(dict.fromkeys([*current, *tags]))
        self.contacts[record_id] = replace(before, fields={**before.fields, "tags": merged})
        return CrmRecord(record_id, "contact", {"tags": before.fields.get("tags", "")})

    def restore_fields(self, object_type: str, record_id: str, values: dict[str, str]) -> None:
        self._call("restore_fields")
        if record_id in self.contacts:
            before = self.contacts[record_id]
            self.contacts[record_id] = replace(before, fields={**before.fields, **values})

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        self._call("opt_out")
        before = self.contacts[record_id]
        if before.fields.get("email_opt_out") == "true":
            return CrmRecord(id=record_id, object_type="contact", fields={})
        self.contacts[record_id] = replace(
            before, fields={**before.fields, "email_opt_out": "true"}
        )
        previous = {"email_opt_out": before.fields.get("email_opt_out", "false")}
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        self.restore_fields("contact", record_id, previous)

    def field_catalogue(self, object_type: str = "contact") -> list[CrmField]:
        self._call("field_catalogue")
        return list(CATALOGUE)
