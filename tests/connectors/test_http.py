"""The vendor HTTP layer: auth headers, retries, waits, refusals and the call log.

The vendor side is the `responses` library at the requests seam; waits are observed through the
injectable ``sleep`` (the durations asked for), never the wall clock.
"""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses

from connectors import http as vendor_http
from connectors.base import ConnectorError, ProviderSpec
from connectors.http import RATE_LIMITED, UNAUTHORIZED, VendorHttp
from connectors.models import ApiCall, Connection

BASE = "https://api.hubapi.test"
STORED = "stored-secret-token-0001"


class CountingTokens:
    """A token source that hands out ``tok-1`` and, on refresh, ``tok-2``, ``tok-3`` ..."""

    def __init__(self) -> None:
        self.current = "tok-1"
        self.served = 0
        self.rejected: list[str] = []

    def access_token(self, connection: Connection) -> str:
        self.served += 1
        return self.current

    def refresh(self, connection: Connection, *, rejected_token: str) -> str:
        self.rejected.append(rejected_token)
        self.current = f"tok-{len(self.rejected) + 1}"
        return self.current


def make_spec(**extra) -> ProviderSpec:
    values = dict(slug="hubspot", kind="crm", display_name="HubSpot", auth="oauth2", api_base=BASE)
    values.update(extra)
    return ProviderSpec(**values)


