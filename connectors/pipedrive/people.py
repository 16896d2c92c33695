"""Pipedrive: a person's e-mail opt-out and person merge.

Opt-out is the v2 person field ``marketing_status`` set to ``unsubscribed`` ("unsubscribed from
ALL marketing communications"). Pipedrive documents that the status may change only once:
"it is only allowed once to change the marketing status from an old status to a new one. If
the change is forbidden, the status will remain unchanged for every call that tries to modify
the marketing status" (Pipedrive API reference, Persons, quoted by pipedrive/client-nodejs and
n8n's Pipedrive node; checked 2026-12-04). The call still succeeds, so the status is read back
from the answer: an opt-out Pipedrive did not take is an error, and an undo it will not take
says so instead of reporting the person subscribed again.

Merge: ``PUT /v1/persons/{id}/merge`` with ``merge_with_id``: the person in the path "will be
removed", the one of ``merge_with_id`` "will have priority ... and its data will be kept";
its empty fields take the other's values, and all related data (deals, activities, notes,
...) moves to it (Pipedrive's "Merging two persons" tutorial; checked 2026-12-04).
"""

from __future__ import annotations

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmRecord
from connectors.http import VendorHttp

# Why a rollback keeps a Pipedrive opt-out (read by syncs.rollback.services before it plans
# an undo).
OPT_OUT_KEPT = (
    "kept: Pipedrive lets a person's marketing status change only once, and the opt-out was "
    "that change; the person stays unsubscribed (resubscribe them in Pipedrive if they agreed)"
)


def opt_out_kept(snapshot: dict[str, str]) -> str:
    """Why a rollback must keep this opt-out ('' if it can undo it): always, here."""
    return OPT_OUT_KEPT


STATUS_FIELD = "marketing_status"
UNSUBSCRIBED = "unsubscribed"
PERSONS = "/api/v2/persons"


class PipedrivePeople:
    """Opt-out and merge, mixed into ``PipedriveClient``."""

    http: VendorHttp
    merge_rule = (
        "Pipedrive keeps the surviving person's values; fields empty there take the other "
        "person's; all deals, activities, notes and e-mails move to the surviving person."
    )

    def merge_contacts(self, survivor_id: str, other_id: str) -> CrmRecord:
        body = {"merge_with_id": int(survivor_id)}
        data = s.obj(s.obj(self.http.request(
            "PUT", f"/api/v1/persons/{other_id}/merge", json=body).json()).get("data"))  # fmt: skip
        return CrmRecord(id=s.text(data.get("id")) or survivor_id, object_type="contact")

    def _status(
        self, record_id: str, status: str | None = None, expect: tuple[int, ...] = (200,)
    ) -> str | None:
        """The person's marketing status, after setting it when ``status`` is given (None: the
        person is gone)."""
        path = f"{PERSONS}/{record_id}"
        if status is None:
            response = self.http.request("GET", path, expect=expect)
        else:
            response = self.http.request("PATCH", path, json={STATUS_FIELD: status}, expect=expect)
        if response.status_code == 404:
            return None
        return s.text(s.obj(s.obj(response.json()).get("data")).get(STATUS_FIELD))

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Set ``marketing_status`` to ``unsubscribed``; the snapshot holds the old status."""
        previous = self._status(record_id) or ""
        if previous == UNSUBSCRIBED:
            return CrmRecord(id=record_id, object_type="contact", fields={})
        if self._status(record_id, UNSUBSCRIBED) != UNSUBSCRIBED:
            raise ConnectorError(
                f"pipedrive kept person {record_id} {previous or 'without a status'}: its "
                "marketing status may change only once and was changed before; unsubscribe "
                "them in Pipedrive",
                code="marketing_status_locked",
                permanent=True,
            )
        return CrmRecord(id=record_id, object_type="contact", fields={STATUS_FIELD: previous})

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        wanted = previous.get(STATUS_FIELD)
        if wanted is None:
            return
        now = self._status(record_id, wanted or "no_consent", expect=(200, 404))
        if now is not None and now != (wanted or "no_consent"):
            raise ConnectorError(
                f"pipedrive keeps person {record_id} {now}: a marketing status may change only "
                "once, and the opt-out was that change; the person stays unsubscribed",
                code="marketing_status_locked",
                permanent=True,
            )
