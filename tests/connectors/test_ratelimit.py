"""Rate-limit buckets: the limit holds at the vendor's door, and every call still completes.

Each test runs on the file backend (the embedded default) and, when REDIS_URL is set, on Redis
(under CI a missing Redis fails the Redis cases). The oracle for bursts is a local HTTP server
that records when each request arrived.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from django.db import connections

from connectors import ratelimit
from connectors.base import ConnectorError, ProviderSpec, RateLimit
from connectors.http import VendorHttp
from connectors.models import Connection
from tests.conftest import require

BACKENDS = ["files", "redis"]
# Bursts: 4 per 0.8 s. Bare ``acquire`` grants are stamped when their process wakes, which may
# lag the grant by scheduling noise, so their windows are checked with this much slack (a burst
# without limits puts all 12 calls inside one window).
BURST_LIMIT = RateLimit(requests=4, per_seconds=0.8)
SLACK = 0.2


@pytest.fixture(params=BACKENDS)
def backend(request, settings, tmp_path) -> str:
    """Point the buckets at one backend; file state lives in this test's own directory."""
    redis_url = getattr(settings, "REDIS_URL", "")
    if request.param == "redis":
        require(bool(redis_url), "REDIS_URL is not set")
    else:
        settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    return request.param


def fresh_key() -> str:
    return f"rl:test:{uuid.uuid4().hex}"


def max_in_window(stamps: list[float], window: float) -> int:
    """The most stamps that fall in any half-open interval of length ``window``."""
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


# --- the bucket itself --------------------------------------------------------------------------


def test_it_grants_the_limit_at_once_then_says_how_long_to_wait(backend):
    key, limit = fresh_key(), RateLimit(requests=3, per_seconds=60)
    assert [ratelimit.acquire(key, limit, max_wait=0) for _ in range(3)] == [0, 0, 0]
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.acquire(key, limit, max_wait=5)
    assert 55 < caught.value.retry_after <= 60
    assert ratelimit.peek(key, limit) == 0


def test_it_reserves_nothing_when_it_refuses(backend):
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=60)
    ratelimit.acquire(key, limit, max_wait=0)
    for _ in range(5):
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.acquire(key, limit, max_wait=1)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.acquire(key, limit, max_wait=1)
    assert caught.value.retry_after <= 60  # refusals did not push the slot further away


def test_it_sleeps_until_the_reserved_slot(backend):
    key, limit = fresh_key(), RateLimit(requests=2, per_seconds=30)
    slept: list[float] = []
    ratelimit.acquire(key, limit, max_wait=0)
    ratelimit.acquire(key, limit, max_wait=0)
    waited = ratelimit.acquire(key, limit, max_wait=60, sleep=slept.append)
    assert 25 < waited <= 30 and slept == [waited]
    # Later callers queue behind the reservations instead of competing for them: the fourth
    # shares the third's window, the fifth gets the window after.
    fourth = ratelimit.acquire(key, limit, max_wait=60, sleep=slept.append)
    fifth = ratelimit.acquire(key, limit, max_wait=90, sleep=slept.append)
    assert 25 < fourth <= 30 and 55 < fifth <= 60


def test_it_resets_a_bucket(backend):
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=60)
    ratelimit.acquire(key, limit, max_wait=0)
    ratelimit.reset(key)
    assert ratelimit.peek(key, limit) == 1
    assert ratelimit.acquire(key, limit, max_wait=0) == 0


def test_it_holds_a_bucket_shut_when_deferred(backend):
    key, limit = fresh_key(), RateLimit(requests=100, per_seconds=10)
    ratelimit.defer(key, limit, 40)
    assert ratelimit.peek(key, limit) == 0
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.acquire(key, limit, max_wait=10)
    assert 35 < caught.value.retry_after <= 40


def test_it_refuses_a_limit_that_admits_nothing():
    with pytest.raises(ValueError):
        ratelimit.acquire(fresh_key(), RateLimit(requests=0, per_seconds=1), max_wait=1)


