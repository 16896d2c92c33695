"""Fixtures for connector tests: the emulators served by a live server, and the connect dance."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import Client as BrowserClient

from connectors import links, registry
from connectors.models import Connection
from tenants.models import Client

# Every provider with a consent redirect, from the registry (each has an emulator).
OAUTH_PROVIDERS = tuple(s for s in registry.slugs() if registry.get_spec(s).auth == "oauth2")


@pytest.fixture
def emulators(transactional_db, live_server, settings):
    """Every vendor URL points at the emulators of a live server; redirect URIs at it too."""
    settings.VENDOR_BASE_URL = f"{live_server.url}/emulators"
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


def choose(client: Client, provider: str) -> None:
    setattr(client, f"{registry.kind_of(provider)}_provider", provider)
    client.save()


@dataclass
class Dance:
    """One connect attempt, step by step, so tests can break any step."""

    browser: BrowserClient
    client: Client
    provider: str
    link: str = ""
    authorize_url: str = ""
    callback: str = ""

    def start(self, **form: str) -> Dance:
        self.link = links.make_token(self.client)
        page = self.browser.get(f"/connect/{self.link}/")
        assert page.status_code == 200
        if self.provider == "shopify":
            form.setdefault("shop", "acme")
        response = self.browser.post(f"/connect/{self.link}/start/{self.provider}", form)
        assert response.status_code == 302, response.content[:300]
        self.authorize_url = response["Location"]
        return self

    def consent(self, *, deny: bool = False, **fields: str) -> Dance:
        page = requests.get(self.authorize_url, timeout=10)
        assert page.status_code == 200 and "Approve" in page.text
        data = dict(parse_qsl(urlsplit(self.authorize_url).query))
        if self.provider == "shopify":
            fields.setdefault("shop", "acme.myshopify.com")
        data.update(fields)
        data["deny" if deny else "approve"] = "1"
        answer = requests.post(self.authorize_url, data=data, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:300]
        parts = urlsplit(answer.headers["Location"])
        self.callback = f"{parts.path}?{parts.query}"
        return self

    def finish(self):
        return self.browser.get(self.callback)

    def run(self, **consent_fields: str):
        return self.start().consent(**consent_fields).finish()


@pytest.fixture
def dance(emulators, world):
    def make(provider: str, client: Client | None = None, browser: BrowserClient | None = None):
        target = client or world.client_a
        choose(target, provider)
        return Dance(browser or BrowserClient(), target, provider)

    return make


def stored(client: Client, provider: str) -> Connection | None:
    return Connection.objects.filter(client=client, provider=provider).first()
