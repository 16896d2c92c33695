"""The Google Calendar emulator driven by Google's own Python client
(``google-api-python-client``, a test-only dependency), built offline from the discovery
document with ``build_from_document`` and its request validation on (required parameters,
enumerations, patterns): what Google's client sends, the emulator accepts, and it answers with
Google's statuses and error reasons where Google refuses."""

from __future__ import annotations

import json

import httplib2
import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from emulators.auth import issue_token_for_tests
from emulators.google_calendar import control
from tests.connectors.google.discovery_check import DOC

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(live_server):
    """``api(account)`` -> Google's Calendar client pointed at the emulator, with a token."""

    opened: list[httplib2.Http] = []

    def make(account: str = "sdk-user", token: str = ""):
        token = token or issue_token_for_tests("google", account, 3600)
        opened.append(httplib2.Http(timeout=10))
        http = AuthorizedHttp(Credentials(token=token), http=opened[-1], refresh_status_codes=())
        return build_from_document(
            DOC,
            http=http,
            client_options={"api_endpoint": f"{live_server.url}/emulators/google/calendar/v3/"},
        )

    yield make
    for http in opened:  # a kept-alive connection holds a server thread and its database link
        http.close()


def reason(error: HttpError) -> tuple[int, str]:
    body = json.loads(error.content)
    assert set(body["error"]) >= {"code", "message", "errors"}
    assert set(body["error"]["errors"][0]) >= {"domain", "reason", "message"}
    return error.resp.status, body["error"]["errors"][0]["reason"]


def refused(call) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return reason(caught.value)


TIMED = {
    "summary": "Cleaning",
    "start": {"dateTime": "2026-12-07T09:00:00+01:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2026-12-07T10:00:00+01:00", "timeZone": "Europe/Berlin"},
}


def test_it_inserts_gets_and_lists_an_event_under_our_own_id(api):
    calendar = api()
    body = {"id": "abc12345", **TIMED}
    made = calendar.events().insert(calendarId="primary", body=body).execute()
    assert made["id"] == "abc12345" and made["status"] == "confirmed" and made["etag"]
    got = calendar.events().get(calendarId="primary", eventId="abc12345").execute()
    assert got["start"] == TIMED["start"]
    listed = calendar.events().list(calendarId="primary").execute()
    assert [e["id"] for e in listed["items"]] == ["abc12345"] and listed["nextSyncToken"]


def test_it_refuses_what_google_refuses(api):
    events = api().events()
    events.insert(calendarId="primary", body={"id": "abc12345", **TIMED}).execute()
    assert refused(events.insert(calendarId="primary", body={"id": "abc12345", **TIMED})) == (
        409, "duplicate",
    )  # fmt: skip
    for bad_id in ("abc", "ABC12345", "wxyz12345", "abc_12345"):
        assert refused(events.insert(calendarId="primary", body={"id": bad_id, **TIMED})) == (
            400, "invalid",
        )  # fmt: skip
    no_end = {"summary": "x", "start": TIMED["start"]}
    assert refused(events.insert(calendarId="primary", body=no_end)) == (400, "required")
    backwards = {**TIMED, "end": {"dateTime": "2026-12-07T08:00:00+01:00"}}
    assert refused(events.insert(calendarId="primary", body=backwards)) == (400, "timeRangeEmpty")
    floating = {**TIMED, "start": {"dateTime": "2026-12-07T09:00:00"}}
    assert refused(events.insert(calendarId="primary", body=floating)) == (400, "invalid")
    bad_zone = {**TIMED, "start": {**TIMED["start"], "timeZone": "Mars/Olympus"}}
    assert refused(events.insert(calendarId="primary", body=bad_zone)) == (400, "invalid")
    assert refused(events.insert(calendarId="primary", body={**TIMED, "colour": "red"})) == (
        400, "invalid",
    )  # fmt: skip
    assert refused(events.get(calendarId="primary", eventId="nothere1")) == (404, "notFound")
    assert refused(events.list(calendarId="someone@else.example")) == (404, "notFound")
    assert refused(events.list(calendarId="primary", timeZone="Mars/Olympus")) == (400, "invalid")
    # Filters the emulator lacks are refused, never silently ignored.
    assert refused(events.list(calendarId="primary", q="Cleaning")) == (400, "invalid")