# --- a slot is held until a window after its call's answer -------------------------------------


def test_it_keeps_the_slot_of_a_call_still_out_past_the_window(backend):
    """A call whose answer has not come back may not have reached the vendor yet: its slot
    stays taken, whatever the window since its grant."""
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=0.5)
    ticket = ratelimit.take(key, limit, max_wait=0, lease=60)
    time.sleep(0.8)  # past the window since the grant (the rule before answer times let it go)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.take(key, limit, max_wait=0, lease=60)
    assert caught.value.retry_after > limit.per_seconds - CLOCKS  # after an answer yet to come
    ratelimit.done(ticket)
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.take(key, limit, max_wait=0, lease=60)
    assert 0.25 < caught.value.retry_after <= limit.per_seconds  # a window after the answer


def test_it_frees_the_slot_of_a_call_never_done_when_its_lease_ends(backend):
    """A worker that dies between its grant and ``done`` holds the slot only for its lease."""
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=0.3)
    ratelimit.take(key, limit, max_wait=0, lease=0.3)  # never done
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.take(key, limit, max_wait=0, lease=0.3)
    time.sleep(0.8)  # its lease, then a window, are over
    assert ratelimit.take(key, limit, max_wait=0, lease=0.3).waited == 0


def test_it_withdraws_a_reservation_whose_slot_stays_unknown_past_its_budget(backend):
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=0.5)
    first = ratelimit.take(key, limit, max_wait=0, lease=60)  # out, answer unknown
    slept: list[float] = []
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.take(key, limit, max_wait=0.5, lease=60, sleep=slept.append)
    assert slept and sum(slept) <= 0.5 + limit.per_seconds  # the budget and one window more
    ratelimit.done(first)
    # The withdrawn reservation holds nothing: the next caller waits for the first call only.
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.take(key, limit, max_wait=0, lease=60)
    assert caught.value.retry_after <= limit.per_seconds


def test_it_bounds_a_raised_limit_by_the_oldest_answer_it_kept(backend):
    """A bucket keeps answers for its last ``requests`` calls; raised (``VENDOR_QUOTAS``), a call
    depending on one forgotten waits for the oldest kept, not for the latest answer."""
    key, small, raised = fresh_key(), RateLimit(2, 0.3), RateLimit(4, 10)
    first = ratelimit.take(key, small, max_wait=0, lease=60)
    second = ratelimit.take(key, small, max_wait=0, lease=60)
    ratelimit.done(first)
    ratelimit.done(second)
    time.sleep(1.0)
    ratelimit.done(ratelimit.take(key, small, max_wait=0, lease=60))  # call 0 is forgotten
    ratelimit.done(ratelimit.take(key, raised, max_wait=0, lease=60))  # room under the raise
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.take(key, raised, max_wait=0, lease=60)  # depends on call 0
    assert caught.value.retry_after <= raised.per_seconds - 1.0  # call 1's answer bounds it


LAGGED = RateLimit(requests=2, per_seconds=0.6)
LAG = 0.3
# Arrival stamps and the buckets' clock are read on one host; a millisecond covers the stored
# times' rounding. No allowance for lateness: that is what answer times are for.
CLOCKS = 0.001


def _lagged_burst(url: str, grab) -> None:
    """Six threads call at once; the first ``LAGGED.requests`` granted reach the server ``LAG``
    seconds late (a thread woken late, a queue on the way), the rest at once."""
    order = iter(range(100))
    lock = threading.Lock()

    def call() -> None:
        finish = grab()
        with lock:
            late = next(order) < LAGGED.requests
        if late:
            time.sleep(LAG)
        session = requests.Session()
        try:
            session.get(url, timeout=10)
        finally:
            finish()
            session.close()

    pool = [threading.Thread(target=call) for _ in range(6)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)