@pytest.fixture
def conn(world) -> Connection:
    return Connection.objects.create(
        client=world.client_a, provider="hubspot", kind="crm", access_token=STORED
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def tokens() -> CountingTokens:
    return CountingTokens()


@pytest.fixture
def client(conn, sleeps, tokens) -> VendorHttp:
    return VendorHttp(conn, spec=make_spec(), base_url=BASE, tokens=tokens, sleep=sleeps.append)


@pytest.fixture
def vendor():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def url(path: str) -> str:
    return BASE + path


# --- auth headers ---------------------------------------------------------------------------


def test_it_sends_a_bearer_token_default_headers_and_a_user_agent(conn, tokens, vendor, settings):
    settings.VENDOR_USER_AGENT = "Switchboard-test/9"
    vendor.get(url("/crm/v3/objects/contacts"), json={"results": []})
    spec = make_spec(default_headers=(("Square-Version", "2025-08-20"),))
    VendorHttp(conn, spec=spec, base_url=BASE, tokens=tokens).request(
        "GET", "/crm/v3/objects/contacts"
    )
    sent = vendor.calls[0].request.headers
    assert sent["Authorization"] == "Bearer tok-1"
    assert sent["Square-Version"] == "2025-08-20"
    assert sent["User-Agent"] == "Switchboard-test/9"


def test_jobs_in_one_thread_share_a_session_that_keeps_no_cookies(conn, tokens, vendor):
    """Kept-alive connections are reused across jobs; a cookie one tenant's vendor sets is
    never sent on the next call, whoever it is for."""
    vendor.get(url("/login"), json={}, headers={"Set-Cookie": "sid=tenant-a; Path=/"})
    vendor.get(url("/x"), json={})
    first = VendorHttp(conn, spec=make_spec(), base_url=BASE, tokens=tokens)
    second = VendorHttp(conn, spec=make_spec(), base_url=BASE, tokens=tokens)
    assert first.session is second.session is vendor_http.shared_session()
    first.request("GET", "/login")
    second.request("GET", "/x")
    assert len(first.session.cookies) == 0
    assert "Cookie" not in vendor.calls[1].request.headers


def test_the_session_reads_the_ca_bundle_and_proxies_from_the_environment(monkeypatch):
    for name in [n for n in vendor_http.os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    monkeypatch.setattr(vendor_http, "_sessions", vendor_http.threading.local())
    session = vendor_http.shared_session()
    assert (session.trust_env, session.verify) == (False, "/etc/ssl/company-ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setattr(vendor_http, "_sessions", vendor_http.threading.local())
    assert vendor_http.shared_session().trust_env is True  # NO_PROXY is matched per URL


@pytest.mark.parametrize(
    ("style", "header", "value"),
    [
        ("zoho-oauthtoken", "Authorization", "Zoho-oauthtoken tok-1"),
        ("x-shopify-access-token", "X-Shopify-Access-Token", "tok-1"),
    ],
)
def test_it_uses_the_vendors_auth_header_style(conn, tokens, vendor, style, header, value):
    vendor.get(url("/x"), json={})
    VendorHttp(conn, spec=make_spec(auth_header=style), base_url=BASE, tokens=tokens).request(
        "GET", "/x"
    )
    sent = vendor.calls[0].request.headers
    assert sent[header] == value
    assert style != "x-shopify-access-token" or "Authorization" not in sent


def test_it_sends_no_credentials_when_the_style_is_none(conn, tokens, vendor):
    vendor.get(url("/public"), json={})
    VendorHttp(conn, spec=make_spec(auth_header="none"), base_url=BASE, tokens=tokens).request(
        "GET", "/public"
    )
    assert "Authorization" not in vendor.calls[0].request.headers
    assert tokens.served == 0


def test_it_sends_basic_auth_from_the_username_and_stored_app_password(conn, tokens, vendor):
    conn.settings = {"username": "alice"}
    conn.save()
    vendor.add("PROPFIND", url("/dav/"), status=207, body="<multistatus/>")
    VendorHttp(conn, spec=make_spec(auth_header="basic"), base_url=BASE, tokens=tokens).request(
        "PROPFIND", "/dav/", expect={207}
    )
    basic = requests.auth._basic_auth_str("alice", STORED)
    assert vendor.calls[0].request.headers["Authorization"] == basic
    assert tokens.served == 0


# --- 429 and Retry-After ----------------------------------------------------------------------


def test_it_waits_as_long_as_retry_after_says_before_the_next_attempt(client, vendor, sleeps):
    vendor.get(url("/c"), status=429, headers={"Retry-After": "7"}, json={"message": "slow"})
    vendor.get(url("/c"), json={"ok": True})
    assert client.request("GET", "/c").json() == {"ok": True}
    assert len(vendor.calls) == 2
    assert sleeps == [7.0]


def test_it_reschedules_instead_of_waiting_past_the_inline_budget(client, vendor, sleeps):
    vendor.get(url("/c"), status=429, headers={"Retry-After": "30"})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert caught.value.retry_after == 30.0
    assert not caught.value.permanent
    assert caught.value.code == "rate_limited"
    assert len(vendor.calls) == 1 and sleeps == []


def test_it_counts_every_inline_wait_against_one_budget(client, vendor, sleeps):
    for _ in range(2):
        vendor.get(url("/c"), status=429, headers={"Retry-After": "7"})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert sleeps == [7.0]  # 7 + 7 > 10: the second wait goes to Celery
    assert caught.value.retry_after == 7.0


def test_it_reads_retry_after_given_as_an_http_date(client, vendor, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=120)
    vendor.get(url("/c"), status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert 115 <= caught.value.retry_after <= 120


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"X-HubSpot-RateLimit-Interval-Milliseconds": "4000"}, 4.0),
        ({"x-ratelimit-reset": "3"}, 3.0),
        ({"Retry-After": "1", "x-ratelimit-reset": "6"}, 6.0),
    ],
)
def test_it_honours_vendor_rate_limit_headers(client, vendor, sleeps, headers, wait):
    vendor.get(url("/c"), status=429, headers=headers)
    vendor.get(url("/c"), json={})
    client.request("GET", "/c")
    assert sleeps == [wait]


def test_it_ignores_window_headers_on_ordinary_responses(client, vendor, sleeps, monkeypatch):
    monkeypatch.setattr(vendor_http.random, "uniform", lambda lo, hi: hi)
    vendor.get(url("/c"), status=502, headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "9000"})
    vendor.get(url("/c"), json={})
    client.request("GET", "/c")
    assert sleeps == [0.5]


