"""Google's per-project and per-user quotas: the emulator refuses over them as Google does
(and counts each refusal), and our shared buckets hold calls back before Google would refuse
them, handing the wait to the job instead of failing it."""

from __future__ import annotations

import pytest
import requests

from connectors.base import ConnectorError
from connectors.google.client import build
from connectors.http import is_throttle
from emulators.google_calendar import control
from emulators.google_calendar.models import GProject

pytestmark = pytest.mark.django_db(transaction=True)


def rate_limited_body(status: int) -> dict:
    return {
        "error": {
            "errors": [
                {
                    "domain": "usageLimits",
                    "reason": "rateLimitExceeded",
                    "message": "Rate Limit Exceeded",
                }
            ],
            "code": status,
            "message": "Rate Limit Exceeded",
        }
    }


def calendar_list(live_server, connection) -> requests.Response:
    return requests.get(
        f"{live_server.url}/emulators/google/calendar/v3/users/me/calendarList",
        headers={"Authorization": f"Bearer {connection.access_token}"},
        timeout=10,
    )


def test_the_emulator_refuses_over_the_project_quota_across_users(google, live_server, world):
    """The project's minute is shared by every user; over it, Google's 403 (or 429)
    ``usageLimits`` body; every refusal counted; the window slides."""
    control.configure_project(quota_per_minute=2)
    ana, _ = google()
    ben, _ = google(world.client_b)
    assert calendar_list(live_server, ana).status_code == 200
    assert calendar_list(live_server, ben).status_code == 200
    refused = calendar_list(live_server, ana)
    assert (refused.status_code, refused.json()) == (403, rate_limited_body(403))
    control.configure_project(quota_status=429)
    refused = calendar_list(live_server, ben)
    assert (refused.status_code, refused.json()) == (429, rate_limited_body(429))
    assert control.project_stats() == {"api_calls": 4, "refused": 2, "user_refused": 0}

    project = GProject.objects.get()
    project.recent = [t - 61 for t in project.recent]  # a minute later, as Google's clock sees it
    project.save()
    assert calendar_list(live_server, ana).status_code == 200


def test_the_emulator_counts_refusals_of_a_users_quota(google, live_server):
    connection, account = google()
    control.configure(account, quota_per_minute=1)
    assert calendar_list(live_server, connection).status_code == 200
    refused = calendar_list(live_server, connection)
    assert (refused.status_code, refused.json()) == (403, rate_limited_body(403))
    assert control.project_stats()["user_refused"] == 1


def test_our_project_bucket_holds_calls_back_before_google_refuses(google, world, settings):
    """Two users, one project quota of 2 a minute: the third call is held by our shared
    bucket (never sent), with the time until its token as the wait; Google refused nothing."""
    settings.VENDOR_QUOTAS = {"google": {"app": 2}}
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    control.configure_project(quota_per_minute=2)
    ana, _ = google()
    ben, _ = google(world.client_b)
    build(ana).list_calendars()
    build(ben).list_calendars()
    with pytest.raises(ConnectorError) as held:
        build(ana).list_calendars()
    assert held.value.code == "rate_limited_local" and not held.value.permanent
    assert is_throttle(held.value) and 55 <= held.value.retry_after <= 62
    assert control.project_stats() == {"api_calls": 2, "refused": 0, "user_refused": 0}


def test_two_connections_to_one_google_user_share_the_users_bucket(google, world, settings):
    settings.VENDOR_QUOTAS = {"google": {"account": 1}}
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    ana, _ = google(account="shared-user")
    other, _ = google(world.client_b, account="shared-user")
    build(ana).list_calendars()
    with pytest.raises(ConnectorError) as held:
        build(other).list_calendars()
    assert held.value.code == "rate_limited_local" and is_throttle(held.value)
    third, _ = google(world.outsider_client, account="someone-else")
    assert build(third).list_calendars()  # another user's bucket is untouched


def test_googles_own_refusal_is_a_throttle_to_retry_not_a_failure(google, settings):
    """When Google refuses anyway (a quota lowered in the console), the call comes back as a
    throttle with a wait, which a job does not count as a failed attempt."""
    connection, _ = google()
    control.configure_project(quota_per_minute=1)
    calendar = build(connection)
    calendar.http.sleep = lambda seconds: None
    calendar.list_calendars()
    with pytest.raises(ConnectorError) as refused:
        calendar.list_calendars()
    assert refused.value.code == "rate_limited" and is_throttle(refused.value)
    assert not refused.value.permanent