def test_it_refuses_a_stale_etag_with_412(api):
    events = api().events()
    made = events.insert(calendarId="primary", body={"id": "etag12345", **TIMED}).execute()
    events.patch(calendarId="primary", eventId="etag12345", body={"summary": "Moved"}).execute()
    stale = events.patch(calendarId="primary", eventId="etag12345", body={"summary": "Mine"})
    stale.headers["If-Match"] = made["etag"]
    assert refused(stale) == (412, "conditionNotMet")
    fresh = events.get(calendarId="primary", eventId="etag12345").execute()
    ok = events.patch(calendarId="primary", eventId="etag12345", body={"summary": "Mine"})
    ok.headers["If-Match"] = fresh["etag"]
    assert ok.execute()["summary"] == "Mine"


def test_it_syncs_incrementally_and_forgets_tokens_with_410(api):
    events = api("sync-user").events()
    events.insert(calendarId="primary", body={"id": "keep12345", **TIMED}).execute()
    events.insert(calendarId="primary", body={"id": "gone12345", **TIMED}).execute()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    events.patch(calendarId="primary", eventId="keep12345", body={"summary": "New"}).execute()
    events.delete(calendarId="primary", eventId="gone12345").execute()
    assert refused(events.delete(calendarId="primary", eventId="gone12345")) == (410, "deleted")
    changed = events.list(calendarId="primary", syncToken=token).execute()
    by_id = {e["id"]: e for e in changed["items"]}
    assert by_id["keep12345"]["summary"] == "New"
    assert set(by_id["gone12345"]) <= {"kind", "etag", "id", "status", "updated"}
    assert by_id["gone12345"]["status"] == "cancelled"
    again = events.list(calendarId="primary", syncToken=changed["nextSyncToken"]).execute()
    assert again["items"] == []
    with_window = events.list(calendarId="primary", syncToken=token, timeMin="2026-12-01T00:00:00Z")
    assert refused(with_window) == (400, "invalid")
    assert refused(events.list(calendarId="primary", syncToken="forged")) == (
        410, "fullSyncRequired",
    )  # fmt: skip
    control.forget_sync_tokens("sync-user")
    assert refused(events.list(calendarId="primary", syncToken=again["nextSyncToken"])) == (
        410, "fullSyncRequired",
    )  # fmt: skip