def test_it_treats_what_classify_flags_as_throttling(conn, tokens, vendor, sleeps):
    # Shopify GraphQL: a throttle is a 200 whose body says THROTTLED.
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 100,
                "throttleStatus": {
                    "maximumAvailable": 1000,
                    "currentlyAvailable": 40,
                    "restoreRate": 50,
                },
            }
        },
    }
    vendor.post(url("/admin/api/graphql.json"), json=throttled)
    vendor.post(url("/admin/api/graphql.json"), json={"data": {"shop": {"name": "s"}}})

    def classify(response: requests.Response) -> str | None:
        errors = response.json().get("errors") or []
        codes = {e.get("extensions", {}).get("code") for e in errors}
        return RATE_LIMITED if "THROTTLED" in codes else None

    http = VendorHttp(
        conn,
        spec=make_spec(auth_header="x-shopify-access-token"),
        base_url=BASE,
        tokens=tokens,
        classify=classify,
        sleep=sleeps.append,
    )
    assert http.request("POST", "/admin/api/graphql.json", json={"query": "{shop{name}}"}).ok
    assert sleeps == [pytest.approx(1.2)]  # (100 - 40) / 50


def test_it_lets_classify_turn_a_403_into_a_throttle(conn, tokens, vendor, sleeps):
    vendor.get(url("/q"), status=403, json=[{"errorCode": "SLOW_DOWN"}])
    vendor.get(url("/q"), json={})

    def classify(response: requests.Response) -> str | None:
        body = response.json()
        limited = isinstance(body, list) and body[0].get("errorCode") == "SLOW_DOWN"
        return RATE_LIMITED if limited else None

    http = VendorHttp(
        conn, spec=make_spec(), base_url=BASE, tokens=tokens, classify=classify, sleep=sleeps.append
    )
    http.request("GET", "/q")  # (Salesforce's REQUEST_LIMIT_EXCEEDED waits for its allowance)
    assert sleeps == [1.0]  # no hint: the shortest default wait, never a hot loop


# --- 5xx, timeouts ----------------------------------------------------------------------------


def test_it_backs_off_with_full_jitter_then_succeeds(client, vendor, sleeps, monkeypatch):
    bounds: list[tuple[float, float]] = []

    def uniform(lo: float, hi: float) -> float:
        bounds.append((lo, hi))
        return hi

    monkeypatch.setattr(vendor_http.random, "uniform", uniform)
    vendor.get(url("/c"), status=500)
    vendor.get(url("/c"), status=503)
    vendor.get(url("/c"), json={"ok": 1})
    assert client.request("GET", "/c").json() == {"ok": 1}
    assert bounds == [(0, 0.5), (0, 1.0)]  # full jitter: from zero up to base * 2**n
    assert sleeps == [0.5, 1.0]


def test_it_gives_up_after_the_inline_attempts_without_marking_the_error_permanent(
    client, vendor, sleeps, settings
):
    settings.VENDOR_INLINE_ATTEMPTS = 3
    for _ in range(8):
        vendor.get(url("/c"), status=503, json={"message": "down"})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert len(vendor.calls) == 3
    assert not caught.value.permanent
    assert caught.value.retry_after is None
    assert caught.value.status == 503
    assert len(sleeps) == 2


def test_it_retries_timeouts_and_connection_errors(client, vendor, sleeps):
    vendor.get(url("/c"), body=requests.ConnectTimeout("slow"))
    vendor.get(url("/c"), body=requests.ConnectionError("reset"))
    vendor.get(url("/c"), json={})
    assert client.request("GET", "/c").status_code == 200
    errors = list(ApiCall.objects.order_by("attempt").values_list("error", flat=True))
    assert errors == ["timeout", "connection_error", ""]


