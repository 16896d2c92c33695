"""Microsoft Graph: the subscription is validated through our endpoint (the token echoed), a
change notification with our clientState leads to a sync pass and ``calendar_changed``; one
with another clientState is refused; lifecycle notifications renew, re-create or resync."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulators.graph import control
from emulators.graph.models import Subscription
from syncs.calendar.sync import calendar_sync_run
from syncs.calendar.sync_state.models import CalendarSync, MirroredEvent
from syncs.calendar.watches import keep_channel

pytestmark = pytest.mark.django_db(transaction=True)


def body(days_ahead: int, subject: str = "Check-up") -> dict:
    start = (datetime.now(UTC) + timedelta(days=days_ahead)).replace(microsecond=0)
    stamp = "%Y-%m-%dT%H:%M:%S"
    return {
        "subject": subject,
        "start": {"dateTime": start.strftime(stamp), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).strftime(stamp), "timeZone": "UTC"},
    }


def hook(stack) -> str:
    return f"{stack.url}/hooks/calendar/outlook"


def subscribed(graph):
    calendar_sync_run(graph.sync.pk)
    assert keep_channel(graph.sync.pk) == "opened"
    sync = graph.reload()
    [stored] = control.subscriptions(graph.account)
    assert stored.ext_id == sync.channel_id and stored.client_state == sync.channel_secret
    # Graph validated our endpoint before it made the subscription: trusted from the start.
    assert sync.channel_confirmed_at is not None
    return sync


def wait_until(predicate, timeout: float = 15.0) -> None:
    """Lifecycle notifications come from Graph's own thread: wait for their effect."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the notification had no effect"
        time.sleep(0.05)


def test_it_echoes_the_validation_token_as_plain_text(graph, stack):
    token = "Validation: Testing client application reachability for subscription Request-Id: 7"
    answer = requests.post(hook(stack), params={"validationToken": token}, timeout=10)
    assert answer.status_code == 200 and answer.text == token
    assert answer.headers["Content-Type"].startswith("text/plain")


def test_it_syncs_a_change_graph_notifies_and_tells_the_calendar_domain(graph, changes):
    sync = subscribed(graph)
    made = control.insert_event(graph.account, sync.role.calendar_id, body(2))
    found = changes.wait_for(lambda e: e.id == made)
    assert [e.status for e in found if e.id == made] == ["confirmed"]
    # The receiver ran inside the pass's transaction; the mirror row is visible once it commits.
    wait_until(lambda: MirroredEvent.objects.filter(sync=sync, event_id=made).exists())
    control.remove_event(graph.account, made)
    changes.wait_for(lambda e: e.id == made and e.status == "cancelled")
    wait_until(lambda: not MirroredEvent.objects.filter(event_id=made).exists())


def test_it_refuses_a_notification_with_another_client_state(graph, stack):
    sync = subscribed(graph)
    before = graph.reload().requested
    item = {
        "subscriptionId": sync.channel_id,
        "clientState": "guessed",
        "changeType": "updated",
        "resource": "Users/x/Events/y",
    }
    answer = requests.post(hook(stack), json={"value": [item]}, timeout=10)
    assert answer.status_code == 403
    assert graph.reload().requested == before
    missing = {k: v for k, v in item.items() if k != "clientState"}
    assert requests.post(hook(stack), json={"value": [missing]}, timeout=10).status_code == 403
    for bad in (b"not json", b"{}", json.dumps({"value": [{"x": 1}]}).encode()):
        assert requests.post(hook(stack), data=bad, timeout=10).status_code == 400
    unknown = {**item, "subscriptionId": "not-ours"}
    assert requests.post(hook(stack), json={"value": [unknown]}, timeout=10).status_code == 404


def test_missed_notifications_mean_a_full_read(graph):
    sync = subscribed(graph)
    first = sync.full_synced_at
    control.lifecycle(graph.account, sync.channel_id, "missed")
    wait_until(lambda: graph.reload().full_synced_at != first)
    assert not graph.reload().resync


def test_reauthorization_required_renews_the_subscription(graph):
    sync = subscribed(graph)
    channel, expires = sync.channel_id, sync.channel_expires_at
    # As if it had been made long ago: two hours left (Graph's own copy is moved back too).
    soon = datetime.now(UTC) + timedelta(hours=2)
    CalendarSync.objects.filter(pk=sync.pk).update(channel_expires_at=soon)
    Subscription.objects.filter(ext_id=channel).update(expires_at=soon)
    control.lifecycle(graph.account, channel, "reauthorizationRequired")
    wait_until(lambda: graph.reload().channel_expires_at > soon + timedelta(days=1))
    renewed = graph.reload()
    assert renewed.channel_id == channel  # Graph extends a subscription in place
    assert renewed.channel_expires_at >= expires - timedelta(minutes=1)
    [stored] = control.subscriptions(graph.account)
    assert stored.expires_at > soon + timedelta(days=1)


def test_a_removed_subscription_is_created_again(graph):
    old = subscribed(graph).channel_id
    control.lifecycle(graph.account, old, "subscriptionRemoved")
    wait_until(lambda: graph.reload().channel_id not in ("", old))
    [stored] = control.subscriptions(graph.account)
    assert stored.ext_id == graph.reload().channel_id


def test_it_starts_over_when_graph_forgot_the_delta_link(graph, changes):
    calendar_sync_run(graph.sync.pk)
    made = control.insert_event(graph.account, graph.role.calendar_id, body(3))
    control.expire_delta_tokens(graph.account)
    assert calendar_sync_run(graph.sync.pk) == "idle"
    sync = graph.reload()
    assert sync.full_synced_at == sync.synced_at
    assert MirroredEvent.objects.filter(sync=sync, event_id=made).exists()
    assert [e.id for e in changes.events()] == [made]


def test_a_body_graph_would_never_send_is_a_400_problem_not_a_500(graph, stack):
    """Deep nesting (the decoder's ``RecursionError``), bytes that are not UTF-8, and strings
    the database cannot hold (NUL, a lone surrogate) are refused as malformed."""
    sync = subscribed(graph)
    before = graph.reload().requested
    item = {"subscriptionId": sync.channel_id, "clientState": sync.channel_secret}
    deep = b'{"value": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    bodies = [
        deep,
        b'{"value": [{"subscriptionId": "' + b"\xff\xfe" + b'"}]}',
        json.dumps({"value": [{**item, "subscriptionId": "a\u0000b"}]}).encode(),
        json.dumps({"value": [{**item, "subscriptionId": "\ud800"}]}).encode(),
        json.dumps({"value": [{**item, "clientState": "\ud800"}]}).encode(),
    ]
    for bad in bodies:
        answer = requests.post(hook(stack), data=bad, timeout=10)
        assert answer.status_code == 400, bad[:60]
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert graph.reload().requested == before  # nothing queued
    # A notification as Graph sends it, nested four levels, is still taken.
    item["resourceData"] = {"@odata.type": "#Microsoft.Graph.Event", "id": "x"}
    assert requests.post(hook(stack), json={"value": [item]}, timeout=10).status_code == 202
