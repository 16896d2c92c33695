"""Toast's machine login: the body it takes and the answer it gives
(https://doc.toasttab.com/doc/devguide/authentication.html; ``connectors.oauth`` sends it)."""

from __future__ import annotations

from datetime import timedelta

import requests
from django.utils import timezone

from connectors.oauth import OAuthError, TokenSet


def login_body(client_id: str, secret: str) -> dict[str, str]:
    """The JSON body of ``POST /authentication/v1/authentication/login``."""
    return {"clientId": client_id, "clientSecret": secret, "userAccessType": "TOAST_MACHINE_CLIENT"}


def login_tokens(response: requests.Response) -> TokenSet:
    """The access token and its expiry; a refusal is permanent (wrong credentials)."""
    try:
        data = response.json()
    except ValueError:
        data = {}
    token = data.get("token") if isinstance(data, dict) else None
    if not response.ok or data.get("status") != "SUCCESS" or not isinstance(token, dict):
        raise OAuthError(
            f"Toast login: {response.status_code}",
            status=response.status_code,
            code=str(data.get("code", "")) if isinstance(data, dict) else "",
            permanent=True,
        )
    return TokenSet(
        access_token=str(token["accessToken"]),
        expires_at=timezone.now() + timedelta(seconds=int(token.get("expiresIn") or 3600)),
    )
