"""SSRF guard for user-supplied URLs (CalDAV servers; later webhook targets).

The host is resolved and every address checked, so odd notations (``0x7f.1``, ``2130706433``,
``[::ffff:127.0.0.1]``) and DNS names pointing inside are caught the same way; redirects are
followed by hand and each hop checked again. The request then goes to the very address that
was checked (``pinned_request``), so a DNS answer that changes between check and connect (DNS
rebinding) cannot send it inside; TLS still verifies the certificate for the host name.
``settings.ALLOW_PRIVATE_URLS`` (tests, demo) lifts the address check, never the scheme check.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

MAX_REDIRECTS = 5
TIMEOUT_S = 10.0


class UnsafeUrl(ValueError):
    """The URL may not be fetched (bad scheme, credentials in it, or an inside address)."""


class UnresolvableHost(UnsafeUrl):
    """The host name did not resolve: unlike the other refusals, this may pass on a retry."""


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


def plain_http_allowed() -> bool:
    """Development and tests only (``DEBUG`` or ``ALLOW_PRIVATE_URLS``): plain ``http://``."""
    return bool(settings.DEBUG or settings.ALLOW_PRIVATE_URLS)


def require_https(url: str, message: str) -> None:
    """Raise ``UnsafeUrl(message)`` for a URL that is not ``https://``, outside development:
    what goes to it (a password, a signed payload) would cross the network in clear."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:  # a bracketed host that is no IPv6 address
        raise UnsafeUrl("the URL is not valid") from exc
    if scheme != "https" and not plain_http_allowed():
        raise UnsafeUrl(message)


def check_url(url: str, *, allow_private: bool | None = None) -> str | None:
    """Raise ``UnsafeUrl`` unless ``url`` is http(s) to a public address; returns the address
    to connect to (None when private addresses are allowed: nothing was resolved)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # a bracketed host that is no IPv6 address, a bad port
        raise UnsafeUrl("the URL is not valid") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("only http and https URLs are allowed")
    if parts.username or parts.password or not parts.hostname:
        raise UnsafeUrl("the URL needs a host and may not contain credentials")
    if allow_private if allow_private is not None else settings.ALLOW_PRIVATE_URLS:
        return None
    try:
        port = port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError) as exc:
        raise UnresolvableHost("the host does not resolve") from exc
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    if any(_refused(ipaddress.ip_address(address)) for address in addresses):
        raise UnsafeUrl("the host resolves to a private, loopback or reserved address")
    return addresses[0] if addresses else None


class _PinnedTls(HTTPAdapter):
    """Connects wherever the URL says (an address) but speaks TLS to ``host``: SNI and the
    certificate check use the name, not the address."""

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(server_hostname=self.host, assert_hostname=self.host)
        super().init_poolmanager(*args, **kwargs)


def pinned_request(
    method: str, url: str, *, timeout: float | tuple[float, float], **kwargs: Any
) -> requests.Response:
    """One request (redirects not followed) to the address ``check_url`` approved for ``url``.

    Raises ``UnsafeUrl`` as ``check_url`` does. With private URLs allowed there is nothing to
    pin and the request goes out as it is.
    """
    address = check_url(url)
    kwargs["allow_redirects"] = False
    if address is None:
        return requests.request(method, url, timeout=timeout, **kwargs)
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    headers = {**(kwargs.pop("headers", None) or {}), "Host": parts.netloc}
    session = requests.Session()
    session.trust_env = False  # a proxy would resolve the name again
    if parts.scheme == "https":
        session.mount("https://", _PinnedTls(str(parts.hostname)))
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return session.request(method, pinned, headers=headers, timeout=timeout, **kwargs)


REDIRECT_STATUSES = (301, 302, 303, 307, 308)
CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def _without_credentials(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request's arguments minus what proves who the user is (``auth``, Authorization,
    Cookie): what a redirect to another origin must not carry, as browsers and requests do."""
    headers = {
        name: value
        for name, value in (kwargs.get("headers") or {}).items()
        if name.lower() not in CREDENTIAL_HEADERS
    }
    return {**{k: v for k, v in kwargs.items() if k != "auth"}, "headers": headers}


def safe_request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """``requests.request`` with the URL and every redirect target checked (and pinned).

    Redirects are followed here, so the rules requests applies are applied here too: a
    target on another origin gets no credentials (a CalDAV server redirecting elsewhere must
    not receive the user's password), a 303, and a 301/302 answering a POST, become a GET
    without a body. The response's ``url`` is the last URL by name, not the pinned address,
    so relative links in the body resolve against the server's real name.
    """
    kwargs.setdefault("timeout", TIMEOUT_S)
    for _ in range(MAX_REDIRECTS + 1):
        response = pinned_request(method, url, **kwargs)
        if response.status_code not in REDIRECT_STATUSES:
            response.url = url
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        if _origin(target) != _origin(url):
            kwargs = _without_credentials(kwargs)
        if response.status_code == 303 or (
            response.status_code in (301, 302) and method.upper() == "POST"
        ):
            method = "GET"
            kwargs = {k: v for k, v in kwargs.items() if k not in ("data", "json")}
        url = target
    raise UnsafeUrl("too many redirects")
