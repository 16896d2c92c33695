"""Connecting Toast without a consent redirect: the machine login, then the restaurant that
granted us access (``connectors.views_manual`` shows ``Form`` and calls ``connect``)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from connectors import oauth

TITLE = "Connect Toast"
HELP = "Enter the GUID of the restaurant that granted us access in Toast."


class Form(forms.Form):
    restaurant_guid = forms.UUIDField(label="Restaurant GUID")


def connect(data: dict[str, Any]) -> tuple[oauth.TokenSet, dict[str, str]]:
    """Log in as our machine client; the restaurant is the connection's account. Raises
    ``OAuthError`` when Toast refuses the login."""
    guid = str(uuid.UUID(str(data["restaurant_guid"])))
    tokens = oauth.client_credentials_login("toast")
    return oauth.TokenSet(
        access_token=tokens.access_token, expires_at=tokens.expires_at, account_id=guid
    ), {"restaurant_guid": guid}
