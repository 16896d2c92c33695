"""Zoho CRM: a person's e-mail opt-out and contact merge.

Opt-out is the Contacts module's standard boolean field ``Email_Opt_Out`` ("Email Opt Out"),
written with the records API like any field (Zoho CRM v8 field metadata; checked 2026-12-04).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors import crm_support as s
from connectors.base import CrmRecord
from connectors.http import VendorHttp

OPT_OUT_FIELD = "Email_Opt_Out"
ROOT = "/crm/v8"


class ZohoPeople:
    """Opt-out and merge, mixed into ``ZohoClient``."""

    http: VendorHttp

    if TYPE_CHECKING:

        def _write(self, method: str, path: str, record: dict[str, Any]) -> dict[str, Any]: ...
        def _get(self, module: str, record_id: str) -> dict[str, Any] | None: ...
        def _require(self, module: str, record_id: str) -> dict[str, Any]: ...

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Tick ``Email_Opt_Out``; the snapshot holds its previous value."""
        current = s.text(self._require("Contacts", record_id).get(OPT_OUT_FIELD))
        if current == "true":
            return CrmRecord(id=record_id, object_type="contact", fields={})
        self._write("PUT", f"{ROOT}/Contacts/{record_id}", {OPT_OUT_FIELD: True})
        return CrmRecord(id=record_id, object_type="contact", fields={OPT_OUT_FIELD: "false"})

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        if OPT_OUT_FIELD not in previous or self._get("Contacts", record_id) is None:
            return  # nothing changed, or the contact is gone
        value = s.text(previous[OPT_OUT_FIELD]) == "true"
        self._write("PUT", f"{ROOT}/Contacts/{record_id}", {OPT_OUT_FIELD: value})
