"""Connecting a CalDAV server: server URL, user name and app-specific password, checked by
discovery before anything is stored (``connectors.views_manual`` shows ``Form`` and calls
``connect``)."""

from __future__ import annotations

from typing import Any

from django import forms

from connectors import oauth, ssrf
from connectors.caldav.discovery import INSECURE, discover

TITLE = "Connect your calendar (CalDAV)"
HELP = (
    "For iCloud, create an app-specific password at appleid.apple.com; your normal password "
    "will not work."
)


class Form(forms.Form):
    server_url = forms.URLField(
        label="Server URL", initial="https://caldav.icloud.com/", assume_scheme="https"
    )
    username = forms.CharField(label="User name (Apple ID e-mail)", max_length=200)
    password = forms.CharField(
        label="App-specific password", widget=forms.PasswordInput, max_length=200
    )

    def clean_server_url(self) -> str:
        """Refused before any request: over plain http the password would travel in clear."""
        url = self.cleaned_data["server_url"]
        try:
            ssrf.require_https(url, INSECURE.capitalize() + ".")
        except ssrf.UnsafeUrl as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


def connect(data: dict[str, Any]) -> tuple[oauth.TokenSet, dict[str, str]]:
    """Discover the principal and calendar home with the user's credentials. Raises
    ``forms.ValidationError`` on the server URL for a server we may not call, and
    ``ConnectorError`` when the server refuses."""
    try:
        account = discover(data["server_url"], data["username"], data["password"])
    except ssrf.UnsafeUrl as exc:
        raise forms.ValidationError({"server_url": str(exc)}) from exc
    tenant = {
        "server_url": data["server_url"],
        "username": data["username"],
        "principal_url": account.principal_url,
        "calendar_home_url": account.calendar_home_url,
        "api_base": account.calendar_home_url,
    }
    # Basic auth: the app-specific password is the (encrypted) access token; it does not expire.
    tokens = oauth.TokenSet(access_token=data["password"], account_id=data["username"])
    return tokens, tenant
