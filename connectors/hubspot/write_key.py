"""The unique deal property that makes a HubSpot deal create idempotent.

A deal is upserted by ``WRITE_KEY_PROPERTY``, set to a key per job, so a create repeated by a
re-run lands on the same deal (HubSpot enforces the uniqueness). Reading and adding the
property need ``crm.schemas.deals.read`` and ``.write``, asked for as optional scopes: a grant
without them gets plain creates, decided from the granted scopes where they were recorded and
from HubSpot's 403 otherwise.
"""

from __future__ import annotations

from django.core.cache import cache

from connectors import crm_support as s
from connectors.http import VendorHttp
from connectors.hubspot.properties import may

# A deal property with unique values, set to a key per job: a deal is upserted by it, so a
# create repeated by a re-run lands on the same deal (HubSpot enforces the uniqueness).
WRITE_KEY_PROPERTY = "switchboard_write_key"
WRITE_KEY_DEFINITION = {
    "name": WRITE_KEY_PROPERTY,
    "label": "Switchboard write key",
    "description": "Set by Switchboard so a retried sync never creates a second deal.",
    "groupName": "dealinformation",
    "type": "string",
    "fieldType": "text",
    "hasUniqueValue": True,
}
WRITE_KEY_KNOWN_S = 24 * 3600


class WriteKey:
    """Whether deals can be upserted by ``WRITE_KEY_PROPERTY`` in this portal."""

    def __init__(self, http: VendorHttp, scopes: list[str]) -> None:
        self.http = http
        self.scopes = scopes
        self._ok: bool | None = None

    def ensure(self) -> str:
        """Make sure deals can be upserted by ``WRITE_KEY_PROPERTY`` (it exists with unique
        values, or we add it now); returns what changed at HubSpot, for the audit log:
        ``"created"`` (we added the property), ``"refused"`` (the grant lacks
        ``crm.schemas.deals.write`` or ``.read``, asked for as optional scopes), ``"not_unique"``
        (someone made it without unique values: it cannot key an upsert) or ``""`` (nothing
        new).

        The answer is remembered per connection for a day, so the question costs a call (and a
        refusal an audit entry) about once a day; a reconnect, which may grant the scope, asks
        again at once (the connect time is part of the cache key)."""
        name = s.connection_key("hubspot:write-key", self.http.connection)
        known = cache.get(name)
        if known is not None:
            self._ok = bool(known)
            return ""
        change = self._ensure_property()
        self._ok = change in ("", "created")
        cache.set(name, self._ok, WRITE_KEY_KNOWN_S)
        return change

    def ready(self) -> bool:
        if self._ok is None:
            self.ensure()
        return bool(self._ok)

    def _ensure_property(self) -> str:
        state = self._state()
        if state == "absent" and not may(self.scopes, "deals", "write"):
            return "refused"  # the grant says so: no call to be refused by
        if state == "absent":
            response = self.http.request(
                "POST", "/crm/v3/properties/deals", json=WRITE_KEY_DEFINITION,
                expect=(201, 403, 409),
            )  # fmt: skip
            if response.status_code != 409:
                return "created" if response.status_code == 201 else "refused"
            state = self._state()  # another worker added it a moment ago
        return {"unique": "", "refused": "refused"}.get(state, "not_unique")

    def _state(self) -> str:
        """The portal's write-key property: ``unique``, ``not_unique``, ``absent``, or
        ``refused`` (no ``crm.schemas.deals.read``, by the grant or by HubSpot's 403: a portal
        without it gets plain creates, not a failed sync)."""
        if not may(self.scopes, "deals", "read"):
            return "refused"
        path = f"/crm/v3/properties/deals/{WRITE_KEY_PROPERTY}"
        response = self.http.request("GET", path, expect=(200, 403, 404))
        if response.status_code != 200:
            return "refused" if response.status_code == 403 else "absent"
        return "unique" if s.obj(response.json()).get("hasUniqueValue") else "not_unique"
