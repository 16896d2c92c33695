"""The request check of the discovery document refuses what Google's API does not declare
(so the check on every request the client sends in these suites can fail)."""

from __future__ import annotations

import pytest

from tests.connectors.google.discovery_check import Mismatch, check_request

EVENTS = "/calendar/v3/calendars/primary/events"
TIMES = {
    "start": {"dateTime": "2026-12-07T09:00:00+01:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2026-12-07T10:00:00+01:00"},
}


def test_it_names_the_method_a_request_calls():
    assert check_request("GET", EVENTS, {"singleEvents": "true"}, None) == "calendar.events.list"
    assert check_request("POST", f"{EVENTS}/watch", None, {"id": "x"}) == "calendar.events.watch"
    assert check_request("POST", EVENTS, {"sendUpdates": "none"}, TIMES) == (
        "calendar.events.insert"
    )
    assert check_request("DELETE", f"{EVENTS}/abc12345", None, None) == "calendar.events.delete"


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("GET", "/calendar/v3/calendars/primary/things", None, None),
        ("PUT", "/calendar/v3/channels/stop", None, None),
        ("GET", EVENTS, {"singleEvent": "true"}, None),
        ("GET", EVENTS, {"singleEvents": "yes"}, None),
        ("GET", EVENTS, {"maxResults": "0"}, None),
        ("GET", EVENTS, {"orderBy": "start"}, None),
        ("GET", EVENTS, {"timeMin": "2026-12-07T09:00:00"}, None),
        ("POST", EVENTS, {"sendUpdates": "everyone"}, TIMES),
        ("POST", EVENTS, None, {**TIMES, "colour": "red"}),
        ("POST", EVENTS, None, {**TIMES, "start": {"dateTime": 9}}),
        ("POST", EVENTS, None, {**TIMES, "extendedProperties": {"private": {"n": 1}}}),
        ("DELETE", f"{EVENTS}/abc12345", None, {"id": "abc12345"}),
    ],
)
def test_it_refuses_what_the_discovery_document_does_not_declare(method, path, params, body):
    with pytest.raises(Mismatch):
        check_request(method, path, params, body)
