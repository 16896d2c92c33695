"""HubSpot: a person's e-mail opt-out (communication preferences v4) and contact merge.

Checked against HubSpot's developer docs on 2026-12-04 (search tool, docs corpus):

- Opt-out: ``hs_email_optout`` is read-only; a contact leaves all e-mail through the
  subscription preferences API, keyed by e-mail address ("subscriberIdString"):
  ``GET /communication-preferences/v4/statuses/{email}/unsubscribe-all?channel=EMAIL`` (empty
  ``results``: not opted out), ``GET /communication-preferences/v4/statuses/{email}?channel=EMAIL``
  (each subscription and its status) and ``POST …/unsubscribe-all?channel=EMAIL``.
  https://developers.hubspot.com/docs/api-reference/legacy/communication-preferences/guide
- Undo: the v3 subscribe call "will not allow you to resubscribe contacts who have opted out";
  v4 does: ``POST /communication-preferences/v4/statuses/{email}`` with
  ``statusState: SUBSCRIBED`` per subscription (legal basis required on GDPR portals).
  So an opt-out keeps the subscriptions the person had, and an undo subscribes them again;
  a person who had none cannot be put back (HubSpot offers no "opted in to nothing").
- Scope: ``communication_preferences.read_write`` (asked for as optional, see ``spec.py``).
- Merge: ``POST /crm/v3/objects/contacts/merge`` with ``primaryObjectId`` (the record "the
  merge will generally set as the current value") and ``objectIdToMerge``; the answer is the
  merged contact, whose id may be new. Merging cannot be undone (HubSpot's v1 merge page).
  https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/post-crm-v3-objects-contacts-merge
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors import crm_support as s
from connectors.base import ConnectorError, CrmRecord
from connectors.http import VendorHttp

PREFS = "/communication-preferences/v4/statuses"
# Keys of an opt-out's snapshot: the address it was keyed by and the subscriptions it ended.
EMAIL_KEY = "subscriber"
SUBSCRIBED_KEY = "subscriptions_ended"
UNDO_BASIS = "LEGITIMATE_INTEREST_OTHER"
UNDO_EXPLANATION = "Switchboard rolled back an opt-out it had recorded in error."


def opt_out_kept(snapshot: dict[str, str]) -> str:
    """Why a rollback must keep this opt-out ('' if it can undo it): a person who had no
    subscription has none HubSpot could subscribe them to again."""
    if snapshot.get(EMAIL_KEY) and not snapshot.get(SUBSCRIBED_KEY):
        return (
            "kept: the person had no e-mail subscription before opting out, so HubSpot has "
            "nothing to subscribe them to again; they stay opted out of all e-mail"
        )
    return ""


class HubSpotPeople:
    """Opt-out and merge, mixed into ``HubSpotClient`` (they need only its HTTP layer)."""

    http: VendorHttp
    merge_rule = (
        "HubSpot keeps the surviving contact's values where both have one; its associations "
        "(deals, notes, activities) gather on the merged contact, which may get a new id."
    )

    def merge_contacts(self, survivor_id: str, other_id: str) -> CrmRecord:
        body = {"primaryObjectId": survivor_id, "objectIdToMerge": other_id}
        data = s.obj(self.http.request("POST", "/crm/v3/objects/contacts/merge", json=body).json())
        props = {k: s.text(v) for k, v in s.obj(data.get("properties")).items()}
        return CrmRecord(id=s.text(data.get("id")) or survivor_id, object_type="contact",
                         fields=props)  # fmt: skip

    def _email_of(self, record_id: str, email: str) -> str:
        """The contact's own address (what HubSpot mails), else the one the lead gave: a
        contact found by phone may be filed under another address."""
        path = f"/crm/v3/objects/contacts/{record_id}"
        body = s.obj(self.http.request("GET", path, params={"properties": "email"}).json())
        own = s.text(s.obj(body.get("properties")).get("email")).strip().lower()
        return own or email.strip().lower()

    def _prefs(self, email: str, suffix: str = "") -> str:
        return f"{PREFS}/{quote(email, safe='@')}{suffix}"

    def opt_out(self, record_id: str, *, email: str = "") -> CrmRecord:
        """Unsubscribe the contact from all e-mail; the snapshot names the subscriptions it
        had, so an undo can subscribe them again. Already opted out: nothing changes."""
        address = self._email_of(record_id, email)
        if not address:
            raise ConnectorError(
                "hubspot: a contact without an e-mail address cannot be unsubscribed "
                "(HubSpot keys subscriptions by address)",
                code="no_email",
                permanent=True,
            )
        params = {"channel": "EMAIL"}
        wide = s.obj(
            self.http.request("GET", self._prefs(address, "/unsubscribe-all"), params=params).json()
        )
        if any(s.obj(r).get("status") == "UNSUBSCRIBED" for r in s.items(wide.get("results"))):
            return CrmRecord(id=record_id, object_type="contact", fields={})
        statuses = s.obj(self.http.request("GET", self._prefs(address), params=params).json())
        subscribed = [
            s.text(s.obj(r).get("subscriptionId"))
            for r in s.items(statuses.get("results"))
            if s.obj(r).get("status") == "SUBSCRIBED"
        ]
        self.http.request("POST", self._prefs(address, "/unsubscribe-all"), params=params)
        previous = {EMAIL_KEY: address, SUBSCRIBED_KEY: ";".join(subscribed)}
        return CrmRecord(id=record_id, object_type="contact", fields=previous)

    def undo_opt_out(self, record_id: str, previous: dict[str, str]) -> None:
        """Subscribe the person again to each subscription the opt-out ended."""
        address = previous.get(EMAIL_KEY, "")
        ids = s.split_tags(previous.get(SUBSCRIBED_KEY, ""))
        if not address:
            return  # the opt-out changed nothing
        if not ids:
            raise ConnectorError(
                "hubspot: the person had no e-mail subscription before opting out, so HubSpot "
                "has nothing to subscribe them to again; they stay opted out of all e-mail",
                code="nothing_to_resubscribe",
                permanent=True,
            )
        for subscription in ids:
            body: dict[str, Any] = {
                "channel": "EMAIL",
                "statusState": "SUBSCRIBED",
                "subscriptionId": int(subscription) if subscription.isdigit() else subscription,
                "legalBasis": UNDO_BASIS,
                "legalBasisExplanation": UNDO_EXPLANATION,
            }
            self.http.request("POST", self._prefs(address), json=body)