def test_it_sets_a_connect_and_a_read_timeout_on_every_call(conn, tokens, settings):
    settings.VENDOR_CONNECT_TIMEOUT_SECONDS = 3.0
    seen: list[object] = []

    class Recording(requests.Session):
        def request(self, *args, **kwargs):
            seen.append((kwargs.get("timeout"), kwargs.get("allow_redirects")))
            raise requests.ReadTimeout("no answer")

    http = VendorHttp(
        conn, spec=make_spec(), base_url=BASE, tokens=tokens, timeout=12.0,
        session=Recording(), sleep=lambda s: None,
    )  # fmt: skip
    with pytest.raises(ConnectorError):
        http.request("GET", "/c")
    assert seen and all(s == ((3.0, 12.0), False) for s in seen)


# --- permanent refusals -----------------------------------------------------------------------


def test_it_fails_a_400_after_one_attempt_with_the_vendors_message(client, vendor, sleeps):
    body = {
        "status": "error",
        "message": "Property values were not valid",
        "category": "VALIDATION_ERROR",
    }
    vendor.post(url("/crm/v3/objects/contacts"), status=400, json=body)
    with pytest.raises(ConnectorError) as caught:
        client.request("POST", "/crm/v3/objects/contacts", json={"properties": {}})
    assert len(vendor.calls) == 1 and sleeps == []
    assert caught.value.permanent and caught.value.status == 400
    assert "Property values were not valid" in str(caught.value)
    assert caught.value.code == "VALIDATION_ERROR"


def test_it_returns_a_status_the_caller_expects(client, vendor):
    vendor.get(url("/crm/v3/objects/contacts/42"), status=404, json={"message": "not found"})
    response = client.request("GET", "/crm/v3/objects/contacts/42", expect={200, 404})
    assert response.status_code == 404
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/crm/v3/objects/contacts/42")
    assert caught.value.permanent and caught.value.status == 404


# --- 401 ---------------------------------------------------------------------------------------


def test_it_refreshes_once_on_a_401_and_retries_with_the_new_token(client, vendor, tokens):
    vendor.get(url("/c"), status=401, json={"category": "EXPIRED_AUTHENTICATION"})
    vendor.get(url("/c"), json={"ok": 1})
    assert client.request("GET", "/c").json() == {"ok": 1}
    assert tokens.rejected == ["tok-1"]
    sent = [c.request.headers["Authorization"] for c in vendor.calls]
    assert sent == ["Bearer tok-1", "Bearer tok-2"]


def test_it_fails_after_a_second_401_without_a_second_refresh(client, vendor, tokens):
    for _ in range(3):
        vendor.get(url("/c"), status=401, json={"message": "Authentication credentials not found"})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert tokens.rejected == ["tok-1"]
    assert len(vendor.calls) == 2
    error = caught.value
    assert (error.status, error.permanent, error.needs_reauth) == (401, True, False)


def test_it_lets_classify_mark_a_session_as_expired(conn, tokens, vendor):
    vendor.get(url("/q"), status=400, json=[{"errorCode": "INVALID_SESSION_ID", "message": "x"}])
    vendor.get(url("/q"), json={})

    def classify(response: requests.Response) -> str | None:
        body = response.json()
        expired = isinstance(body, list) and body[0].get("errorCode") == "INVALID_SESSION_ID"
        return UNAUTHORIZED if expired else None

    VendorHttp(conn, spec=make_spec(), base_url=BASE, tokens=tokens, classify=classify).request(
        "GET", "/q"
    )
    assert tokens.rejected == ["tok-1"]


# --- URLs and redirects -----------------------------------------------------------------------


def test_it_follows_an_absolute_next_page_link_on_the_same_host(client, vendor):
    vendor.get(url("/v1.0/me/events"), json={"value": []})
    client.request("GET", BASE + "/v1.0/me/events?$skiptoken=abc")
    assert vendor.calls[0].request.url == BASE + "/v1.0/me/events?%24skiptoken=abc" or (
        vendor.calls[0].request.url == BASE + "/v1.0/me/events?$skiptoken=abc"
    )


