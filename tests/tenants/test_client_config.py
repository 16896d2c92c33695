"""``manage.py apply_client_config``: idempotent, all-or-nothing, errors name line and field."""

from __future__ import annotations

import textwrap

import pytest
from django.core.management import CommandError, call_command

from tenants.models import Client

pytestmark = pytest.mark.django_db

GOOD = """\
agency: northwind
client:
  slug: delta-spa
  name: Delta Spa
  time_zone: Europe/Berlin
  default_region: DE
  contact_email: owner@delta.example
  business_hours:
    mon: [["09:00", "18:00"]]
    sat: [["10:00", "14:00"]]
  connectors:
    crm: pipedrive
    calendar: outlook
    pos: square
"""


def write(tmp_path, text: str):
    path = tmp_path / "client.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_it_creates_then_updates_idempotently(world, tmp_path):
    path = write(tmp_path, GOOD)
    call_command("apply_client_config", path)
    call_command("apply_client_config", path)
    client = Client.objects.get(agency=world.agency, slug="delta-spa")
    assert Client.objects.filter(slug="delta-spa").count() == 1
    assert (client.crm_provider, client.calendar_provider, client.pos_provider) == (
        "pipedrive",
        "outlook",
        "square",
    )
    assert client.business_hours["sat"] == [["10:00", "14:00"]]
    call_command("apply_client_config", write(tmp_path, GOOD.replace("Delta Spa", "Delta Day Spa")))
    assert Client.objects.get(pk=client.pk).name == "Delta Day Spa"


@pytest.mark.parametrize(
    ("needle", "replacement", "line", "field"),
    [
        ("Europe/Berlin", "Europe/Atlantis", 5, "client.time_zone"),
        ("default_region: DE", "default_region: XX", 6, "client.default_region"),
        ("crm: pipedrive", "crm: dynamics", 12, "client.connectors.crm"),
        ('sat: [["10:00", "14:00"]]', 'sat: [["14:00", "10:00"]]', 8, "client.business_hours"),
        ("  contact_email: owner@delta.example", "  colour: blue", 7, "client.colour"),
        (
            "contact_email: owner@delta.example",
            "contact_email: not-an-email",
            7,
            "client.contact_email",
        ),
    ],
)
def test_it_names_line_and_field_and_changes_nothing(
    world, tmp_path, needle, replacement, line, field
):
    path = write(tmp_path, GOOD.replace(needle, replacement))
    with pytest.raises(CommandError) as error:
        call_command("apply_client_config", path)
    assert f"{path}:{line}: {field}" in str(error.value)
    assert not Client.objects.filter(slug="delta-spa").exists()


def test_a_bad_update_leaves_the_existing_client_untouched(world, tmp_path):
    call_command("apply_client_config", write(tmp_path, GOOD))
    bad = GOOD.replace("Delta Spa", "Renamed").replace("crm: pipedrive", "crm: nope")
    with pytest.raises(CommandError):
        call_command("apply_client_config", write(tmp_path, bad))
    client = Client.objects.get(slug="delta-spa")
    assert client.name == "Delta Spa" and client.crm_provider == "pipedrive"


def test_it_reports_broken_yaml_with_its_line(world, tmp_path):
    path = write(tmp_path, "agency: northwind\nclient:\n  slug: [unclosed\n")
    with pytest.raises(CommandError, match=r"client.yaml:\d+: yaml"):
        call_command("apply_client_config", path)


def test_it_reports_an_unknown_agency(world, tmp_path):
    path = write(tmp_path, GOOD.replace("agency: northwind", "agency: ghost"))
    with pytest.raises(CommandError, match="no agency with slug 'ghost'"):
        call_command("apply_client_config", path)
