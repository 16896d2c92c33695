"""What the API emulators (CRM, calendar, POS) ask the OAuth emulator: whose token is this?"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cache

from django.db import connection
from django.utils import timezone

from emulators import sql
from emulators.models import EmulatorGrant, EmulatorToken, digest


def new_token(provider: str, kind: str) -> str:
    """A fresh opaque token; the prefix only helps a human reading emulator state."""
    return f"emu-{provider}-{kind[0]}-{secrets.token_urlsafe(24)}"


@cache
def valid_access_token_sql(columns: str = "", joins: str = "") -> str:
    """The statement that finds a valid access token's account id (token ``t``, grant ``g``),
    with ``columns`` more from ``joins`` if the caller needs them in the same round trip.
    Validity is decided in the WHERE clause; its parameters: ``valid_access_token_params``."""
    q = connection.ops.quote_name
    return (
        f"SELECT g.{q('account_id')}{columns} FROM {sql.table(EmulatorToken)} t"  # noqa: S608 -- names quoted from the model
        f" JOIN {sql.table(EmulatorGrant)} g ON g.{q('id')} = t.{q('grant_id')}{joins}"
        f" WHERE t.{q('token_digest')} = %s AND t.{q('kind')} = %s AND g.{q('provider')} = %s"
        f" AND t.{q('revoked_at')} IS NULL AND g.{q('revoked_at')} IS NULL"
        f" AND (t.{q('expires_at')} IS NULL OR t.{q('expires_at')} > %s)"
    )


def valid_access_token_params(provider: str, token: str) -> list[object]:
    return [digest(token), EmulatorToken.ACCESS, provider, sql.datetime_param(timezone.now())]


def account_for_token(provider: str, token: str) -> str | None:
    """The account id a valid, unexpired, unrevoked access token belongs to, else None.

    Read from the database on every call (no cache): a revocation or an expiry, from any
    process, takes effect on the very next call, as at the vendor. One plain statement, since
    every emulated API call starts here (see ``emulators.sql``).
    """
    if not token:
        return None
    row = sql.fetchone(valid_access_token_sql(), valid_access_token_params(provider, token))
    return row[0] if row else None


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