def test_it_keeps_a_base_url_path_prefix(conn, tokens, vendor):
    vendor.get("http://127.0.0.1:8000/emulators/hubspot/crm/v3/x", json={})
    base = "http://127.0.0.1:8000/emulators/hubspot/"
    VendorHttp(conn, spec=make_spec(), base_url=base, tokens=tokens).request("GET", "/crm/v3/x")
    assert len(vendor.calls) == 1


def test_it_refuses_an_absolute_url_on_another_host(client, vendor):
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "https://evil.test/steal")
    assert caught.value.permanent and caught.value.code == "foreign_url"
    assert len(vendor.calls) == 0


def test_it_refuses_a_redirect_to_another_host(client, vendor):
    vendor.get(url("/c"), status=302, headers={"Location": "https://evil.test/collect"})
    vendor.get("https://evil.test/collect", json={})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert caught.value.permanent and caught.value.code == "redirect_refused"
    assert [c.request.url for c in vendor.calls] == [url("/c")]


def test_it_follows_a_redirect_on_the_same_host(client, vendor):
    vendor.get(url("/old"), status=301, headers={"Location": "/new"})
    vendor.get(url("/new"), json={"here": 1})
    assert client.request("GET", "/old").json() == {"here": 1}
    assert vendor.calls[1].request.headers["Authorization"] == "Bearer tok-1"


# --- the call log and secrets -----------------------------------------------------------------


def test_it_records_each_attempt_without_query_strings(client, vendor, conn, world):
    vendor.get(url("/crm/v3/objects/contacts/search"), status=500)
    vendor.get(url("/crm/v3/objects/contacts/search"), json={})
    client.request("GET", "/crm/v3/objects/contacts/search", params={"email": "jo@example.com"})
    rows = list(ApiCall.objects.order_by("attempt"))
    outcomes = [(r.attempt, r.status, r.error) for r in rows]
    assert outcomes == [(1, 500, "server_error"), (2, 200, "")]
    for row in rows:
        assert row.path == "/crm/v3/objects/contacts/search"
        assert (row.client_id, row.connection_id, row.provider, row.method) == (
            world.client_a.pk,
            conn.pk,
            "hubspot",
            "GET",
        )


