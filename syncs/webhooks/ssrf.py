"""SSRF guard for webhook target URLs.

Written here because ``connectors/ssrf.py`` (the OAuth branch's guard for CalDAV URLs) was not on
main yet; the two should become one module at merge. The host is resolved and every address
checked, so odd notations (``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``) and DNS names
pointing inside are caught alike. ``settings.ALLOW_PRIVATE_URLS`` (tests, demo) lifts the
address check, never the scheme or credentials check.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be called: bad scheme, credentials in it, or an inside address."""


def _refused(ip: IP) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and _refused(embedded):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, *, allow_private: bool | None = None) -> None:
    """Raise ``UnsafeUrl`` unless ``url`` is http(s) to public addresses only."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("the port is not valid") from exc
    if parts.username or parts.password or not parts.hostname:
        raise UnsafeUrl("the URL needs a host and may not contain credentials")
    if settings.ALLOW_PRIVATE_URLS if allow_private is None else allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl("the host does not resolve") from exc
    for info in infos:
        if _refused(ipaddress.ip_address(str(info[4][0]).split("%")[0])):
            raise UnsafeUrl("the host resolves to a private, loopback or reserved address")