def test_it_pages_with_page_tokens_to_a_sync_token(api):
    events = api().events()
    for n in range(5):
        events.insert(calendarId="primary", body={"id": f"page{n}0000", **TIMED}).execute()
    seen, token, pages = [], None, 0
    while True:
        page = events.list(calendarId="primary", maxResults=2, pageToken=token).execute()
        pages += 1
        seen += [e["id"] for e in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            assert page["nextSyncToken"]
            break
        assert "nextSyncToken" not in page
    assert pages == 3 and seen == [f"page{n}0000" for n in range(5)]


WEEKLY = {
    "id": "series1234",
    "summary": "Standup",
    "start": {"dateTime": "2026-10-19T09:00:00", "timeZone": "Europe/Berlin"},
    "end": {"dateTime": "2026-10-19T09:30:00", "timeZone": "Europe/Berlin"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20261102T090000"],
}


def test_it_expands_a_series_in_wall_time_across_dst_with_exdate_and_exceptions(api):
    events = api().events()
    events.insert(calendarId="primary", body=WEEKLY).execute()
    # Move the 26 October instance (the day after Berlin leaves summer time) to 11:00.
    moved = {
        "start": {"dateTime": "2026-10-26T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-10-26T11:30:00+01:00", "timeZone": "Europe/Berlin"},
    }
    events.patch(calendarId="primary", eventId="series1234_20261026T080000Z", body=moved).execute()
    window = {"timeMin": "2026-10-01T00:00:00Z", "timeMax": "2026-12-01T00:00:00Z"}
    items = events.list(
        calendarId="primary", singleEvents=True, orderBy="startTime", **window
    ).execute()["items"]
    assert [(e["id"], e["start"]["dateTime"]) for e in items] == [
        ("series1234_20261019T070000Z", "2026-10-19T09:00:00+02:00"),
        ("series1234_20261026T080000Z", "2026-10-26T11:00:00+01:00"),
        ("series1234_20261109T080000Z", "2026-11-09T09:00:00+01:00"),
    ]
    assert all(e["recurringEventId"] == "series1234" for e in items)
    events.delete(calendarId="primary", eventId="series1234_20261109T080000Z").execute()
    left = events.list(calendarId="primary", singleEvents=True, **window).execute()["items"]
    assert sorted(e["id"] for e in left) == [
        "series1234_20261019T070000Z", "series1234_20261026T080000Z",
    ]  # fmt: skip
    series = events.list(calendarId="primary", **window).execute()["items"]
    assert "series1234" in [e["id"] for e in series]
    unordered = events.list(calendarId="primary", orderBy="startTime", **window)
    assert refused(unordered) == (400, "badRequest")
    events.delete(calendarId="primary", eventId="series1234").execute()  # the moved one too
    assert events.list(calendarId="primary", singleEvents=True, **window).execute()["items"] == []


def test_it_refuses_a_broken_recurrence(api):
    events = api().events()
    bad = {**WEEKLY, "id": "broken123", "recurrence": ["RRULE:FREQ=SOMETIMES"]}
    assert refused(events.insert(calendarId="primary", body=bad)) == (400, "invalid")
    no_zone = {**WEEKLY, "id": "nozone123", "start": {"dateTime": "2026-10-19T09:00:00+02:00"},
               "end": {"dateTime": "2026-10-19T09:30:00+02:00"}}  # fmt: skip
    assert refused(events.insert(calendarId="primary", body=no_zone)) == (400, "invalid")


def test_it_lists_calendars_and_answers_free_busy(api):
    control.add_calendar("fb-user", "team@group.example", time_zone="Europe/Berlin",
                         access_role="freeBusyReader")  # fmt: skip
    calendar = api("fb-user")
    entries = calendar.calendarList().list().execute()["items"]
    assert [(e["id"], e.get("primary", False), e["accessRole"]) for e in entries] == [
        ("fb-user@example.com", True, "owner"),
        ("team@group.example", False, "freeBusyReader"),
    ]
    control.put_event("fb-user", "team@group.example", {**TIMED, "status": "tentative"})
    control.put_event("fb-user", "team@group.example", {**TIMED, "transparency": "transparent"})
    assert refused(calendar.events().list(calendarId="team@group.example")) == (
        403, "requiredAccessLevel",
    )  # fmt: skip
    answer = calendar.freebusy().query(body={
        "timeMin": "2026-12-07T00:00:00Z", "timeMax": "2026-12-08T00:00:00Z",
        "items": [{"id": "team@group.example"}, {"id": "nobody@example.org"}],
    }).execute()  # fmt: skip
    assert answer["calendars"]["team@group.example"]["busy"] == [
        {"start": "2026-12-07T08:00:00Z", "end": "2026-12-07T09:00:00Z"}
    ]
    assert answer["calendars"]["nobody@example.org"]["errors"][0]["reason"] == "notFound"


def test_it_opens_and_stops_channels(api):
    control.configure("push-user", allow_http_address=True)
    events = api("push-user").events()
    body = {"id": "chan-1", "type": "web_hook", "address": "http://127.0.0.1:9/hook",
            "token": "s3cret", "params": {"ttl": "3600"}}  # fmt: skip
    channel = events.watch(calendarId="primary", body=body).execute()
    assert channel["id"] == "chan-1" and channel["resourceId"] and int(channel["expiration"]) > 0
    assert refused(events.watch(calendarId="primary", body=body)) == (400, "channelIdNotUnique")
    https_only = api("strict-user").events()
    assert refused(https_only.watch(calendarId="primary", body={**body, "id": "chan-2"})) == (
        400, "push.webhookUrlNotHttps",
    )  # fmt: skip
    channels = api("push-user").channels()
    stop = {"id": "chan-1", "resourceId": channel["resourceId"]}
    channels.stop(body=stop).execute()
    assert refused(channels.stop(body=stop)) == (404, "notFound")


def test_it_enforces_the_per_user_minute_quota_and_injected_faults(api):
    control.configure("busy-user", quota_per_minute=2)
    calendar = api("busy-user")
    calendar.calendarList().list().execute()
    calendar.calendarList().list().execute()
    assert refused(calendar.calendarList().list()) == (403, "rateLimitExceeded")
    control.configure("busy-user", quota_status=429)
    assert refused(calendar.calendarList().list()) == (429, "rateLimitExceeded")
    other = api("calm-user")
    control.inject_fault("calm-user", "server_error", path="/events")
    assert refused(other.events().list(calendarId="primary")) == (500, "backendError")
    assert other.events().list(calendarId="primary").execute()["items"] == []


def test_it_refuses_a_bad_token_with_googles_401(api):
    with pytest.raises(HttpError) as caught:
        api(token="not-a-token").calendarList().list().execute()
    assert reason(caught.value) == (401, "authError")


def read_only_token(account: str) -> str:
    """A token whose grant holds only ``calendar.readonly``, as the consent screen records it."""
    from emulators.models import EmulatorGrant, EmulatorToken, digest

    grant = EmulatorGrant.objects.create(
        provider="google", account_id=account, client_id="tests",
        scopes="https://www.googleapis.com/auth/calendar.readonly",
    )  # fmt: skip
    token = f"read-only-{account}"
    EmulatorToken.objects.create(grant=grant, kind=EmulatorToken.ACCESS, token_digest=digest(token))
    return token


def test_it_refuses_writes_to_a_token_without_an_events_scope(api):
    calendar = api(token=read_only_token("ro-user"))
    assert calendar.events().list(calendarId="primary").execute()["items"] == []
    assert calendar.calendarList().list().execute()["items"]
    assert refused(calendar.events().insert(calendarId="primary", body=TIMED)) == (
        403, "insufficientPermissions",
    )  # fmt: skip


def test_it_pages_through_an_endless_series_under_an_open_window(api):
    events = api().events()
    endless = {**WEEKLY, "id": "endless12", "recurrence": ["RRULE:FREQ=DAILY"]}
    events.insert(calendarId="primary", body=endless).execute()
    allday = {"id": "annual123", "start": {"date": "2026-10-19"}, "end": {"date": "2026-10-20"},
              "recurrence": ["RRULE:FREQ=YEARLY"]}  # fmt: skip
    events.insert(calendarId="primary", body=allday).execute()
    page = events.list(
        calendarId="primary", singleEvents=True, timeMin="2026-10-20T00:00:00Z", maxResults=5
    ).execute()
    assert [e["id"] for e in page["items"]][:2] == [
        "endless12_20261020T070000Z", "endless12_20261021T070000Z",
    ]  # fmt: skip
    assert page["nextPageToken"]
    before = events.list(calendarId="primary", singleEvents=True, timeMax="2026-10-20T00:00:00Z")
    assert [e["id"] for e in before.execute()["items"]] == [
        "endless12_20261019T070000Z", "annual123_20261019",
    ]  # fmt: skip


def test_it_lists_a_series_instances_with_their_exceptions(api):
    """``events.instances``: the series' instances in the window, a moved one where it was
    moved, a deleted one only with ``showDeleted``; 404 for no such event, 410 once the
    series is deleted."""
    events = api().events()
    events.insert(calendarId="primary", body=WEEKLY).execute()
    moved = {
        "start": {"dateTime": "2026-10-26T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-10-26T11:30:00+01:00", "timeZone": "Europe/Berlin"},
    }
    events.patch(calendarId="primary", eventId="series1234_20261026T080000Z", body=moved).execute()
    events.delete(calendarId="primary", eventId="series1234_20261109T080000Z").execute()
    window = {"timeMin": "2026-10-01T00:00:00Z", "timeMax": "2026-12-01T00:00:00Z"}
    items = events.instances(calendarId="primary", eventId="series1234", **window).execute()
    assert [(e["id"], e["start"]["dateTime"]) for e in items["items"]] == [
        ("series1234_20261019T070000Z", "2026-10-19T09:00:00+02:00"),
        ("series1234_20261026T080000Z", "2026-10-26T11:00:00+01:00"),
    ]
    with_deleted = events.instances(
        calendarId="primary", eventId="series1234", showDeleted=True, **window
    ).execute()["items"]
    assert [e["status"] for e in with_deleted] == ["confirmed", "confirmed", "cancelled"]
    paged = events.instances(calendarId="primary", eventId="series1234", maxResults=1, **window)
    first = paged.execute()
    assert len(first["items"]) == 1 and first["nextPageToken"]
    assert refused(events.instances(calendarId="primary", eventId="nosuch123")) == (
        404, "notFound",
    )  # fmt: skip
    events.delete(calendarId="primary", eventId="series1234").execute()
    assert refused(events.instances(calendarId="primary", eventId="series1234")) == (
        410, "deleted",
    )  # fmt: skip
