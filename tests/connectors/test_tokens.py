"""Tokens that do not die: early refresh, rotation, cooldown, needs-reauth and its recovery.

Oracle: the emulator's count of token-endpoint calls and its own token store.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from connectors import tokens
from connectors.base import ConnectorError
from connectors.models import Connection, ConnectionIssue, ConnectionStatus
from connectors.signals import connection_needs_reauth, connection_reconnected
from emulators import control
from emulators.auth import account_for_token
from emulators.models import EmulatorGrant

from .conftest import stored


def connected(dance, world, provider: str) -> Connection:
    dance(provider).run()
    return stored(world.client_a, provider)


def expire(connection: Connection, seconds: int = 60) -> Connection:
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=seconds)
    )
    return Connection.objects.get(pk=connection.pk)


def test_it_refreshes_a_token_within_five_minutes_of_expiry(dance, world):
    connection = expire(connected(dance, world, "google"), 120)
    old, calls = connection.access_token, control.token_calls("google")
    new = tokens.access_token(connection)
    assert new != old and account_for_token("google", new) is not None
    assert control.token_calls("google") == calls + 1
    assert Connection.objects.get(pk=connection.pk).access_token == new


def test_it_uses_a_fresh_token_without_calling_the_vendor(dance, world):
    connection = connected(dance, world, "hubspot")
    calls = control.token_calls("hubspot")
    assert tokens.access_token(connection) == connection.access_token
    assert control.token_calls("hubspot") == calls


def test_it_stores_a_rotated_refresh_token_with_the_new_access_token(dance, world):
    connection = expire(connected(dance, world, "outlook"))
    first_refresh = connection.refresh_token
    tokens.access_token(connection)
    row = Connection.objects.get(pk=connection.pk)
    assert row.refresh_token != first_refresh and row.refresh_token == connection.refresh_token
    tokens.access_token(expire(row))  # the rotated token works: the old one was not reused
    assert EmulatorGrant.objects.get(provider="outlook").revoked_at is None


def test_it_keeps_the_refresh_token_when_the_response_has_none(dance, world):
    connection = expire(connected(dance, world, "google"))
    refresh_token = connection.refresh_token
    tokens.access_token(connection)
    assert Connection.objects.get(pk=connection.pk).refresh_token == refresh_token


def test_it_refreshes_clover_at_its_own_endpoint_with_expiry_timestamps(dance, world):
    connection = expire(connected(dance, world, "clover"))
    old_refresh = connection.refresh_token
    tokens.access_token(connection)
    row = Connection.objects.get(pk=connection.pk)
    assert row.refresh_token != old_refresh
    assert row.token_expires_at > timezone.now() + timedelta(minutes=20)
    assert row.refresh_token_expires_at is not None


def test_it_refreshes_salesforce_only_when_the_session_is_rejected(dance, world):
    connection = connected(dance, world, "salesforce")
    assert connection.token_expires_at is None
    calls, old = control.token_calls("salesforce"), connection.access_token
    assert tokens.access_token(connection) == old
    assert control.token_calls("salesforce") == calls
    new = tokens.refresh(connection, rejected_token=old)
    assert new != old and control.token_calls("salesforce") == calls + 1
    assert account_for_token("salesforce", new) is not None
    assert Connection.objects.get(pk=connection.pk).refresh_token == connection.refresh_token


def test_a_waiter_uses_the_token_the_winner_got(dance, world):
    connection = expire(connected(dance, world, "square"))
    stale_copy = Connection.objects.get(pk=connection.pk)
    winner = tokens.access_token(connection)
    calls = control.token_calls("square")
    assert tokens.refresh(stale_copy, rejected_token=stale_copy.access_token) == winner
    assert control.token_calls("square") == calls


def test_it_cools_down_after_a_failed_refresh_instead_of_looping(dance, world):
    connection = expire(connected(dance, world, "hubspot"))
    control.configure("hubspot", fail_500=5)
    with pytest.raises(ConnectorError):
        tokens.access_token(connection)
    row = Connection.objects.get(pk=connection.pk)
    assert row.refresh_failures == 1 and row.refresh_cooldown_until > timezone.now()
    assert row.status == ConnectionStatus.ACTIVE
    calls = control.token_calls("hubspot")
    with pytest.raises(ConnectorError) as cooling:
        tokens.access_token(row)
    assert cooling.value.code == "cooldown" and cooling.value.retry_after > 0
    assert control.token_calls("hubspot") == calls


def test_it_honours_retry_after_on_a_throttled_refresh(dance, world):
    connection = expire(connected(dance, world, "zoho"))
    control.configure("zoho", fail_429=1, retry_after=120)
    with pytest.raises(ConnectorError):
        tokens.access_token(connection)
    row = Connection.objects.get(pk=connection.pk)
    assert row.refresh_cooldown_until >= timezone.now() + timedelta(seconds=100)


@pytest.mark.parametrize("provider", ["google", "zoho", "square", "clover"])
def test_invalid_grant_leaves_the_connection_needing_reauth(dance, world, client, owner, provider):
    world.client_a.contact_email = "frontdesk@alpha.example"
    world.client_a.save()
    connection = expire(connected(dance, world, provider))
    EmulatorGrant.objects.update(revoked_at=timezone.now())
    heard: list[Connection] = []

    def listener(sender, connection, **kwargs):
        heard.append(connection)

    connection_needs_reauth.connect(listener)
    try:
        with pytest.raises(ConnectorError) as dead:
            tokens.access_token(connection)
    finally:
        connection_needs_reauth.disconnect(listener)
    assert dead.value.needs_reauth and dead.value.permanent
    row = Connection.objects.get(pk=connection.pk)
    assert row.status == ConnectionStatus.NEEDS_REAUTH and not row.is_usable
    assert ConnectionIssue.objects.filter(connection=row, resolved_at__isnull=True).count() == 1
    assert [c.pk for c in heard] == [row.pk]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["frontdesk@alpha.example"]
    assert "/connect/" in mail.outbox[0].body
    client.force_login(owner)
    page = client.get(f"/console/clients/{world.client_a.public_id}/connections/")
    assert b"Needs reconnecting" in page.content
    with pytest.raises(ConnectorError):  # jobs wait: no call goes out for a dead connection
        tokens.access_token(row)


def test_reconnecting_resolves_the_issue_and_releases_waiting_jobs(dance, world):
    connection = expire(connected(dance, world, "pipedrive"))
    control.configure("pipedrive", revoke_grants=True)
    with pytest.raises(ConnectorError):
        tokens.access_token(connection)
    control.reset("pipedrive")
    released: list[int] = []

    def listener(sender, connection, **kwargs):
        released.append(connection.pk)

    connection_reconnected.connect(listener)
    try:
        dance("pipedrive").run()
    finally:
        connection_reconnected.disconnect(listener)
    row = Connection.objects.get(pk=connection.pk)
    assert row.status == ConnectionStatus.ACTIVE and released == [row.pk]
    assert not ConnectionIssue.objects.filter(connection=row, resolved_at__isnull=True).exists()


def test_the_beat_sweeps_pick_expiring_and_idle_grants_but_not_cooling_ones(dance, world):
    google = expire(connected(dance, world, "google"), 600)
    hubspot = connected(dance, world, "hubspot")
    assert tokens.due_for_refresh() == [google.pk]
    Connection.objects.filter(pk=hubspot.pk).update(
        last_refreshed_at=timezone.now() - timedelta(hours=25)
    )
    assert tokens.stale() == [hubspot.pk]
    Connection.objects.filter(pk=google.pk).update(
        refresh_cooldown_until=timezone.now() + timedelta(minutes=5)
    )
    assert tokens.due_for_refresh() == []
    calls = control.token_calls("hubspot")
    tokens.refresh_by_id(hubspot.pk)
    assert control.token_calls("hubspot") == calls + 1
    assert tokens.stale() == []


def test_the_beat_schedule_runs_both_sweeps(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "connectors.tasks.refresh_expiring_tokens",
        "connectors.tasks.refresh_stale_tokens",
    } <= tasks


def test_no_token_reaches_a_log_line(dance, world, caplog):
    caplog.set_level("DEBUG")
    connection = expire(connected(dance, world, "outlook"))
    secrets_seen = [connection.access_token, connection.refresh_token]
    control.configure("outlook", fail_500=1)
    with pytest.raises(ConnectorError):
        tokens.access_token(connection)
    control.reset("outlook")
    Connection.objects.filter(pk=connection.pk).update(refresh_cooldown_until=None)
    row = Connection.objects.get(pk=connection.pk)
    tokens.access_token(row)
    EmulatorGrant.objects.update(revoked_at=timezone.now())
    with pytest.raises(ConnectorError):
        tokens.refresh(row, rejected_token=row.access_token)
    secrets_seen += [row.access_token, row.refresh_token]
    assert caplog.records, "the flow logs something, so the check can see a leak"
    for secret in secrets_seen:
        assert secret not in caplog.text


def test_the_beat_tasks_queue_one_refresh_per_due_connection(dance, world, monkeypatch):
    from connectors import tasks

    google = expire(connected(dance, world, "google"), 600)
    hubspot = connected(dance, world, "hubspot")
    Connection.objects.filter(pk=hubspot.pk).update(
        last_refreshed_at=timezone.now() - timedelta(days=2)
    )
    queued: list[int] = []
    monkeypatch.setattr(tasks.refresh_connection, "delay", queued.append)
    assert tasks.refresh_expiring_tokens() == 1 and queued == [google.pk]
    assert tasks.refresh_stale_tokens() == 1 and queued == [google.pk, hubspot.pk]
    calls = control.token_calls("google")
    tasks.refresh_connection(google.pk)
    assert control.token_calls("google") == calls + 1
