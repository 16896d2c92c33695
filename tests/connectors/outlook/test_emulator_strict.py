"""The Graph emulator refuses what Graph refuses, with Graph's error body, on the raw wire."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from connectors.registry import api_base_for
from emulators.graph import control
from tests.conftest import close_kept_alive_sessions

pytestmark = pytest.mark.django_db(transaction=True)


def call(graph, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    token = graph.connection.access_token if token is None else token
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    url = f"{api_base_for(graph.connection)}/v1.0{path}"
    return requests.request(method, url, headers=headers, timeout=15, **kwargs)


def event(start: str = "2027-01-05T09:00:00", zone: str = "UTC", **extra) -> dict:
    return {
        "subject": "x",
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": start[:11] + "10:00:00", "timeZone": zone},
        **extra,
    }


def refused(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    return error


def test_it_refuses_a_call_without_a_valid_token(graph):
    refused(call(graph, "GET", "/me/calendars", token=""), 401, "InvalidAuthenticationToken")
    refused(call(graph, "GET", "/me/calendars", token="nope"), 401, "InvalidAuthenticationToken")


def test_it_refuses_a_property_the_event_type_does_not_have(graph):
    answer = call(graph, "POST", "/me/events", json=event(colour="red"))
    assert "'colour' does not exist" in refused(answer, 400, "RequestBodyRead")["message"]


def test_it_refuses_an_unknown_time_zone_and_takes_windows_and_iana_names(graph):
    refused(
        call(graph, "POST", "/me/events", json=event(zone="Mars/Olympus")),
        400,
        "TimeZoneNotSupportedException",
    )
    for zone in ("Pacific Standard Time", "Asia/Kathmandu"):
        assert call(graph, "POST", "/me/events", json=event(zone=zone)).status_code == 201


def test_it_refuses_an_event_without_times_or_with_bad_values(graph):
    refused(call(graph, "POST", "/me/events", json={"subject": "x"}), 400, "ErrorInvalidRequest")
    refused(call(graph, "POST", "/me/events", json=event(showAs="away")), 400, "RequestBodyRead")
    refused(call(graph, "POST", "/me/events", data="{not json"), 400, "BadRequest")
    all_day = event(isAllDay=True)  # 09:00, not midnight
    refused(call(graph, "POST", "/me/events", json=all_day), 400, "ErrorInvalidRequest")
    weird = event(
        recurrence={
            "pattern": {"type": "hourly", "interval": 1},
            "range": {"type": "noEnd", "startDate": "2027-01-05"},
        }
    )
    refused(call(graph, "POST", "/me/events", json=weird), 400, "ErrorInvalidRequest")


def test_it_answers_a_path_graph_does_not_have_in_graphs_words(graph):
    error = refused(call(graph, "GET", "/me/calendarz"), 400, "BadRequest")
    assert "'calendarz'" in error["message"]


def test_it_refuses_a_calendar_view_without_a_window(graph):
    error = refused(call(graph, "GET", "/me/calendarView"), 400, "ErrorInvalidParameter")
    assert "StartDateTime and EndDateTime" in error["message"]


def test_it_answers_unknown_ids_and_read_only_calendars_as_graph_does(graph):
    refused(call(graph, "GET", "/me/events/AAMkNOPE"), 404, "ErrorItemNotFound")
    shared = control.add_calendar(graph.account, "Boss", can_edit=False)
    refused(
        call(graph, "POST", f"/me/calendars/{shared}/events", json=event()),
        403,
        "ErrorAccessDenied",
    )


def test_it_will_not_change_a_transaction_id(graph):
    made = call(graph, "POST", "/me/events", json=event(transactionId="t-1")).json()
    answer = call(graph, "PATCH", f"/me/events/{made['id']}", json={"transactionId": "t-2"})
    refused(answer, 400, "ErrorInvalidRequest")


def test_it_shows_times_in_the_zone_the_reader_prefers(graph):
    call(graph, "POST", "/me/events", json=event("2027-07-01T09:00:00", "Europe/Berlin"))
    params = {
        "startDateTime": "2027-07-01T00:00:00Z",
        "endDateTime": "2027-07-02T00:00:00Z",
        "$select": "start,subject",
    }
    utc = call(graph, "GET", "/me/calendarView", params=params).json()["value"][0]
    assert utc["start"] == {"dateTime": "2027-07-01T07:00:00.0000000", "timeZone": "UTC"}
    assert set(utc) == {"@odata.etag", "id", "start", "subject"}  # $select honoured
    prefer = {"Prefer": 'outlook.timezone="Pacific Standard Time"'}
    local = call(graph, "GET", "/me/calendarView", params=params, headers=prefer).json()
    assert local["value"][0]["start"]["dateTime"] == "2027-07-01T00:00:00.0000000"


def test_it_answers_an_injected_fault_with_graphs_throttle(graph):
    base = api_base_for(graph.connection)
    posted = requests.post(
        f"{base}/_emulator/mailboxes/{graph.account}/faults",
        json={"kind": "rate_limit", "retry_after": 7, "path": "calendars"},
        timeout=10,
    )
    assert posted.status_code == 201
    answer = call(graph, "GET", "/me/calendars")
    refused(answer, 429, "ApplicationThrottled")
    assert answer.headers["Retry-After"] == "7"
    assert call(graph, "GET", "/me/calendars").status_code == 200


def test_it_allows_only_so_many_concurrent_calls_per_mailbox(graph):
    """A fifth call while four are in flight is refused (here: a second while one is)."""
    control.configure(graph.account, concurrency=1)
    control.inject_fault(graph.account, "slow", seconds=4, path="calendars")
    slow = threading.Thread(
        target=lambda: (call(graph, "GET", "/me/calendars"), close_kept_alive_sessions())
    )
    slow.start()
    for _ in range(200):  # until the slow call holds its slot
        if control.mailbox(graph.account).in_flight >= 1:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the slow call never reached the emulator")
    answer = call(graph, "GET", "/me/events")
    slow.join()
    error = refused(answer, 429, "ApplicationThrottled")
    assert "MailboxConcurrency" in error["message"] and answer.headers["Retry-After"]
    assert control.mailbox(graph.account).in_flight == 0
    assert call(graph, "GET", "/me/events").status_code == 200


def test_it_lists_a_series_masters_instances_in_a_window(graph):
    """``GET /me/events/{id}/instances``: occurrences and exceptions in the required window,
    ordered by start; the window is required; a single event is no series master (404)."""
    daily = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2027-01-05", "numberOfOccurrences": 3},
    }
    master = control.insert_event(graph.account, graph.calendar, event(recurrence=daily))
    single = control.insert_event(graph.account, graph.calendar, event("2027-01-05T08:00:00"))
    window = {"startDateTime": "2027-01-01T00:00:00Z", "endDateTime": "2027-02-01T00:00:00Z"}
    path = f"/me/calendars/{graph.calendar}/events/{master}/instances"
    listed = call(graph, "GET", path, params=window).json()["value"]
    assert [(e["type"], e["start"]["dateTime"][:16]) for e in listed] == [
        ("occurrence", "2027-01-05T09:00"),
        ("occurrence", "2027-01-06T09:00"),
        ("occurrence", "2027-01-07T09:00"),
    ]
    moved = {"start": {"dateTime": "2027-01-06T12:00:00", "timeZone": "UTC"},
             "end": {"dateTime": "2027-01-06T13:00:00", "timeZone": "UTC"}}  # fmt: skip
    control.edit_event(graph.account, listed[1]["id"], moved)
    again = call(graph, "GET", f"/me/events/{master}/instances", params=window).json()["value"]
    assert [(e["type"], e["start"]["dateTime"][:16]) for e in again] == [
        ("occurrence", "2027-01-05T09:00"),
        ("exception", "2027-01-06T12:00"),
        ("occurrence", "2027-01-07T09:00"),
    ]
    refused(call(graph, "GET", path), 400, "ErrorInvalidParameter")
    refused(
        call(graph, "GET", f"/me/events/{single}/instances", params=window),
        404,
        "ErrorItemNotFound",
    )
