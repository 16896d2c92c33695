"""Connections without a consent redirect: Toast (machine login + restaurant GUID) and CalDAV
(server URL, user name, app-specific password, checked by discovery before anything is stored).
"""

from __future__ import annotations

import uuid

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from connectors import oauth, services, ssrf
from connectors.base import ConnectorError
from connectors.caldav.discovery import INSECURE, discover
from connectors.views_connect import chosen_provider, client_from_link


class ToastForm(forms.Form):
    restaurant_guid = forms.UUIDField(label="Restaurant GUID")


class CalDavForm(forms.Form):
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


def manual(request: HttpRequest, token: str, provider: str) -> HttpResponse:
    client = client_from_link(request, token)
    if isinstance(client, HttpResponse):
        return client
    chosen_provider(client, provider)
    form_class = {"toast": ToastForm, "caldav": CalDavForm}.get(provider)
    if form_class is None:
        raise Http404("This provider connects through its consent page.")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tokens, tenant = _connect(provider, form.cleaned_data)
        except ssrf.UnsafeUrl as exc:
            form.add_error("server_url", str(exc))
        except (ConnectorError, oauth.OAuthError) as exc:
            form.add_error(None, f"Could not connect: {exc}")
        else:
            services.connection_connect(
                client=client,
                provider=provider,
                tokens=tokens,
                tenant_settings=tenant,
                user=request.user if request.user.is_authenticated else None,
            )
            return redirect("connect:page", token=token)
    context = {"client": client, "form": form, "provider": provider, "token": token}
    return render(request, "connect/manual.html", context)


def _connect(provider: str, data: dict) -> tuple[oauth.TokenSet, dict[str, str]]:
    if provider == "toast":
        guid = str(uuid.UUID(str(data["restaurant_guid"])))
        tokens = oauth.toast_login()
        return oauth.TokenSet(
            access_token=tokens.access_token, expires_at=tokens.expires_at, account_id=guid
        ), {"restaurant_guid": guid}
    account = discover(data["server_url"], data["username"], data["password"])
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
