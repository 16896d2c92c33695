"""SSRF guard for user-supplied URLs (CalDAV servers; later webhook targets).

The host is resolved and every address checked, so odd notations (``0x7f.1``, ``2130706433``,
``[::ffff:127.0.0.1]``) and DNS names pointing inside are caught the same way; redirects are
followed by hand and each hop checked again. ``settings.ALLOW_PRIVATE_URLS`` (tests, demo)
lifts the address check, never the scheme check.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

MAX_REDIRECTS = 5
TIMEOUT_S = 10.0


class UnsafeUrl(ValueError):
    """The URL may not be fetched (bad scheme, credentials in it, or an inside address)."""


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
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
    """Raise ``UnsafeUrl`` unless ``url`` is http(s) to a public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are allowed")
    if parts.username or parts.password or not parts.hostname:
        raise UnsafeUrl("the URL needs a host and may not contain credentials")
    if allow_private if allow_private is not None else settings.ALLOW_PRIVATE_URLS:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        raise UnsafeUrl("the host does not resolve") from exc
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if _refused(ipaddress.ip_address(address)):
            raise UnsafeUrl("the host resolves to a private, loopback or reserved address")


def safe_request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """``requests.request`` with the URL and every redirect target checked first."""
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        response = requests.request(method, url, allow_redirects=False, timeout=TIMEOUT_S, **kwargs)
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        url = urljoin(url, response.headers.get("Location", ""))
    raise UnsafeUrl("too many redirects")
