"""The emulators' own server (``agency.emulator_settings``): what the benchmarks run them in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from emulators.auth import issue_token_for_tests
from emulators.crm import control

ROOT = Path(__file__).resolve().parents[2]  # the project root
HS = "/emulators/hubspot/crm/v3/objects"

BOOT = """
import django
django.setup()
from django.conf import settings
from django.urls import Resolver404, resolve
print(resolve("/emulators/hubspot/crm/v3/objects/contacts/search").func.__module__)
print(resolve("/emulators/hubspot/oauth/v1/token").func.__module__)
try:
    resolve("/api/v1/leads")
except Resolver404:
    print("no product API")
print(settings.MIDDLEWARE, settings.DATABASES["default"]["CONN_HEALTH_CHECKS"])
"""


def test_the_settings_start_django_with_the_emulators_and_nothing_of_the_product():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.emulator_settings"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    done = subprocess.run(
        [sys.executable, "-c", BOOT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[:4] == [
        "emulators.crm.hubspot",
        "emulators.oauth_views",
        "no product API",
        "[] False",
    ]


def test_the_settings_pass_djangos_system_checks():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.emulator_settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="emulators.server_urls", MIDDLEWARE=[])
def test_a_new_lead_goes_through_the_bare_server(client):
    """Search, create contact, create note (a new HubSpot lead) with no middleware at all."""
    token = issue_token_for_tests("hubspot", "portal-9", 600)
    h = {"HTTP_AUTHORIZATION": f"Bearer {token}", "content_type": "application/json"}
    search = {"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "new@e.com"}]}]}  # fmt: skip
    assert client.post(f"{HS}/contacts/search", json.dumps(search), **h).json()["total"] == 0
    contact = client.post(f"{HS}/contacts", json.dumps({"properties": {"email": "new@e.com"}}), **h)
    assert contact.status_code == 201
    note = {
        "properties": {"hs_timestamp": "2026-01-01T00:00:00.000Z", "hs_note_body": "hello"},
        "associations": [{"to": {"id": contact.json()["id"]}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}],
    }  # fmt: skip
    assert client.post(f"{HS}/notes", json.dumps(note), **h).status_code == 201
    assert client.post(f"{HS}/contacts/search", json.dumps(search), **h).json()["total"] == 1
    assert control.counts("hubspot", "portal-9") == {
        "objects": {"contacts": 1, "notes": 1}, "api_calls": 4, "write_calls": 2,
    }  # fmt: skip
    assert client.get(f"{HS}/contacts").status_code == 401
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/leads").status_code == 404
