"""Adding a CRM is one package plus one registry line, and no migration.

A throwaway provider (``throwaway/package.py``: spec, client, mapping) is written to a temporary
directory on ``sys.path`` and registered with one ``registry.register`` call; nothing else in
the code base learns its name. It must then be in the catalogue and the console's choices, a
client must be able to choose it and connect it, ``makemigrations --check`` must find nothing,
and a lead must sync through it to its (in-test, real HTTP) vendor.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as BrowserClient

from agency.vendor_apps import app_credentials
from connectors import catalog, links, registry
from connectors.models import Connection, ConnectionStatus
from syncs.crm import sync as crm_sync
from syncs.engine.runs import sync_job_run
from syncs.models import ExternalRecord, JobStatus, SyncJob
from tenants.models import ApiKey, Client

from ..conftest import bearer
from .throwaway.package import write_package
from .throwaway.server import AcmeVendor

pytestmark = pytest.mark.django_db
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def acme(tmp_path, monkeypatch, settings):
    """The vendor running, its package on sys.path, registered by one line."""
    with AcmeVendor() as vendor:
        write_package(tmp_path, "acme_crm", vendor.url)
        monkeypatch.syspath_prepend(str(tmp_path))
        registry.register("acme", "acme_crm")  # the one registry line
        # What agency.settings reads at start-up for every registered provider.
        for name, value in app_credentials(environ.Env(), ["acme"], demo=True).items():
            setattr(settings, name, value)
        try:
            yield vendor
        finally:
            del registry.PROVIDERS["acme"]
            for name in [m for m in sys.modules if m.split(".")[0] == "acme_crm"]:
                del sys.modules[name]


def test_it_is_in_the_catalogue_and_asked_about_through_the_registry(acme):
    assert "acme" in catalog.providers_by_kind()["crm"]
    assert catalog.kind_of("acme") == "crm"
    assert ("acme", "Acme CRM") in registry.choices("crm")
    assert registry.deal_stage("acme", "booking") == "meeting-booked"
    assert not registry.crm_feature("acme", "merge")
    assert registry.mapping_for("acme").DEFAULT_FIELD_MAP["source_tag"] == "source"


def test_the_model_checks_a_choice_against_the_registry(world):
    client = world.client_a
    client.calendar_provider = client.crm_provider  # a CRM is no calendar
    with pytest.raises(ValidationError, match="not a calendar provider"):
        client.full_clean()
    client.calendar_provider, client.crm_provider = "", "acme"
    with pytest.raises(ValidationError, match="not a crm provider"):
        client.full_clean()  # not registered (yet)


def test_the_model_takes_a_registered_provider_without_a_migration(acme, world):
    world.client_a.crm_provider = "acme"
    world.client_a.full_clean()


def test_the_admin_offers_it_too(acme):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    browser = BrowserClient()
    browser.force_login(admin)
    page = browser.get("/admin/tenants/client/add/").content.decode()
    assert '<option value="acme">Acme CRM</option>' in page


def test_it_needs_no_migration(acme):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 on a change


def test_an_unregistered_provider_cannot_be_chosen(world, owner):
    browser = BrowserClient()
    browser.force_login(owner)
    page = browser.post(f"/console/agencies/{world.agency.slug}/clients/new", _new_client())
    assert page.status_code == 200 and "Select a valid choice" in page.content.decode()
    assert not Client.objects.filter(slug="cafe").exists()


def test_a_client_chooses_it_connects_it_and_a_lead_syncs_through_it(acme, world, owner, api):
    client = _chosen_in_the_console(world, owner)
    connection = _connected(client, acme)
    assert connection.access_token == "acme-token-1"
    key = ApiKey.issue(client=client, name="bot")[1]
    lead = {"name": "Ada Lovelace", "email": "ada@example.com", "intent": "booking",
            "conversation_summary": "Wants a table for two."}  # fmt: skip
    assert api.post("/api/v1/leads", lead, format="json", **bearer(key)).status_code == 202
    job = SyncJob.objects.get(client=client)
    assert sync_job_run(job.pk) == JobStatus.SYNCED
    records = {r.object_type: r for r in ExternalRecord.objects.filter(client=client)}
    assert set(records) == {"contact", "deal", "note", "contact_tags"}
    contact = acme.records["contacts"][records["contact"].external_id]
    assert (contact["email"], contact["first_name"]) == ("ada@example.com", "Ada")
    deal = acme.records["deals"][records["deal"].external_id]
    assert deal["stage"] == "meeting-booked"  # the stage its spec declares
    assert acme.records["notes"][records["note"].external_id]["body"].startswith("Wants a")


def test_a_package_registered_in_the_environment_gets_its_app_credentials(tmp_path):
    """The settings hook (EXTRA_CONNECTORS) is the same one line, for a package kept outside
    this repository; settings then read its client id like every other provider's."""
    write_package(tmp_path, "acme_crm", "http://127.0.0.1:9")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from connectors import registry; "
        "print(registry.kind_of('acme'), settings.ACME_CLIENT_ID, settings.ACME_CLIENT_SECRET)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), ROOT]),
           "EXTRA_CONNECTORS": "acme=acme_crm", "ACME_CLIENT_ID": "acme-app-id",
           "ACME_CLIENT_SECRET": "acme-app-secret"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    assert out.stdout.split() == ["crm", "acme-app-id", "acme-app-secret"]


