"""Shadow mode switched per CRM connection from the console (configure role, audited), and
what it would have written shown as a diff against the CRM."""

from __future__ import annotations

import re

import pytest

from connectors.models import Connection
from syncs.models import AuditEntry, ExternalRecord

from .console_helpers import page
from .crm_double import MemoryCrm
from .rollback_helpers import sync_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm_connection(world):
    return Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")


def switch(client, world, connection, mode: str):
    url = f"/console/clients/{world.client_a.public_id}/shadow/{connection.pk}/switch"
    return client.post(url, {"mode": mode})


def test_it_switches_shadow_mode_on_and_off_and_audits_each_change(
    client, world, owner, crm_connection
):
    client.force_login(owner)
    assert switch(client, world, crm_connection, "shadow").status_code == 302
    crm_connection.refresh_from_db()
    assert crm_connection.shadow_mode
    assert switch(client, world, crm_connection, "shadow").status_code == 302  # already: no entry
    assert switch(client, world, crm_connection, "live").status_code == 302
    crm_connection.refresh_from_db()
    assert not crm_connection.shadow_mode
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "actor", "target"))
    target = f"connection:{crm_connection.pk}"
    assert entries == [
        ("connection.shadow_on", "staff:owner@northwind.example", target),
        ("connection.shadow_off", "staff:owner@northwind.example", target),
    ]


def test_in_shadow_mode_a_lead_writes_nothing_and_the_page_shows_what_it_would_have(
    client, world, owner, crm_connection
):
    client.force_login(owner)
    switch(client, world, crm_connection, "shadow")
    crm = MemoryCrm()
    sync_lead(world.client_a, crm, email="ada@example.com")
    assert crm.contacts == {}  # nothing reached the CRM
    body = page(client, f"/console/clients/{world.client_a.public_id}/shadow/")
    assert "Would create a contact in HubSpot" in body
    cell = r'<th scope="row">email</th><td class="after"><ins>ada@example.com</ins>'
    assert re.search(cell, body)


def test_a_would_be_update_reads_as_before_and_after(client, world, viewer):
    ExternalRecord.objects.create(
        client=world.client_a,
        provider="salesforce",
        object_type="contact",
        external_id="003X",
        action="would_update",
        values={"Phone": "+14155552671", "Title": "Owner"},
        snapshot={"Phone": "+14155550000", "Title": ""},
    )
    client.force_login(viewer)
    body = page(client, f"/console/clients/{world.client_a.public_id}/shadow/")
    assert "Would update contact <code>003X</code> in Salesforce" in body
    assert re.search(
        r'<th scope="row">Phone</th><td class="before"><del>\+14155550000</del></td>'
        r'<td class="after"><ins>\+14155552671</ins>',
        body,
    )
    assert re.search(r'<th scope="row">Title</th><td class="before"><span class="muted">', body)


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_configure_may_switch_shadow_mode(client, world, crm_connection, role, request):
    client.force_login(request.getfixturevalue(role))
    assert "Switch to shadow mode" not in page(
        client, f"/console/clients/{world.client_a.public_id}/shadow/"
    )
    assert switch(client, world, crm_connection, "shadow").status_code == 403
    crm_connection.refresh_from_db()
    assert not crm_connection.shadow_mode and not AuditEntry.objects.exists()


def test_another_clients_connection_cannot_be_switched(client, world, owner):
    other = Connection.objects.create(client=world.client_b, provider="hubspot", kind="crm")
    client.force_login(owner)
    assert switch(client, world, other, "shadow").status_code == 404
    other.refresh_from_db()
    assert not other.shadow_mode
