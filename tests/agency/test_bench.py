"""The benchmark's baseline views (agency.bench), called as the benchmark's URLs would."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from agency.bench import direct_lead, insert_row
from agency.models import WorkerHeartbeat
from emulators.crm import control
from tests.connectors import crm_fixtures

emulated = crm_fixtures.emulated
pytestmark = pytest.mark.django_db(transaction=True)


def test_insert_row_writes_one_row():
    response = insert_row(RequestFactory().post("/bench/insert-row"))
    assert response.status_code == 201
    assert WorkerHeartbeat.objects.filter(pk=json.loads(response.content)["id"]).exists()


def test_direct_lead_creates_the_contact_in_the_crm_before_answering(emulated):
    connection, account = emulated("hubspot")
    control.add_default_mapping_fields("hubspot", account)
    body = {"name": "Mary Lee", "email": "mary@example.com", "phone": "+1 415 555 0100"}
    request = RequestFactory().post("/", json.dumps(body), content_type="application/json")
    response = direct_lead(request, connection.pk)
    assert response.status_code == 201
    answer = json.loads(response.content)
    assert answer["status"] == "synced" and answer["crm_id"]
    counts = control.counts("hubspot", account)
    assert counts["objects"].get("contacts") == 1, counts
