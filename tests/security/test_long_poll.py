"""``?wait=N`` cannot stall the web tier: waits are bounded per key and per process, a request
over a bound is answered at once with the current status and Retry-After, and the shipped
server runs threaded workers, so a wait holds a thread, not a process (three waits with one key
once held all three sync workers and ``/healthz`` took 29 s)."""

from __future__ import annotations

import ast
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.db import connection as db_connection
from django.test import override_settings

from connectors.models import Connection
from syncs.intake import long_poll as waits
from tenants.models import hash_api_key

from ..conftest import bearer
from ..worker import ROOT, wait_for
from .servers import DOCKERFILE, GUNICORN_CONFIG, serving

LEAD = {"email": "mary@example.com", "name": "Mary"}


def accepted_event(api, world, key: str, client) -> str:
    """An event that stays ``accepted`` (a CRM is connected, no worker runs): waits on it last."""
    Connection.objects.get_or_create(
        client=client, kind="crm", defaults={"provider": client.crm_provider}
    )
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(key))
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "accepted"
    return response.json()["status_url"]


def hold_waits(api_factory, url: str, key: str, count: int, seconds: int) -> ThreadPoolExecutor:
    """``count`` requests waiting ``seconds`` on ``url`` in threads; returns once all wait."""
    pool = ThreadPoolExecutor(count)

    def wait() -> tuple[int, float, bytes]:
        started = time.monotonic()
        try:
            response = api_factory().get(f"{url}?wait={seconds}", **bearer(key))
            return response.status_code, time.monotonic() - started, response.content[:300]
        finally:
            db_connection.close()

    pool.futures = []  # type: ignore[attr-defined]
    for n in range(1, count + 1):
        # One after another: the embedded default's file cache increments by read and write,
        # so simultaneous takers could both count 1 (Redis's INCR is atomic).
        pool.futures.append(pool.submit(wait))  # type: ignore[attr-defined]
        wait_for(lambda n=n: waits.open_in_process() >= n, timeout=10, interval=0.02)
    return pool


def answer_now(api, url: str, key: str):
    started = time.monotonic()
    response = api.get(f"{url}?wait=30", **bearer(key))
    return response, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
@override_settings(SYNC_WAIT_MAX_PER_KEY=2, SYNC_WAIT_MAX_PER_PROCESS=10)
def test_it_answers_a_key_over_its_bound_at_once(api, world):
    from rest_framework.test import APIClient

    url = accepted_event(api, world, world.key_a, world.client_a)
    url_b = accepted_event(api, world, world.key_b, world.client_b)
    pool = hold_waits(APIClient, url, world.key_a, 2, 6)
    response, took = answer_now(api, url, world.key_a)
    assert waits.open_in_process() == 2  # answered while both holders still wait
    assert took < 3
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert 5 <= int(response["Retry-After"]) <= 10
    # Another key has its own bound: its wait is granted (it waits its second out).
    started = time.monotonic()
    other = api.get(f"{url_b}?wait=1", **bearer(world.key_b))
    assert other.status_code == 200 and "Retry-After" not in other
    assert time.monotonic() - started >= 0.9
    results = [future.result() for future in pool.futures]
    assert all(status == 200 and took >= 5.9 for status, took, _ in results), results
    pool.shutdown()
    # Every slot came back: the key may wait again.
    assert waits.open_in_process() == 0
    from django.core.cache import cache

    assert cache.get(waits.key_counter(hash_api_key(world.key_a))) == 0


@pytest.mark.django_db(transaction=True)
@override_settings(SYNC_WAIT_MAX_PER_KEY=10, SYNC_WAIT_MAX_PER_PROCESS=2)
def test_it_answers_over_the_process_bound_at_once(api, world):
    from rest_framework.test import APIClient

    url = accepted_event(api, world, world.key_a, world.client_a)
    url_b = accepted_event(api, world, world.key_b, world.client_b)
    pool = hold_waits(APIClient, url, world.key_a, 2, 4)
    response, took = answer_now(api, url_b, world.key_b)  # another key: the process is full
    assert waits.open_in_process() == 2
    assert took < 3
    assert response.json()["status"] == "accepted"
    assert 5 <= int(response["Retry-After"]) <= 10
    assert all(result[0] == 200 for result in (f.result() for f in pool.futures))
    pool.shutdown()


@pytest.mark.django_db(transaction=True)
@override_settings(SYNC_WAIT_MAX_PER_KEY=0)
def test_it_sends_no_retry_after_for_a_final_status(api, world):
    response = api.post("/api/v1/leads", LEAD, format="json", **bearer(world.key_a))
    url = response.json()["status_url"]  # no CRM connection: waiting_connection, final
    answer, _ = answer_now(api, url, world.key_a)
    assert answer.json()["status"] == "waiting_connection"
    assert "Retry-After" not in answer


def test_the_shipped_server_runs_threaded_workers():
    config = ast.parse((ROOT / "agency" / "gunicorn_conf.py").read_text())
    assigned = {
        node.targets[0].id: node.value
        for node in config.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["worker_class"]) == "gthread"
    command = DOCKERFILE.read_text().split("gunicorn agency.wsgi:application", 1)[1]
    command = command.split("\n", 1)[0]
    assert f"-c {GUNICORN_CONFIG}" in command
    for override in ("--worker-class", "-k ", "--threads"):
        assert override not in command


def test_it_documents_the_bound(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/events/{event_id}"]["get"]
    assert "SYNC_WAIT_MAX_PER_KEY" in operation["description"]
    assert "Retry-After" in operation["responses"]["200"]["headers"]


@pytest.mark.django_db(transaction=True)
def test_waits_do_not_stall_the_shipped_server(api, world):
    """The probe's case on gunicorn with the shipped configuration (one worker, four threads):
    six parallel waits, then /healthz and a lead post still answer at once."""
    url = accepted_event(api, world, world.key_a, world.client_a)
    path = url.removeprefix("http://testserver")
    log = settings.VAR_DIR / "gunicorn-long-poll.log"
    headers = {"Authorization": f"Bearer {world.key_a}"}
    with serving("gunicorn", log, GUNICORN_THREADS="4", LOG_LEVEL="WARNING") as base:
        results: list[tuple[int, float, str | None]] = []

        def wait() -> None:
            started = time.monotonic()
            response = requests.get(f"{base}{path}?wait=8", headers=headers, timeout=30)
            took = time.monotonic() - started
            results.append((response.status_code, took, response.headers.get("Retry-After")))

        threads = [threading.Thread(target=wait) for _ in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)  # the granted waits are open now
        started = time.monotonic()
        assert requests.get(f"{base}/healthz", timeout=10).ok
        lead = requests.post(f"{base}/api/v1/leads", json=LEAD, headers=headers, timeout=10)
        assert lead.status_code == 202
        assert time.monotonic() - started < 3
        for thread in threads:
            thread.join()
    waited = [took for status, took, retry in results if retry is None]
    refused = [took for status, took, retry in results if retry is not None]
    assert all(status == 200 for status, _, _ in results)
    assert len(waited) == 2 and all(took >= 7.5 for took in waited)  # 4 threads // 2
    assert len(refused) == 4 and all(took < 3 for took in refused)


@override_settings(SYNC_WAIT_RETRY_AFTER_SECONDS=5)
def test_it_spreads_the_retry_after_of_refused_waits():
    """One fixed delay brought a burst of refused pollers back as one wave every 5 s (see
    benchmarks/RESULTS.md); spread over [5, 10] s they come back apart."""
    delays = [waits.retry_after() for _ in range(200)]
    assert min(delays) >= 5 and max(delays) <= 10
    assert len(set(delays)) >= 4
