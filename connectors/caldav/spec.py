"""CalDAV (Apple iCloud or any server): HTTP Basic with an app-specific password, no OAuth.
Source: VENDORS.md (CalDAV), RFC 4791 / RFC 6578; iCloud host caldav.icloud.com."""

from __future__ import annotations

from connectors.base import ProviderSpec

SPEC = ProviderSpec(
    slug="caldav",
    kind="calendar",
    display_name="CalDAV (iCloud and others)",
    auth="basic",
    api_base="https://caldav.icloud.com",  # default; the client's own server_url wins
    auth_header="basic",
    rate_limits=(),  # none published: poll a few minutes apart, back off on 503/429
    webhook_scheme="",  # no push; poll
    emulated=False,  # a user-supplied server: never rewritten, checked by connectors.ssrf
    docs="https://www.rfc-editor.org/rfc/rfc4791",
)
