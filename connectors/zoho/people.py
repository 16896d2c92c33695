"""Zoho CRM: a person's e-mail opt-out and contact merge.

Opt-out is the Contacts module's standard boolean field ``Email_Opt_Out`` ("Email Opt Out"),
written with the records API like any field (Zoho CRM v8 field metadata; checked 2026-12-04).

Merge: ``POST /crm/v8/Contacts/{master}/actions/merge`` with ``{"merge": [{"data": [{"id":
child}]}]}`` merges up to three duplicates into the master record and deletes them; the master's
values are kept except fields named from a child; the answer is SUCCESS, or SCHEDULED with a
``job_id`` whose status ``GET …/actions/merge?job_id=`` reports (Zoho CRM v8 "Merge Records" and
"Get Records Merge Status"; checked 2026-12-04).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmRecord
from connectors.http import VendorHttp

OPT_OUT_FIELD = "Email_Opt_Out"
ROOT = "/crm/v8"


class ZohoPeople:
    """Opt-out and merge, mixed into ``ZohoClient``."""

    http: VendorHttp
    merge_rule = (
        "Zoho keeps the master (surviving) record's values; the other record is deleted and "
        "its deals, notes and activities move to the master."
    )

    def merge_contacts(self, survivor_id: str, other_id: str) -> CrmRecord:
        path = f"{ROOT}/Contacts/{survivor_id}/actions/merge"
        body = {"merge": [{"data": [{"id": other_id}]}]}
        response = self.http.request("POST", path, json=body, expect=(200, 201, 202, 400))
        data = s.obj(s.json_of(response))  # per-merge entries, or one top-level error
        entry = s.obj((s.items(data.get("merge")) or [data])[0])
        code = s.text(entry.get("code"))
        if code not in ("SUCCESS", "SCHEDULED"):
            raise ConnectorError(
                f"zoho {response.status_code}: {s.text(entry.get('message')) or code}",
                status=response.status_code, code=code or "merge_failed", permanent=True,
            )  # fmt: skip
        fields = {"scheduled_job": s.text(s.obj(entry.get("details")).get("job_id"))}
        return CrmRecord(id=survivor_id, object_type="contact",
                         fields=fields if code == "SCHEDULED" else {})  # fmt: skip

    if TYPE_CHECKING:

        def _write(self, method: str, path: str, record: dict[str, Any]) -> dict[str, Any]: ...
        def _get(self, module: str, record_id: str) -> dict[str, Any] | None: ...
        def _require(self, module: str, record_id: str) -> dict[str, Any]: ...
        def _takes(self, module: str, name: str, value: Any) -> bool: ...

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Tick ``Email_Opt_Out``; the snapshot holds its previous value."""
        current = s.text(self._require("Contacts", record_id).get(OPT_OUT_FIELD))
        if current == "true":
            return CrmRecord(id=record_id, object_type="contact", fields={})
        self._require_opt_out_field("the contact could not be opted out")
        self._write("PUT", f"{ROOT}/Contacts/{record_id}", {OPT_OUT_FIELD: True})
        return CrmRecord(id=record_id, object_type="contact", fields={OPT_OUT_FIELD: "false"})

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        if OPT_OUT_FIELD not in previous or self._get("Contacts", record_id) is None:
            return  # nothing changed, or the contact is gone
        self._require_opt_out_field("the opt-out could not be undone")
        value = s.text(previous[OPT_OUT_FIELD]) == "true"
        self._write("PUT", f"{ROOT}/Contacts/{record_id}", {OPT_OUT_FIELD: value})

    def _require_opt_out_field(self, outcome: str) -> None:
        """``_write`` leaves a field the fields metadata lacks out of an update (the field is
        hidden from the connected user's profile): the PUT would succeed and change nothing,
        and we would report a change Zoho never made."""
        if not self._takes("Contacts", OPT_OUT_FIELD, True):
            raise ConnectorError(
                f"zoho: the connected user cannot see {OPT_OUT_FIELD} (field permissions), so "
                f"{outcome}",
                code="field_hidden", permanent=True,
            )  # fmt: skip