def _new_client(**extra: str) -> dict[str, str]:
    return {"name": "Cafe", "slug": "cafe", "time_zone": "UTC", "default_region": "US",
            "crm_provider": "acme", **extra}  # fmt: skip


def _chosen_in_the_console(world, owner) -> Client:
    browser = BrowserClient()
    browser.force_login(owner)
    form_url = f"/console/agencies/{world.agency.slug}/clients/new"
    assert '<option value="acme">Acme CRM</option>' in browser.get(form_url).content.decode()
    assert browser.post(form_url, _new_client()).status_code == 302
    return Client.objects.get(agency=world.agency, slug="cafe", crm_provider="acme")


def _connected(client: Client, vendor: AcmeVendor) -> Connection:
    """The client's connect link, the consent redirect to the vendor and back."""
    browser, link = BrowserClient(), links.make_token(client)
    page = browser.get(f"/connect/{link}/").content.decode()
    assert "Acme CRM" in page and "Add the people your chatbot meets." in page
    start = browser.post(f"/connect/{link}/start/acme")
    assert start["Location"].startswith(f"{vendor.url}/oauth/authorize?")
    consent = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(consent.headers["Location"])
    assert browser.get(f"{back.path}?{back.query}").status_code == 302
    connection = Connection.objects.get(client=client, provider="acme")
    assert connection.status == ConnectionStatus.ACTIVE
    return connection


def test_the_readmes_checklist_is_what_this_test_does(tmp_path):
    """README "Adding a connector" names the files the throwaway package has, and one line."""
    readme = (Path(ROOT) / "README.md").read_text()
    section = readme.split("## Adding a connector", 1)[1].split("\n## ", 1)[0]
    written = write_package(tmp_path, "acme_crm", "http://127.0.0.1:9")
    for module in sorted(p.name for p in written.glob("*.py") if p.name != "__init__.py"):
        assert f"{module}`" in section, module
    assert "One line in `connectors/registry.py`" in section and "no migration" in section


def test_the_rollback_asks_the_registered_package_whether_an_opt_out_stays(acme, tmp_path, world):
    """The CRM package's own words on an undo it will not allow, found through the registry
    (the package is not under ``connectors/``)."""
    (tmp_path / "acme_crm" / "people.py").write_text(
        'def opt_out_kept(snapshot):\n    return "kept: Acme never subscribes anyone again."\n'
    )
    record = ExternalRecord(
        client=world.client_a,
        provider="acme",
        object_type="contact_opt_out",
        external_id="1",
        snapshot={"subscriber": "ada@example.com"},
    )
    assert crm_sync.kept_reason(record) == "kept: Acme never subscribes anyone again."
