"""Copy buttons (a static script under the console's CSP) put the key or link on the clipboard."""

from __future__ import annotations

import pytest

from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_copy_buttons_copy_the_new_key_and_the_connect_link(browser, live_server, world, owner):
    context = browser.new_context(
        permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    try:
        sign_in(page, live_server.url, owner.email)
        page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/")
        page.fill("input[name=name]", "Copy test")
        page.click("text=Create API key")
        key = page.locator("#new-key code").inner_text().strip()
        page.click("button:has-text('Copy key')")
        page.wait_for_selector("button[data-copied=yes]")
        assert page.evaluate("navigator.clipboard.readText()") == key
        page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/connections/")
        page.click("text=Create connect link")
        link = page.locator("#connect-link code").inner_text().strip()
        box = page.locator("#connect-link-url").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366  # wraps, never off the page
        page.click("button:has-text('Copy link')")
        page.wait_for_selector("button[data-copied=yes]")
        assert page.evaluate("navigator.clipboard.readText()") == link
        assert not blocked
    finally:
        context.close()
