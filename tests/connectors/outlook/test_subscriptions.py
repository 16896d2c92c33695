"""Graph subscriptions through the Outlook client against the emulator: the validation echo,
clientState on every notification, lifecycle notifications, renewal and stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from connectors.base import ConnectorError, EventDraft
from connectors.outlook.client import build
from emulators.graph import control

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "s3cret-client-state"
WEEK = 7 * 24 * 3600


def watch(graph, receiver, ttl: int = 3600):
    return build(graph.connection).watch(
        graph.calendar, address=receiver.url, secret=SECRET, ttl_seconds=ttl
    )


def test_it_subscribes_once_the_endpoint_echoes_the_validation_token(graph, receiver):
    made = watch(graph, receiver)
    # Graph validated both the notification and the lifecycle URL (the same one here).
    assert len(receiver.validations) == 2
    assert receiver.validations[0].startswith("Validation: Testing client application")
    [stored] = control.subscriptions(graph.account)
    assert stored.ext_id == made.id and stored.client_state == SECRET
    assert made.resource_id == f"me/calendars/{graph.calendar}/events"
    assert timedelta(minutes=59) < made.expires_at - datetime.now(tz=UTC) <= timedelta(hours=1)


@pytest.mark.parametrize("mode", ["silent", "wrong", "html"])
def test_it_is_refused_when_the_endpoint_does_not_echo_the_token(graph, receiver, mode):
    receiver.mode = mode
    with pytest.raises(ConnectorError) as refused:
        watch(graph, receiver)
    assert refused.value.status == 400 and refused.value.code == "ValidationError"
    assert control.subscriptions(graph.account) == []


def test_it_is_refused_when_the_endpoint_answers_too_late(graph, receiver):
    control.configure(graph.account, validation_timeout_s=0.5)  # Graph waits 10 s
    receiver.mode, receiver.delay = "slow", 1.5
    with pytest.raises(ConnectorError) as refused:
        watch(graph, receiver)
    assert refused.value.code == "ValidationError" and receiver.validations
    assert control.subscriptions(graph.account) == []


def test_it_is_refused_for_a_plain_http_endpoint_as_graph_does(graph, receiver):
    control.configure(graph.account, allow_http_notification_url=False)
    with pytest.raises(ConnectorError) as refused:
        watch(graph, receiver)
    assert refused.value.status == 400 and receiver.validations == []


def test_it_carries_the_client_state_on_every_change_notification(graph, receiver):
    made = watch(graph, receiver)
    start = datetime(2027, 3, 24, 9, tzinfo=UTC)
    cal = build(graph.connection)
    event = cal.create_event(
        graph.calendar,
        EventDraft(
            booking_id="bk-1",
            summary="x",
            start=start,
            end=start + timedelta(hours=1),
            time_zone="UTC",
        ),
    )
    cal.update_event(
        graph.calendar,
        event.id,
        EventDraft(
            booking_id="bk-1",
            summary="moved",
            start=start + timedelta(hours=2),
            end=start + timedelta(hours=3),
            time_zone="UTC",
        ),
    )
    cal.cancel_event(graph.calendar, event.id)
    notes = [n["value"][0] for n in receiver.wait_for(3)]
    by_kind = {n["changeType"]: n for n in notes}
    assert sorted(by_kind) == ["created", "deleted", "updated"]
    for kind, note in by_kind.items():
        assert note["subscriptionId"] == made.id and note["clientState"] == SECRET
        assert note["changeType"] == kind and note["resourceData"]["id"] == event.id
        assert note["resource"].endswith(f"/Events/{event.id}")


def test_it_sends_nothing_for_another_calendar(graph, receiver):
    watch(graph, receiver)
    other = control.add_calendar(graph.account, "Other")
    control.insert_event(
        graph.account,
        other,
        {
            "subject": "elsewhere",
            "start": {"dateTime": "2027-01-01T09:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-01-01T10:00", "timeZone": "UTC"},
        },
    )
    control.insert_event(
        graph.account,
        graph.calendar,
        {
            "subject": "here",
            "start": {"dateTime": "2027-01-01T09:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-01-01T10:00", "timeZone": "UTC"},
        },
    )
    [note] = receiver.wait_for(1)
    here = control.stored_events(graph.account)[-1]["id"]
    assert note["value"][0]["resourceData"]["id"] == here
    assert len(receiver.notifications) == 1


def test_it_passes_lifecycle_notifications_on(graph, receiver):
    made = watch(graph, receiver)
    control.lifecycle(graph.account, made.id, "reauthorizationRequired")
    control.lifecycle(graph.account, made.id, "subscriptionRemoved")
    first, second = (n["value"][0] for n in receiver.wait_for(2))
    assert {first["lifecycleEvent"], second["lifecycleEvent"]} == {
        "reauthorizationRequired",
        "subscriptionRemoved",
    }
    assert first["clientState"] == SECRET and first["subscriptionId"] == made.id
    assert control.subscriptions(graph.account) == []


def test_it_renews_a_subscription_within_graphs_maximum(graph, receiver):
    made = watch(graph, receiver, ttl=3600)
    renewed = build(graph.connection).renew_watch(made, ttl_seconds=30 * 24 * 3600)
    assert renewed.id == made.id and renewed.secret == SECRET
    # Asked for 30 days: the client stays under Graph's 10,080 minutes for Outlook events.
    assert timedelta(days=6) < renewed.expires_at - made.expires_at
    assert renewed.expires_at - datetime.now(tz=UTC) < timedelta(minutes=10_080)
    [stored] = control.subscriptions(graph.account)
    assert abs((stored.expires_at - renewed.expires_at).total_seconds()) < 1


def test_the_emulator_refuses_an_expiry_beyond_graphs_maximum(graph, receiver):
    made = watch(graph, receiver)
    too_late = datetime.now(tz=UTC) + timedelta(minutes=10_081)
    answer = requests.patch(
        f"{_base(graph)}/v1.0/subscriptions/{made.id}",
        json={"expirationDateTime": too_late.isoformat()},
        headers={"Authorization": f"Bearer {graph.connection.access_token}"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert "10080 minutes" in answer.json()["error"]["message"]


def test_it_stops_a_subscription_and_shrugs_the_second_time(graph, receiver):
    made = watch(graph, receiver)
    cal = build(graph.connection)
    cal.stop_watch(made)
    cal.stop_watch(made)
    assert control.subscriptions(graph.account) == []
    with pytest.raises(ConnectorError) as gone:
        cal.renew_watch(made, ttl_seconds=WEEK)
    assert gone.value.status == 404


def _base(graph) -> str:
    from connectors.registry import api_base_for

    return api_base_for(graph.connection)
