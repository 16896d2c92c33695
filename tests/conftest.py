"""Shared fixtures: two clients of one agency, an outsider agency, staff of every role.

Like healthchecks' base test case, every test can make a cross-tenant check in one line.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tenants.models import Agency, ApiKey, Client, Membership, Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct-horse-battery"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; under CI a missing service is a failure."""
    if condition:
        return
    if not IN_CI:
        pytest.skip(reason)
    pytest.fail(f"CI requires it: {reason}")


SUITE_STARTED = pytest.StashKey[float]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n`` the tests marked ``slow`` (the kill storm) start first: the run ends
    no sooner than they do, so they run beside the rest rather than after it. Every xdist
    worker sorts alike (xdist requires one order); without ``-n`` the order is unchanged."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[SUITE_STARTED] = time.monotonic()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """The suite's wall time beside the test time it held (every test's setup, call and
    teardown added up) and the processes it ran in, so CI's log shows what `-n` bought."""
    if SUITE_STARTED not in config.stash:
        return
    wall = time.monotonic() - config.stash[SUITE_STARTED]
    reports = [
        r
        for key in ("passed", "failed", "error", "skipped")
        for r in terminalreporter.stats.get(key, [])
    ]
    held = sum(getattr(report, "duration", 0.0) for report in reports)
    processes = getattr(config.option, "numprocesses", None) or 1
    terminalreporter.write_sep(
        "=",
        f"suite wall time {wall:.0f} s ({wall / 60:.1f} min) in {processes} process(es); "
        f"test time {held:.0f} s",
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, locks, rate-limit buckets, concurrency slots and kept-alive vendor
    connections never leak from one test to the next."""
    from django.core.cache import cache

    from connectors import concurrency, ratelimit

    cache.clear()
    ratelimit.reset_all()
    concurrency.reset_all()
    yield
    close_kept_alive_sessions()


def close_kept_alive_sessions() -> None:
    """Close this thread's kept-alive vendor session (``connectors.http``): against the live
    server it holds a server thread, and that thread's database connection, past the test and
    past the test database's teardown. Threads a test starts call this before they end."""
    from connectors.http import close_shared_session

    close_shared_session()


@dataclass
class World:
    agency: Agency
    client_a: Client
    client_b: Client
    outsider_agency: Agency
    outsider_client: Client
    key_a: str
    key_b: str
    key_outsider: str


def make_user(email: str, agency: Agency | None = None, role: str = Role.OWNER, **extra):
    user = get_user_model().objects.create_user(
        username=email, email=email, password=PASSWORD, **extra
    )
    if agency is not None:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def world(db) -> World:
    agency = Agency.objects.create(name="Northwind Agency", slug="northwind")
    client_a = Client.objects.create(
        agency=agency,
        name="Alpha Dental",
        slug="alpha",
        default_region="US",
        crm_provider="hubspot",
    )
    client_b = Client.objects.create(
        agency=agency,
        name="Bravo Bakery",
        slug="bravo",
        default_region="GB",
        time_zone="Europe/London",
        crm_provider="salesforce",
    )
    outsider = Agency.objects.create(name="Outsider Agency", slug="outsider")
    outsider_client = Client.objects.create(agency=outsider, name="Zulu Gym", slug="zulu")
    return World(
        agency=agency,
        client_a=client_a,
        client_b=client_b,
        outsider_agency=outsider,
        outsider_client=outsider_client,
        key_a=ApiKey.issue(client=client_a, name="a")[1],
        key_b=ApiKey.issue(client=client_b, name="b")[1],
        key_outsider=ApiKey.issue(client=outsider_client, name="z")[1],
    )


@pytest.fixture
def owner(world):
    return make_user("owner@northwind.example", world.agency, Role.OWNER)


@pytest.fixture
def viewer(world):
    return make_user("viewer@northwind.example", world.agency, Role.VIEWER)


@pytest.fixture
def operator(world):
    return make_user("operator@northwind.example", world.agency, Role.OPERATOR)


@pytest.fixture
def outsider_staff(world):
    return make_user("staff@outsider.example", world.outsider_agency, Role.OWNER)


@pytest.fixture
def api():
    return APIClient()


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
