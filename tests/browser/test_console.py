"""A staff member signs in through the real login page and uses the console."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/console/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def test_it_signs_in_and_opens_the_console(page, live_server, world, owner):
    sign_in(page, live_server.url, owner.email)
    assert page.locator("#clients").inner_text().count("Alpha Dental") == 1
    assert "Zulu Gym" not in page.content()
    page.click("text=Alpha Dental")
    page.wait_for_selector("#api-keys")
    page.fill("input[name=name]", "Browser key")
    page.click("text=Create API key")
    key = page.locator("#new-key code").inner_text()
    assert key.startswith("sb_live_")
    page.goto(page.url.removesuffix("keys"))  # the client page again: the key is gone
    page.wait_for_selector("#api-keys")
    assert page.locator("#new-key").count() == 0


def test_a_wrong_password_is_refused(page, live_server, world, owner):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    assert "/accounts/login/" in page.url
    assert page.locator("text=Alpha Dental").count() == 0
