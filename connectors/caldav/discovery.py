"""CalDAV account discovery (RFC 4791 §6, RFC 5397): principal, then calendar home.

Also the credential check at connect time: a wrong app-specific password fails here, not at
the first booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from connectors import ssrf
from connectors.base import ConnectorError

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
_PRINCIPAL = (
    '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:">'
    "<d:prop><d:current-user-principal/></d:prop></d:propfind>"
)
_HOME = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
    "<d:prop><c:calendar-home-set/></d:prop></d:propfind>"
)


@dataclass(frozen=True)
class CalDavAccount:
    principal_url: str
    calendar_home_url: str


INSECURE = (
    "the server URL must use https: over plain http the app-specific password would be sent "
    "unencrypted"
)


def _propfind(url: str, body: str, auth: tuple[str, str]) -> tuple[str, ET.Element]:
    # Every URL the password goes to, including those the server names, must be https.
    ssrf.require_https(url, INSECURE)
    try:
        response = ssrf.safe_request(
            "PROPFIND",
            url,
            data=body.encode(),
            auth=auth,
            headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"},
        )
    except ssrf.UnsafeUrl:
        raise
    except Exception as exc:  # network errors, timeouts
        raise ConnectorError(f"CalDAV server unreachable: {type(exc).__name__}") from exc
    if response.status_code == 401:
        raise ConnectorError(
            "the server refused the user name or password", status=401, permanent=True
        )
    if response.status_code != 207:
        raise ConnectorError(
            f"PROPFIND answered {response.status_code}", status=response.status_code
        )
    try:
        return response.url, ET.fromstring(response.content)  # noqa: S314
    except ET.ParseError as exc:
        raise ConnectorError("the server's PROPFIND reply is not XML") from exc


def _href(root: ET.Element, path: str) -> str:
    node = root.find(f".//{path}/d:href", NS)
    text = (node.text or "") if node is not None else ""
    if not text.strip():
        raise ConnectorError(f"the server did not report {path.split(':')[-1]}", permanent=True)
    return text.strip()


def discover(server_url: str, username: str, password: str) -> CalDavAccount:
    """Find the principal and calendar home; raises ``ConnectorError`` or ``ssrf.UnsafeUrl``."""
    auth = (username, password)
    base, root = _propfind(server_url, _PRINCIPAL, auth)
    principal = urljoin(base, _href(root, "d:current-user-principal"))
    base, root = _propfind(principal, _HOME, auth)
    home = urljoin(base, _href(root, "c:calendar-home-set"))
    ssrf.require_https(home, INSECURE)  # later calendar calls go there with the password
    return CalDavAccount(principal_url=principal, calendar_home_url=home)