def test_it_keeps_the_limit_at_the_vendors_door_when_calls_arrive_late(backend, server):
    key = fresh_key()

    def grab():
        ticket = ratelimit.take(key, LAGGED, max_wait=30, lease=30)
        return lambda: ratelimit.done(ticket)

    _lagged_burst(f"http://127.0.0.1:{server.server_port}/", grab)
    assert len(server.stamps) == 6
    assert max_in_window(server.stamps, LAGGED.per_seconds - CLOCKS) <= LAGGED.requests


def test_it_lets_late_calls_through_over_the_limit_when_slots_free_at_the_grant(backend, server):
    """Negative control: the rule before answer times (a slot free a window after its grant)
    lets the on-time calls of the next window land beside the late ones of the first."""
    key = fresh_key()

    def grab():
        ratelimit.acquire(key, LAGGED, max_wait=30)
        return lambda: None

    _lagged_burst(f"http://127.0.0.1:{server.server_port}/", grab)
    assert len(server.stamps) == 6
    assert max_in_window(server.stamps, LAGGED.per_seconds - CLOCKS) > LAGGED.requests


# --- answers held for the next reservation (a sync job's run) -----------------------------------


def test_it_records_a_held_answer_with_the_next_reservation_in_one_round_trip(backend, monkeypatch):
    key, limit = fresh_key(), RateLimit(requests=1, per_seconds=0.3)
    trips: list[object] = []
    real = ratelimit._call
    monkeypatch.setattr(ratelimit, "_call", lambda op: trips.append(op) or real(op))
    with ratelimit.answers_batched():
        ratelimit.done(ratelimit.take(key, limit, max_wait=0, lease=60))
        assert len(trips) == 1  # the answer is held
        second = ratelimit.take(key, limit, max_wait=1, lease=60)
        assert len(trips) == 2  # answer and reservation together, and the grant is final
        assert 0.2 < second.waited <= limit.per_seconds + CLOCKS  # a window after that answer
        ratelimit.done(second)
        assert len(trips) == 2
    assert len(trips) == 3  # the last answer, when the block ends
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.take(key, limit, max_wait=0, lease=60)
    assert caught.value.retry_after <= limit.per_seconds  # answered, not left to its lease


def test_it_keeps_the_limit_at_the_vendors_door_when_answers_ride_with_the_next_take(
    backend, server
):
    """Answers recorded late, with each thread's next reservation or at the end of its block,
    still leave no window with more than ``requests`` arrivals, late arrivals included."""
    key, url = fresh_key(), f"http://127.0.0.1:{server.server_port}/"

    def calls(late: bool) -> None:
        session = requests.Session()
        with ratelimit.answers_batched():
            for _ in range(2):
                ticket = ratelimit.take(key, LAGGED, max_wait=30, lease=30)
                if late:
                    time.sleep(LAG)
                try:
                    session.get(url, timeout=10)
                finally:
                    ratelimit.done(ticket)
                time.sleep(0.05)  # the job's own work between calls: the answer is held
        session.close()

    pool = [threading.Thread(target=calls, args=(i == 0,)) for i in range(3)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    assert len(server.stamps) == 6
    assert max_in_window(server.stamps, LAGGED.per_seconds - CLOCKS) <= LAGGED.requests


# --- across processes (the embedded default has no Redis) --------------------------------------


def _take(key: str, limit: RateLimit, count: int, max_wait: float, out) -> None:
    granted: list[float] = []
    for _ in range(count):
        try:
            ratelimit.acquire(key, limit, max_wait=max_wait)
        except ratelimit.RateLimited:
            continue
        granted.append(time.time())
    out.put(granted)


def _run_processes(key: str, limit: RateLimit, procs: int, each: int, max_wait: float):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_take, args=(key, limit, each, max_wait, out)) for _ in range(procs)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    return [stamp for granted in results for stamp in granted]


def test_it_admits_exactly_the_limit_across_processes(backend):
    key, limit = fresh_key(), RateLimit(requests=10, per_seconds=60)
    granted = _run_processes(key, limit, procs=4, each=10, max_wait=0)
    assert len(granted) == 10


