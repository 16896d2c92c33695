"""JSON payloads are shown as key/value tables (nested ones nested), escaped like any text."""

from __future__ import annotations

import re

import pytest

from syncs.templatetags.payloads import kv_table

from .console_helpers import page, scene

pytestmark = pytest.mark.django_db


def test_it_renders_nested_json_as_nested_key_value_tables():
    html = str(kv_table({"name": "Ada", "extra": {"vip": True, "tags": ["a", "b"]}, "n": None}))
    assert html.startswith('<table class="kv"><tr><th scope="row">name</th><td>Ada</td></tr>')
    assert '<th scope="row">extra</th><td><table class="kv"><tr><th scope="row">vip</th>' in html
    assert '<th scope="row">tags</th><td>a, b</td>' in html
    assert '<th scope="row">n</th><td>null</td>' in html


def test_it_escapes_what_a_chatbot_sent():
    html = str(kv_table({"<b>k</b>": "<script>alert(1)</script>", "l": [{"x": "<i>"}]}))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;k&lt;/b&gt;" in html and "&lt;i&gt;" in html


def test_the_event_page_shows_the_payload_as_a_table(client, world, viewer):
    seen = scene(world)
    client.force_login(viewer)
    body = page(
        client, f"/console/clients/{world.client_a.public_id}/events/{seen.synced.event.public_id}/"
    )
    payload = body.split('<div id="payload" class="payload">')[1].split("</div>")[0]
    assert re.search(r'<th scope="row">email</th><td>[^<]+@[^<]+</td>', payload)
    assert "{&#x27;" not in body  # no Python repr left on the page
    audit = body.split('class="grid audit"')[1]
    assert '<table class="kv"><tr><th scope="row">job</th>' in audit
