"""Headers the probe found missing: a Content-Security-Policy on console pages, and
``Cache-Control: no-store`` on every response that carries a new secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as BrowserClient

from ..conftest import bearer
from ..tenants.test_scoping import CONSOLE_MATRIX

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
GET_PAGES = sorted(url for method, url in CONSOLE_MATRIX.values() if method == "get")


def csp_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_same_origin_only(response) -> None:
    policy = csp_of(response)
    assert policy.get("script-src") == "'self'", response.request["PATH_INFO"]
    assert policy.get("default-src") == "'self'" and policy.get("style-src") == "'self'"
    assert policy.get("object-src") == "'none'" and policy.get("frame-ancestors") == "'none'"


@pytest.mark.parametrize("url", ["/console/", *GET_PAGES])
def test_every_console_page_carries_a_same_origin_policy(client, world, owner, url):
    client.force_login(owner)
    response = client.get(url.format(id=world.client_a.public_id))
    assert response.status_code in {200, 404}
    assert_same_origin_only(response)


def test_sign_in_and_connect_pages_carry_it_too(client, world):
    from connectors import links

    assert_same_origin_only(client.get("/accounts/login/"))
    assert_same_origin_only(client.get(f"/connect/{links.make_token(world.client_a)}/"))


def test_no_template_needs_inline_script_or_style():
    """The policy forbids them, so none may be left for a browser to refuse."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.I)
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if inline.search(path.read_text())
    ]
    assert offenders == []


def test_the_metrics_page_draws_its_bars_without_inline_style(client, world, owner):
    from ..syncs.test_metrics import job

    for ms in (10, 300, 3000):
        job(world.client_a, "hubspot", ms=ms)
    client.force_login(owner)
    page = client.get(f"/console/clients/{world.client_a.public_id}/metrics/").content.decode()
    assert page.count('<meter class="bar"') >= 3 and "style=" not in page


def test_console_secrets_are_not_stored_by_caches(client, world, owner):
    client.force_login(owner)
    base = f"/console/clients/{world.client_a.public_id}"
    for response in (
        client.post(f"{base}/keys", {"name": "Vendor X"}),
        client.post(f"{base}/connections/link"),
    ):
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        assert_same_origin_only(response)
    assert "no-store" not in client.get(f"{base}/").headers.get("Cache-Control", "")


def test_api_responses_with_a_signing_secret_are_not_stored_by_caches(api, world):
    created = api.post(
        "/api/v1/webhook-endpoints",
        {"url": "https://hooks.example.com/in", "event_types": ["*"]},
        format="json",
        **bearer(world.key_a),
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert created.headers["Cache-Control"] == "no-store"
    endpoint_id = created.json()["id"]
    rotated = api.post(
        f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", **bearer(world.key_a)
    )
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    assert rotated.headers["Cache-Control"] == "no-store"
    listed = api.get("/api/v1/webhook-endpoints", **bearer(world.key_a))
    assert "no-store" not in listed.headers.get("Cache-Control", "")


def test_a_client_without_a_session_gets_the_policy_on_error_pages(world):
    response = BrowserClient().get("/console/clients/not-a-uuid/")
    assert response.status_code == 404
    assert_same_origin_only(response)
