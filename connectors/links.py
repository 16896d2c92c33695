"""Signed, expiring connect links a client opens to connect their own accounts.

The token is ``django.core.signing`` over the client's public id with its own salt, so it is
useless for anything else and expires after ``CONNECT_LINK_MAX_AGE`` seconds.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing

from common.signed_links import LinkExpired, LinkInvalid, absolute_url, read
from tenants.models import Client

__all__ = [
    "LinkExpired",
    "LinkInvalid",
    "client_for_token",
    "connect_url",
    "expires_at",
    "make_token",
]
SALT = "switchboard.connectors.connect-link"


def make_token(client: Client) -> str:
    # "e": when it stops working, signed with it, so the connect page can say so (the
    # signature's own timestamp is checked against CONNECT_LINK_MAX_AGE as before).
    expires = int(datetime.now(UTC).timestamp()) + int(settings.CONNECT_LINK_MAX_AGE)
    payload = {"c": str(client.public_id), "n": secrets.token_hex(4), "e": expires}
    return signing.dumps(payload, salt=SALT)


def expires_at(token: str) -> datetime | None:
    """When a valid link stops working (None for a link made before links carried it)."""
    try:
        data = read(token, salt=SALT, max_age=settings.CONNECT_LINK_MAX_AGE)
    except (LinkExpired, LinkInvalid):
        return None
    expires = data.get("e")
    return datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None


def connect_url(client: Client) -> str:
    """The absolute URL of a fresh connect link for ``client``."""
    return absolute_url("connect:page", make_token(client))


def client_for_token(token: str) -> Client:
    """The client a link belongs to; raises ``LinkExpired`` or ``LinkInvalid``."""
    public_id = read(token, salt=SALT, max_age=settings.CONNECT_LINK_MAX_AGE).get("c")
    if not isinstance(public_id, str):
        raise LinkInvalid
    client = Client.objects.filter(public_id=public_id).select_related("agency").first()
    if client is None:
        raise LinkInvalid
    return client