def test_it_records_the_rate_limit_state_of_each_attempt(client, vendor, sleeps):
    throttled = {
        "Retry-After": "7",
        "X-HubSpot-RateLimit-Max": "110",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    vendor.get(url("/c"), status=429, headers=throttled, json={"message": "slow"})
    vendor.get(url("/c"), json={}, headers={"X-HubSpot-RateLimit-Remaining": "109"})
    client.request("GET", "/c")
    rows = list(ApiCall.objects.order_by("attempt"))
    states = [(r.error, r.rate_remaining, r.rate_limit, r.waited_ms) for r in rows]
    # The second attempt was held 7 s by the vendor's Retry-After; it says 109 are left.
    assert states == [("rate_limited", 0, 110, 0), ("", 109, None, 7000)]


@pytest.mark.parametrize(
    ("headers", "state"),
    [
        ({"x-ratelimit-limit": "80", "x-ratelimit-remaining": "79"}, (79, 80)),
        ({"Sforce-Limit-Info": "api-usage=25/15000"}, (14975, 15000)),
        ({"Sforce-Limit-Info": "api-usage=15010/15000"}, (0, 15000)),
        ({}, (None, None)),
    ],
)
def test_it_reads_the_remaining_allowance_each_vendor_states(client, vendor, headers, state):
    vendor.get(url("/c"), json={}, headers=headers)
    client.request("GET", "/c")
    row = ApiCall.objects.get()
    assert (row.rate_remaining, row.rate_limit) == state


def test_it_masks_emails_and_phones_in_recorded_paths(client, vendor):
    vendor.get(url("/crm/v3/objects/contacts/jo@example.com"), json={})
    vendor.get(url("/customers/+14155550100"), json={})
    client.request("GET", "/crm/v3/objects/contacts/jo@example.com")
    client.request("GET", "/customers/+14155550100")
    paths = set(ApiCall.objects.values_list("path", flat=True))
    assert paths == {"/crm/v3/objects/contacts/{redacted}", "/customers/{redacted}"}


def test_it_never_puts_a_token_in_a_log_line_an_error_or_the_call_log(conn, vendor, caplog, sleeps):
    class Tokens(CountingTokens):
        def __init__(self) -> None:
            super().__init__()
            self.current = STORED

    echo = {"message": f"Invalid token {STORED} for portal", "category": "INVALID_AUTHENTICATION"}
    vendor.get(url("/c"), status=500)
    vendor.get(url("/c"), status=401, json=echo)
    vendor.get(url("/c"), status=400, json=echo)
    http = VendorHttp(conn, spec=make_spec(), base_url=BASE, tokens=Tokens(), sleep=sleeps.append)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConnectorError) as caught:
        http.request("GET", "/c", params={"access_token": STORED})
    assert STORED not in str(caught.value) and "Invalid token" in str(caught.value)
    assert caplog.records, "the failures should have been logged"
    assert all(STORED not in r.getMessage() for r in caplog.records)
    for row in ApiCall.objects.all():
        assert STORED not in f"{row.path} {row.error} {row.method}"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (
            {"status": "error", "message": "Bad", "category": "VALIDATION_ERROR"},
            "Bad",
            "VALIDATION_ERROR",
        ),
        (
            [{"message": "Required fields missing", "errorCode": "REQUIRED_FIELD_MISSING"}],
            "Required fields missing",
            "REQUIRED_FIELD_MISSING",
        ),
        (
            {"code": "INVALID_DATA", "message": "invalid data", "status": "error"},
            "invalid data",
            "INVALID_DATA",
        ),
        (
            {
                "data": [
                    {
                        "code": "MANDATORY_NOT_FOUND",
                        "message": "required field not found",
                        "status": "error",
                    }
                ]
            },
            "required field not found",
            "MANDATORY_NOT_FOUND",
        ),
        (
            {"success": False, "error": "Person not found", "error_info": "See docs"},
            "Person not found",
            "http_422",
        ),
        (
            {"error": "invalid_request", "error_description": "Missing scope"},
            "Missing scope",
            "invalid_request",
        ),
        (
            {
                "error": {
                    "code": 403,
                    "message": "Rate Limit Exceeded",
                    "errors": [{"reason": "rateLimitExceeded"}],
                }
            },
            "Rate Limit Exceeded",
            "rateLimitExceeded",
        ),
        (
            {"error": {"code": "ErrorItemNotFound", "message": "Not found."}},
            "Not found.",
            "ErrorItemNotFound",
        ),
        (
            {
                "errors": [
                    {
                        "category": "INVALID_REQUEST_ERROR",
                        "code": "NOT_FOUND",
                        "detail": "No customer",
                    }
                ]
            },
            "No customer",
            "NOT_FOUND",
        ),
    ],
)
def test_it_extracts_the_vendors_message_from_common_shapes(client, vendor, body, message, code):
    vendor.get(url("/e"), status=422, json=body)
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/e")
    assert str(caught.value) == f"hubspot 422: {message}"
    assert caught.value.code == code


def test_it_caps_a_long_vendor_message(client, vendor):
    vendor.get(url("/e"), status=400, json={"message": "x" * 5000})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/e")
    assert len(str(caught.value)) <= 320


def test_it_does_not_echo_an_html_error_page(client, vendor):
    vendor.get(url("/e"), status=400, body="<html><body>secret internals</body></html>")
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/e")
    assert "internals" not in str(caught.value)
    assert str(caught.value) == "hubspot 400: Bad Request"


