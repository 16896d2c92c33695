"""Signed, expiring connect links a client opens to connect their own accounts.

The token is ``django.core.signing`` over the client's public id with its own salt, so it is
useless for anything else and expires after ``CONNECT_LINK_MAX_AGE`` seconds.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from tenants.models import Client

SALT = "switchboard.connectors.connect-link"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def make_token(client: Client) -> str:
    return signing.dumps({"c": str(client.public_id), "n": secrets.token_hex(4)}, salt=SALT)


def connect_url(client: Client) -> str:
    """The absolute URL of a fresh connect link for ``client``."""
    path = reverse("connect:page", kwargs={"token": make_token(client)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def client_for_token(token: str) -> Client:
    """The client a link belongs to; raises ``LinkExpired`` or ``LinkInvalid``."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.CONNECT_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    client = Client.objects.filter(public_id=data.get("c")).select_related("agency").first()
    if client is None:
        raise LinkInvalid
    return client
