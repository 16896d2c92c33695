"""CalDAV (Apple iCloud or any server): HTTP Basic with an app-specific password, no OAuth.
Source: VENDORS.md (CalDAV), RFC 4791 / RFC 6578; iCloud host caldav.icloud.com.

Minimal access (read 2026-12-05): CalDAV has no scopes; what a password may do is what its
account may do. So the person connects with an *app-specific* password, never their account
password, which they can revoke on its own without touching anything else:

- iCloud: Apple requires app-specific passwords for third-party calendar apps (since 15 June
  2017). Creating one needs two-factor authentication on the Apple ID; it is made at
  appleid.apple.com (Sign-In and Security > App-Specific Passwords), up to 25 live at once,
  and all are revoked when the Apple ID password changes (then the connection asks to be
  made again: a 401 is ``needs_reauth``). Apple offers no narrower grant: the password also
  reaches the account's contacts and mail, which Switchboard never asks for (it calls only
  the calendar home's collections).
- Other servers (Nextcloud, Fastmail, Radicale...): an app password where the server offers
  one (Nextcloud "Devices & sessions", Fastmail "App passwords" with CalDAV access only),
  else the account's password.

What Switchboard does with it: PROPFIND (calendars), REPORT (busy time, sync-collection) on
the calendars the person marks, and PUT / DELETE of the events it books, named
``switchboard-<booking>.ics``. It never deletes or changes another event.
"""

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
