"""Signed, expiring links that are their own key: a client's connect link
(``connectors.links``), a customer's booking link (``syncs.calendar.customer_link``).

The token is ``django.core.signing`` over a small dict, salted per use so a token made for one
use is worthless for another. Reading one tells an expired link (the page says so) from a
tampered or foreign one (the page says nothing about what it would have opened).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def read(token: str, *, salt: str, max_age: int) -> dict[str, Any]:
    """The payload a token signed with ``salt`` carries; raises ``LinkExpired`` past
    ``max_age`` seconds and ``LinkInvalid`` for a bad signature or a payload that is not a dict.
    """
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(data, dict):
        raise LinkInvalid
    return data


def absolute_url(view_name: str, token: str) -> str:
    """The public URL of the page ``view_name`` for ``token`` (``PUBLIC_BASE_URL``)."""
    path = reverse(view_name, kwargs={"token": token})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
