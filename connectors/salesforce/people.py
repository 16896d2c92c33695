"""Salesforce: a person's e-mail opt-out and contact merge.

Opt-out is the standard Contact checkbox ``HasOptedOutOfEmail`` ("Email Opt Out"), set through
the REST sobject PATCH like any field (Salesforce object reference, Contact; checked
2026-12-04). Booleans are sent as JSON booleans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors import crm_support as s
from connectors.base import CrmRecord
from connectors.http import VendorHttp

OPT_OUT_FIELD = "HasOptedOutOfEmail"


class SalesforcePeople:
    """Opt-out and merge, mixed into ``SalesforceClient``."""

    http: VendorHttp
    root: str

    if TYPE_CHECKING:

        def _get(self, sobject: str, record_id: str, names: list[str]) -> dict[str, str]: ...

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Tick ``HasOptedOutOfEmail``; the snapshot holds its previous value."""
        current = self._get("Contact", record_id, [OPT_OUT_FIELD]).get(OPT_OUT_FIELD, "")
        if current == "true":
            return CrmRecord(id=record_id, object_type="contact", fields={})
        self.http.request(
            "PATCH", f"{self.root}/sobjects/Contact/{record_id}", json={OPT_OUT_FIELD: True}
        )
        return CrmRecord(id=record_id, object_type="contact", fields={OPT_OUT_FIELD: "false"})

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        if OPT_OUT_FIELD not in previous:
            return
        value = s.text(previous[OPT_OUT_FIELD]) == "true"
        self.http.request(
            "PATCH", f"{self.root}/sobjects/Contact/{record_id}", json={OPT_OUT_FIELD: value},
            expect=(204, 404),
        )  # fmt: skip
