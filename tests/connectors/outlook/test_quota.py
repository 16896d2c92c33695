"""Outlook's per-mailbox limit: the emulator throttles as Graph does (429, Retry-After) and
counts each refusal, and our bucket is the mailbox's, shared by every connection to it, so
calls are held back (and the job waits) before Graph would throttle them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from connectors.base import ConnectorError
from connectors.http import is_throttle
from connectors.models import Connection
from connectors.outlook.client import build
from connectors.registry import api_base_for
from emulators.auth import issue_token_for_tests
from emulators.graph import control

pytestmark = pytest.mark.django_db(transaction=True)


def second_connection(graph, client) -> Connection:
    """Another client connected to the same mailbox."""
    return Connection.objects.create(
        client=client,
        provider="outlook",
        kind="calendar",
        external_account_id=graph.account,
        access_token=issue_token_for_tests("outlook", graph.account, 3600),
        token_expires_at=timezone.now() + timedelta(hours=1),
    )


def test_the_emulator_throttles_the_mailbox_and_counts_it(graph):
    control.configure(graph.account, limit=1, window_s=600)
    url = f"{api_base_for(graph.connection)}/v1.0/me/calendars"
    headers = {"Authorization": f"Bearer {graph.connection.access_token}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    refused = requests.get(url, headers=headers, timeout=10)
    assert refused.status_code == 429 and 590 <= int(refused.headers["Retry-After"]) <= 600
    error = refused.json()["error"]
    assert error["code"] == "ApplicationThrottled" and "MailboxResourceLimit" in error["message"]
    stats = requests.get(
        f"{api_base_for(graph.connection)}/_emulator/mailboxes/{graph.account}/stats", timeout=10
    ).json()
    assert stats == {"api_calls": 1, "refused": 1}


def test_connections_to_one_mailbox_share_its_bucket(graph, world, settings):
    settings.VENDOR_QUOTAS = {"outlook": {"account": 2}}
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    other = second_connection(graph, world.client_b)
    build(graph.connection).list_calendars()
    build(other).list_calendars()
    with pytest.raises(ConnectorError) as held:
        build(graph.connection).list_calendars()
    assert held.value.code == "rate_limited_local" and is_throttle(held.value)
    assert 590 <= held.value.retry_after <= 601
    assert control.throttle_stats(graph.account) == {"api_calls": 2, "refused": 0}
