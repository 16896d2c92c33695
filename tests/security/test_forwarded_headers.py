"""Only the proxy named in FORWARDED_ALLOW_IPS may say a request came over HTTPS.

The image ran gunicorn with ``--forwarded-allow-ips='*'`` and Django trusted
``X-Forwarded-Proto`` from anyone, so any client could pass for HTTPS.
"""

from __future__ import annotations

import requests

from .servers import DOCKERFILE, serving

PRODUCTION = {"DJANGO_SETTINGS_MODULE": "agency.settings", "DEBUG": "false"}


def console(base: str, **headers: str) -> requests.Response:
    return requests.get(f"{base}/console/", headers=headers, allow_redirects=False, timeout=10)


def test_it_ignores_x_forwarded_proto_from_an_address_not_named(tmp_path):
    env = {**PRODUCTION, "FORWARDED_ALLOW_IPS": "192.0.2.10"}
    with serving("gunicorn", tmp_path / "web.log", **env) as base:
        spoofed = console(base, **{"X-Forwarded-Proto": "https"})
    # Seen as plain HTTP, so production settings redirect it to HTTPS.
    assert spoofed.status_code == 301 and spoofed.headers["Location"].startswith("https://")


def test_it_honours_x_forwarded_proto_from_the_named_proxy(tmp_path):
    env = {**PRODUCTION, "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    with serving("gunicorn", tmp_path / "web.log", **env) as base:
        forwarded = console(base, **{"X-Forwarded-Proto": "https"})
        plain = console(base)
    assert forwarded.status_code == 302 and "/accounts/login/" in forwarded.headers["Location"]
    assert plain.status_code == 301


def test_the_image_trusts_no_address_by_default():
    text = DOCKERFILE.read_text()
    assert "forwarded-allow-ips" not in text and "FORWARDED_ALLOW_IPS='*'" not in text