def test_it_reads_an_epoch_reset_header_as_a_moment(client, vendor, sleeps):
    reset_at = time.time() + 5
    vendor.get(url("/c"), status=429, headers={"x-ratelimit-reset": str(int(reset_at))})
    vendor.get(url("/c"), json={})
    client.request("GET", "/c")
    assert len(sleeps) == 1 and 3.5 < sleeps[0] <= 5


# --- writes that may have landed ------------------------------------------------------------


def test_it_does_not_repeat_a_post_whose_answer_never_came(client, vendor, sleeps):
    vendor.post(url("/crm/v3/objects/contacts"), body=requests.ReadTimeout("no answer"))
    vendor.post(url("/crm/v3/objects/contacts"), json={"id": "2"})
    with pytest.raises(ConnectorError) as caught:
        client.request("POST", "/crm/v3/objects/contacts", json={"properties": {}})
    assert len(vendor.calls) == 1  # the job's retry searches before it creates again
    assert caught.value.code == "timeout" and not caught.value.permanent
    assert ApiCall.objects.get().error == "timeout"


def test_it_repeats_a_get_whose_answer_never_came(client, vendor, sleeps):
    vendor.get(url("/c"), body=requests.ReadTimeout("no answer"))
    vendor.get(url("/c"), json={})
    assert client.request("GET", "/c").ok
    assert len(vendor.calls) == 2


def test_it_repeats_a_post_that_never_connected(conn, tokens, sleeps, settings):
    settings.VENDOR_INLINE_ATTEMPTS = 3
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = VendorHttp(
        conn, spec=make_spec(), base_url=f"http://127.0.0.1:{port}", tokens=tokens,
        sleep=sleeps.append,
    )  # fmt: skip
    with pytest.raises(ConnectorError) as caught:
        http.request("POST", "/crm/v3/objects/contacts", json={})
    assert caught.value.code == "connection_error" and not caught.value.permanent
    assert ApiCall.objects.filter(error="connection_error").count() == 3


def test_it_keeps_method_and_body_on_a_same_host_307(client, vendor):
    vendor.post(url("/v1/a"), status=307, headers={"Location": url("/v2/a")})
    vendor.post(url("/v2/a"), json={"id": 1})
    client.request("POST", "/v1/a", json={"name": "Jo"})
    assert vendor.calls[1].request.method == "POST"
    assert vendor.calls[1].request.body == b'{"name": "Jo"}'


def test_it_records_a_refused_redirect(client, vendor):
    vendor.get(url("/c"), status=302, headers={"Location": "https://evil.test/x"})
    with pytest.raises(ConnectorError):
        client.request("GET", "/c")
    row = ApiCall.objects.get()
    assert (row.status, row.error, row.path) == (302, "redirect_refused", "/c")


def test_it_never_asks_celery_to_wait_past_the_visibility_timeout(client, vendor, settings):
    vendor.get(url("/c"), status=429, headers={"Retry-After": str(10 * 24 * 3600)})
    with pytest.raises(ConnectorError) as caught:
        client.request("GET", "/c")
    assert caught.value.retry_after == settings.CELERY_MAX_COUNTDOWN


def test_it_marks_a_rejected_app_password_as_needing_a_person(conn, tokens, vendor):
    conn.settings = {"username": "alice"}
    vendor.add("PROPFIND", url("/dav/"), status=401)
    http = VendorHttp(conn, spec=make_spec(auth_header="basic"), base_url=BASE, tokens=tokens)
    with pytest.raises(ConnectorError) as caught:
        http.request("PROPFIND", "/dav/", expect={207})
    assert caught.value.needs_reauth and caught.value.permanent
    assert tokens.rejected == [] and len(vendor.calls) == 1


def test_it_refuses_an_unknown_auth_header_style(conn):
    with pytest.raises(ValueError):
        VendorHttp(conn, spec=make_spec(auth_header="cookie"), base_url=BASE)
