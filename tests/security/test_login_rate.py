"""Wrong console passwords from one address never lock the owner out from theirs.

allauth's per-account limit ("5/5m/key") refused even the right password after a stranger's five
wrong ones; the limit is now per address.
"""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db

STRANGER, OWNER_ADDRESS = "203.0.113.5", "198.51.100.7"


def sign_in(client, email: str, password: str, address: str):
    data = {"login": email, "password": password}
    return client.post("/accounts/login/", data, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/console/"


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(client, owner):
    for _ in range(8):
        assert not signed_in(sign_in(client, owner.email, "not-the-password", STRANGER))
    assert signed_in(sign_in(client, owner.email, PASSWORD, OWNER_ADDRESS))


def test_the_guessing_address_itself_is_stopped(client, owner):
    """The negative control: the limit still exists, where the guesses come from."""
    for _ in range(5):
        sign_in(client, owner.email, "not-the-password", STRANGER)
    refused = sign_in(client, owner.email, PASSWORD, STRANGER)
    assert not signed_in(refused)
    assert refused.status_code == 429 or "Too many failed login attempts" in (
        refused.content.decode()
    )
