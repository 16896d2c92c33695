"""What the API emulators (CRM, calendar, POS) ask the OAuth emulator: whose token is this?"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from connectors.emulators.models import EmulatorGrant, EmulatorToken, digest


def new_token(provider: str, kind: str) -> str:
    """A fresh opaque token; the prefix only helps a human reading emulator state."""
    return f"emu-{provider}-{kind[0]}-{secrets.token_urlsafe(24)}"


def account_for_token(provider: str, token: str) -> str | None:
    """The account id a valid, unexpired, unrevoked access token belongs to, else None."""
    if not token:
        return None
    row = (
        EmulatorToken.objects.select_related("grant")
        .filter(token_digest=digest(token), kind=EmulatorToken.ACCESS, grant__provider=provider)
        .first()
    )
    if row is None or row.revoked_at or row.grant.revoked_at:
        return None
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return None
    return row.grant.account_id


def issue_token_for_tests(provider: str, account_id: str, lifetime_s: int = 3600) -> str:
    """A grant with one access token for ``account_id``; for API-emulator tests."""
    grant = EmulatorGrant.objects.create(
        provider=provider, account_id=account_id, client_id="tests"
    )
    token = new_token(provider, EmulatorToken.ACCESS)
    EmulatorToken.objects.create(
        grant=grant,
        kind=EmulatorToken.ACCESS,
        token_digest=digest(token),
        expires_at=timezone.now() + timedelta(seconds=lifetime_s),
    )
    return token
