"""Tokens at rest: no plaintext in the table, key rotation, tampering detected."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from connectors.crypto import InvalidToken, _fernet
from connectors.models import Connection

pytestmark = pytest.mark.django_db


def raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM connectors_connection WHERE id = %s", [pk]
        )
        return cursor.fetchone()


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    _fernet.cache_clear()
    yield settings, old, new
    _fernet.cache_clear()


def make(world, n: int) -> list[Connection]:
    rows = []
    for i in range(n):
        client = world.client_a if i % 2 else world.client_b
        rows.append(
            Connection.objects.create(
                client=client,
                provider=["hubspot", "google", "square", "zoho", "outlook", "clover"][i // 2],
                kind="crm",
                access_token=f"access-secret-{i}",
                refresh_token=f"refresh-secret-{i}" if i % 3 else "",
            )
        )
    return rows


def test_the_table_holds_no_token_in_plain_text(world, keys):
    for row in make(world, 4):
        access, refresh = raw(row.pk)
        assert "access-secret" not in access and "secret" not in (refresh or "")
        assert Connection.objects.get(pk=row.pk).access_token == row.access_token


def test_rotation_keeps_every_connection_readable_after_the_old_key_is_gone(world, keys):
    settings, old, new = keys
    rows = make(world, 12)
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    _fernet.cache_clear()
    call_command("rotate_token_keys", batch_size=5)
    call_command("rotate_token_keys", batch_size=5)  # idempotent
    settings.FIELD_ENCRYPTION_KEYS = [new]
    _fernet.cache_clear()
    for row in rows:
        stored = Connection.objects.get(pk=row.pk)
        assert (stored.access_token, stored.refresh_token) == (row.access_token, row.refresh_token)


def test_without_rotation_removing_the_old_key_breaks_reads(world, keys):
    """Negative control: proves the rotation test can see unreadable rows."""
    settings, _old, new = keys
    row = make(world, 1)[0]
    settings.FIELD_ENCRYPTION_KEYS = [new]
    _fernet.cache_clear()
    with pytest.raises(InvalidToken):
        Connection.objects.get(pk=row.pk)


def test_a_tampered_token_raises(world, keys):
    row = make(world, 1)[0]
    access, _ = raw(row.pk)
    tampered = access[:-6] + ("A" if access[-6] != "A" else "B") + access[-5:]
    with db.cursor() as cursor:
        cursor.execute(
            "UPDATE connectors_connection SET access_token = %s WHERE id = %s", [tampered, row.pk]
        )
    with pytest.raises(InvalidToken):
        Connection.objects.get(pk=row.pk)