def test_it_spaces_queued_grants_across_processes(backend):
    key, limit = fresh_key(), BURST_LIMIT
    granted = _run_processes(key, limit, procs=4, each=3, max_wait=30)
    assert len(granted) == 12  # everyone got through
    assert max_in_window(granted, limit.per_seconds - SLACK) <= limit.requests


# --- through VendorHttp against a real local server ----------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    stamps: list[float]

    def do_GET(self) -> None:
        self.server.stamps.append(time.monotonic())
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.stamps = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


class StaticTokens:
    def access_token(self, connection: Connection) -> str:
        return "tok"

    def refresh(self, connection: Connection, *, rejected_token: str) -> str:
        return "tok"


def _spec(*limits: RateLimit) -> ProviderSpec:
    return ProviderSpec(
        slug="hubspot", kind="crm", display_name="HubSpot", auth="oauth2",
        api_base="http://127.0.0.1", rate_limits=limits,
    )  # fmt: skip


def _burst(conn: Connection, spec: ProviderSpec, base: str, calls: int, threads: int) -> list:
    """``calls`` requests from ``threads`` threads through one connection; returns errors."""
    errors: list[Exception] = []
    lock = threading.Lock()
    per_thread = calls // threads

    def work() -> None:
        http = VendorHttp(conn, spec=spec, base_url=base, tokens=StaticTokens())
        try:
            for _ in range(per_thread):
                try:
                    http.request("GET", "/crm/v3/objects/contacts")
                except ConnectorError as exc:
                    with lock:
                        errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    return errors


@pytest.fixture
def live_conn(transactional_db, world) -> Connection:
    return Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")


def test_it_keeps_a_threaded_burst_within_the_limit_and_completes_every_call(
    backend, live_conn, server, settings
):
    settings.VENDOR_INLINE_WAIT_SECONDS = 30
    limit = BURST_LIMIT
    spec = _spec(limit)
    ratelimit.reset(VendorHttp(live_conn, spec=spec, base_url="http://x").bucket_key(limit))
    base = f"http://127.0.0.1:{server.server_port}"
    errors = _burst(live_conn, spec, base, calls=12, threads=6)
    assert errors == []
    assert len(server.stamps) == 12
    # No slack for lateness: through VendorHttp a slot comes back a window after the answer.
    assert max_in_window(server.stamps, limit.per_seconds - CLOCKS) <= limit.requests


def test_it_lets_the_same_burst_through_unchecked_without_limits(live_conn, server):
    """Negative control: the window check above does see a burst."""
    base = f"http://127.0.0.1:{server.server_port}"
    assert _burst(live_conn, _spec(), base, calls=12, threads=6) == []
    assert max_in_window(server.stamps, BURST_LIMIT.per_seconds - SLACK) > BURST_LIMIT.requests


# --- buckets are per connection -----------------------------------------------------------------


BASE = "https://api.hubapi.test"


@pytest.fixture
def two_clients(world) -> tuple[Connection, Connection]:
    a = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    b = Connection.objects.create(client=world.client_b, provider="hubspot", kind="crm")
    return a, b


def _ten_x_burst(a: Connection, b: Connection, limit: RateLimit) -> tuple[int, int, int]:
    """50 calls on A (10x its limit of 5), then 5 on B: (A delayed, B sent, B delayed)."""
    spec = _spec(limit)
    for conn in (a, b):
        ratelimit.reset(VendorHttp(conn, spec=spec, base_url=BASE).bucket_key(limit))
    with responses.RequestsMock() as vendor:
        vendor.get(BASE + "/crm/v3/objects/contacts", json={})
        outcomes = {}
        for name, conn, calls in (("a", a, 50), ("b", b, 5)):
            http = VendorHttp(conn, spec=spec, base_url=BASE, tokens=StaticTokens())
            delayed = 0
            for _ in range(calls):
                try:
                    http.request("GET", "/crm/v3/objects/contacts")
                except ConnectorError as exc:
                    assert exc.retry_after and exc.retry_after > 0 and not exc.permanent
                    delayed += 1
            outcomes[name] = (len(vendor.calls), delayed)
    sent_b = outcomes["b"][0] - outcomes["a"][0]
    return outcomes["a"][1], sent_b, outcomes["b"][1]


