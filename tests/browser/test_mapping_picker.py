"""The field-mapping editor in a browser: the CRM's field list is searched, picked from and
saved (the search box is a static script allowed by the console's CSP)."""

from __future__ import annotations

import pytest

from connectors.models import Connection
from syncs.crm import clients as crm_module
from syncs.models import FieldMapping

from ..syncs.test_console_actions import CatalogueCrm
from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_searches_the_crm_fields_and_saves_the_one_picked(
    page, live_server, world, owner, monkeypatch
):
    monkeypatch.setattr(crm_module, "crm_client_for", lambda connection: CatalogueCrm())
    connection = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, owner.email)
    page.goto(
        f"{live_server.url}/console/clients/{world.client_a.public_id}/mappings/{connection.pk}/"
    )
    visible = "select[name=target] option:not([hidden])"
    before = page.locator(visible).count()
    page.fill("#target-search", "location custom")
    page.wait_for_function(
        "document.querySelectorAll('select[name=target] option:not([hidden])').length < "
        + str(before)
    )
    shown = [t for t in page.locator(visible).all_inner_texts() if "(" in t and "pick" not in t]
    assert shown == ["Chatbot location — chatbot_location (string, custom)"]
    page.select_option("select[name=target]", "chatbot_location")
    page.select_option("select[name=source]", "intent")
    page.click("text=Save rule")
    page.wait_for_selector("text=Mapping saved.")
    rules = FieldMapping.objects.get(connection=connection).rules
    assert rules[-1]["target"] == "chatbot_location" and rules[-1]["source"] == "intent"
    assert not [e for e in errors if "Content Security Policy" in e]
