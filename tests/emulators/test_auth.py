"""The OAuth emulator's answer to API emulators: which account owns this access token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from emulators.auth import account_for_token, issue_token_for_tests
from emulators.models import EmulatorToken

pytestmark = pytest.mark.django_db


def test_it_maps_a_valid_token_to_its_account():
    token = issue_token_for_tests("hubspot", "portal-1", 600)
    assert account_for_token("hubspot", token) == "portal-1"


def test_it_refuses_other_providers_unknown_and_empty_tokens():
    token = issue_token_for_tests("hubspot", "portal-1", 600)
    assert account_for_token("zoho", token) is None
    assert account_for_token("hubspot", token + "x") is None
    assert account_for_token("hubspot", "") is None


def test_it_refuses_expired_and_revoked_tokens():
    expired = issue_token_for_tests("square", "m-1", 600)
    EmulatorToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert account_for_token("square", expired) is None
    revoked = issue_token_for_tests("square", "m-2", 600)
    row = EmulatorToken.objects.get(grant__account_id="m-2")
    row.grant.revoked_at = timezone.now()
    row.grant.save()
    assert account_for_token("square", revoked) is None


def test_it_never_stores_the_token_in_clear():
    token = issue_token_for_tests("google", "acct", 600)
    assert not EmulatorToken.objects.filter(token_digest=token).exists()
    assert token not in str(list(EmulatorToken.objects.values_list("token_digest", flat=True)))
