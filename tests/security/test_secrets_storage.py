"""Secrets shown once in the console are stored nowhere but as hashes.

The probe found the new API key and the 7-day connect link parked in ``django_session`` for the
redirect to the page that showed them: anyone with database read access could take them.
"""

from __future__ import annotations

import html

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

pytestmark = pytest.mark.django_db


def secret_in(page: str, element_id: str) -> str:
    return html.unescape(page.split(f'id="{element_id}"')[1].split("<code>")[1].split("</code>")[0])


def every_stored_text() -> str:
    """Every row of every table, as text: what a database dump would show."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_it_keeps_a_new_key_and_connect_link_out_of_every_table(client, world, owner):
    client.force_login(owner)
    base = f"/console/clients/{world.client_a.public_id}"
    created = client.post(f"{base}/keys", {"name": "Vendor X"})
    linked = client.post(f"{base}/connections/link")
    decoded = [str(s.get_decoded()) for s in Session.objects.all()]
    assert decoded and not any("sb_live_" in d or "/connect/" in d for d in decoded)

    raw_key = secret_in(created.content.decode(), "new-key")
    link = secret_in(linked.content.decode(), "connect-link")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert raw_key.startswith("sb_live_") and len(token) > 20
    dump = every_stored_text()
    assert raw_key not in dump and token not in dump
    # A stored hash is what makes the key usable: the dump is not empty of it by accident.
    from tenants.models import ApiKey, hash_api_key

    assert ApiKey.objects.filter(key_hash=hash_api_key(raw_key)).exists()


def test_it_shows_each_secret_in_the_response_that_made_it_and_never_again(client, world, owner):
    client.force_login(owner)
    base = f"/console/clients/{world.client_a.public_id}"
    created = client.post(f"{base}/keys", {"name": "Vendor X"})
    assert created.status_code == 200 and 'id="new-key"' in created.content.decode()
    assert 'id="new-key"' not in client.get(f"{base}/").content.decode()
    linked = client.post(f"{base}/connections/link")
    assert linked.status_code == 200 and 'id="connect-link"' in linked.content.decode()
    assert 'id="connect-link"' not in client.get(f"{base}/connections/").content.decode()