def test_it_keeps_a_burst_on_one_connection_from_slowing_another_client(
    backend, two_clients, settings
):
    settings.VENDOR_INLINE_WAIT_SECONDS = 0
    a_delayed, b_sent, b_delayed = _ten_x_burst(*two_clients, RateLimit(5, 60))
    assert a_delayed == 45  # delayed for Celery to retry, not sent, not failed
    assert (b_sent, b_delayed) == (5, 0)


def test_it_shares_an_app_wide_bucket_between_clients(backend, two_clients, settings):
    """Negative control: with one app-wide bucket, B is held back by A's burst."""
    settings.VENDOR_INLINE_WAIT_SECONDS = 0
    _, b_sent, b_delayed = _ten_x_burst(*two_clients, RateLimit(5, 60, scope="app"))
    assert (b_sent, b_delayed) == (0, 5)


def test_it_reports_an_unreachable_bucket_store_as_a_transient_error(
    two_clients, settings, tmp_path
):
    settings.REDIS_URL = ""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings.VAR_DIR = blocker  # the state directory cannot be created under a file
    http = VendorHttp(two_clients[0], spec=_spec(RateLimit(5, 60)), base_url=BASE)
    with pytest.raises(ConnectorError) as caught:
        http.request("GET", "/x")
    assert caught.value.code == "ratelimit_unavailable" and not caught.value.permanent


def test_it_makes_sibling_workers_wait_out_a_vendor_429(backend, two_clients, settings):
    """One worker's 429 with Retry-After holds the connection's bucket for every worker."""
    a, b = two_clients
    limit = RateLimit(100, 10)
    spec = _spec(limit)
    for conn in (a, b):
        ratelimit.reset(VendorHttp(conn, spec=spec, base_url=BASE).bucket_key(limit))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as vendor:
        vendor.get(BASE + "/x", status=429, headers={"Retry-After": "30"})
        vendor.get(BASE + "/x", json={})
        first, sibling, other = (
            VendorHttp(conn, spec=spec, base_url=BASE, tokens=StaticTokens()) for conn in (a, a, b)
        )
        with pytest.raises(ConnectorError) as vendor_said:
            first.request("GET", "/x")
        with pytest.raises(ConnectorError) as bucket_said:
            sibling.request("GET", "/x")
        assert other.request("GET", "/x").ok
        assert len(vendor.calls) == 2  # the sibling never reached the vendor
    assert vendor_said.value.retry_after == 30
    assert bucket_said.value.code == "rate_limited_local"
    assert 25 < bucket_said.value.retry_after <= 30


def test_it_records_a_held_answer_before_an_inline_wait(backend, world, monkeypatch):
    """A retry's backoff sleeps inline: the failed attempt's slot is answered first, not held
    through the sleep."""
    conn = Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    trips: list[object] = []
    real = ratelimit._call
    monkeypatch.setattr(ratelimit, "_call", lambda op: trips.append(op) or real(op))
    trips_at_sleep: list[int] = []
    spec = _spec(RateLimit(requests=100, per_seconds=10, scope="connection"))
    http = VendorHttp(
        conn, spec=spec, base_url="http://127.0.0.1", tokens=StaticTokens(),
        sleep=lambda seconds: trips_at_sleep.append(len(trips)),
    )  # fmt: skip
    with responses.RequestsMock() as vendor, ratelimit.answers_batched():
        vendor.get("http://127.0.0.1/c", status=503)
        vendor.get("http://127.0.0.1/c", json={"ok": True})
        assert http.request("GET", "/c").json() == {"ok": True}
        assert len(trips) == 3  # take, the answer before the sleep, take; the last one held
    assert trips_at_sleep == [2]
    assert len(trips) == 4
