"""Fixtures for the CRM connector suites: a client's connection pointed at the emulators
(end to end through ``live_server``) or at the vendor's real host (recorded responses)."""

from __future__ import annotations

import json
import pathlib
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from connectors.models import Connection
from emulators.auth import issue_token_for_tests

REAL_BASES = {
    "hubspot": "",  # the spec's default: https://api.hubapi.com
    "salesforce": "https://acme.my.salesforce.com",  # instance_url from the token response
    "zoho": "https://www.zohoapis.eu",  # api_domain of an EU account
    "pipedrive": "https://acme.pipedrive.com",  # api_domain
}


def make_connection(client, provider: str, *, token: str, api_base: str = "") -> Connection:
    settings = {"api_base": api_base} if api_base else {}
    return Connection.objects.create(
        client=client,
        provider=provider,
        kind="crm",
        external_account_id=f"acct-{client.slug}",
        access_token=token,
        refresh_token="",
        token_expires_at=timezone.now() + timedelta(hours=1),
        settings=settings,
    )


@pytest.fixture
def emulated(live_server, settings, world):
    """``emulated(provider, client=None)`` -> (connection, account id) against the emulator."""
    settings.VENDOR_BASE_URL = live_server.url + "/emulators"
    settings.VENDOR_INLINE_WAIT_SECONDS = 3.0

    def connect(provider: str, client=None):
        client = client or world.client_a
        account = f"{provider}-{client.slug}"
        token = issue_token_for_tests(provider, account, 3600)
        base = REAL_BASES[provider]
        return make_connection(client, provider, token=token, api_base=base), account

    return connect


@pytest.fixture
def recorded(settings, world):
    """``recorded(provider)`` -> a connection to the vendor's real host (for ``responses``)."""
    settings.VENDOR_BASE_URL = ""
    settings.VENDOR_INLINE_WAIT_SECONDS = 2.0  # room for our own buckets, not for 429s

    def connect(provider: str) -> Connection:
        return make_connection(
            world.client_a, provider, token="recorded-token", api_base=REAL_BASES[provider]
        )

    return connect


def add_refresh_token(provider: str, access_token: str) -> str:
    """A refresh token in the same emulator grant as ``access_token`` (for 401 → refresh)."""
    from emulators.auth import new_token
    from emulators.models import EmulatorToken, digest

    grant = EmulatorToken.objects.get(token_digest=digest(access_token)).grant
    grant.extra = {"account_id": grant.account_id, **grant.extra}  # the token body needs it
    grant.save(update_fields=["extra"])
    refresh = new_token(provider, EmulatorToken.REFRESH)
    EmulatorToken.objects.create(
        grant=grant, kind=EmulatorToken.REFRESH, token_digest=digest(refresh)
    )
    return refresh


def find_or_create(crm, contact, source_tag: str = "AI_Chatbot"):
    """What a sync job does: search by email, then phone, and create only when nothing matched."""
    found = crm.find_contact(email=contact.email, phone=contact.phone)
    return found if found is not None else crm.create_contact(contact, source_tag=source_tag)


FIXTURES = pathlib.Path(__file__).parent


def fixture(vendor: str, name: str) -> tuple[int, Any]:
    """A recorded vendor response: ``<operation>_<status>[_<case>].json`` -> (status, body)."""
    status = next(int(p) for p in name.split("_") if p.isdigit() and len(p) == 3)
    return status, json.loads((FIXTURES / vendor / "fixtures" / f"{name}.json").read_text())


def replay(rsps, method: str, url: str, vendor: str, name: str, **headers: str) -> None:
    """Queue a recorded response for ``method url`` (query strings are ignored when matching)."""
    status, body = fixture(vendor, name)
    rsps.add(method, url, json=body, status=status, headers=headers or None)


def sent_json(call) -> Any:
    """The JSON body the client sent in a recorded call."""
    return json.loads(call.request.body)
