"""Graph's 4 concurrent requests per app per mailbox, kept on our side (``connectors.concurrency``
through ``VendorHttp``), against the Graph emulator, which refuses a fifth call in flight with
429 "MailboxConcurrency". The oracle is the emulator's own count of refused calls."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django import db
from django.conf import settings as django_settings

from connectors import concurrency
from connectors.base import ConnectorError
from connectors.http import CONCURRENCY_LIMITED_LOCAL, VendorHttp, is_throttle
from connectors.models import ApiCall
from connectors.outlook.client import build
from connectors.outlook.spec import SPEC
from emulators.graph import control
from tests.conftest import close_kept_alive_sessions, require

pytestmark = pytest.mark.django_db(transaction=True)
[MAILBOX_CAP] = SPEC.concurrency_limits


def _slots_key(graph) -> str:
    return VendorHttp(graph.connection, spec=SPEC, base_url="http://x").slots_key(MAILBOX_CAP)


def _list_calendars(graph) -> list[str]:
    try:
        return [c.id for c in build(graph.connection).list_calendars()]
    finally:
        close_kept_alive_sessions()
        db.connection.close()


def test_the_cap_is_graphs_four_per_mailbox():
    assert (MAILBOX_CAP.slots, MAILBOX_CAP.scope) == (4, "account")


def test_eight_concurrent_calls_to_one_mailbox_never_have_five_in_flight(graph, settings):
    """Eight workers call one mailbox at once, each call held 0.5 s at the emulator: four go
    in, four wait for a slot (shared through Redis), and the emulator refuses none."""
    require(bool(django_settings.REDIS_URL), "needs Redis: the slots every worker shares")
    settings.VENDOR_INLINE_WAIT_SECONDS = 60.0  # the waiting four wait inline, not requeue
    control.inject_fault(graph.account, "slow", count=8, seconds=0.5, path="calendars")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _list_calendars(graph), range(8)))
    assert answers == [[graph.calendar]] * 8
    mailbox = control.mailbox(graph.account)
    assert (mailbox.refused, mailbox.api_calls, mailbox.in_flight) == (0, 8, 0)
    assert concurrency.in_use(_slots_key(graph)) == 0  # every slot given back


def test_a_crashed_workers_slots_come_back_when_their_lease_ends(graph, settings):
    """A worker that dies holding slots never gives them back: here four slots taken with a
    short lease and never released. While they last a call cannot get in; once their lease
    has run out the next call takes a slot (it waits inline for that) and gives it back."""
    require(bool(django_settings.REDIS_URL), "needs Redis: the slots every worker shares")
    key = _slots_key(graph)
    for _ in range(4):  # the dead worker's
        concurrency.acquire(key, 4, lease_seconds=5, max_wait=0)
    with pytest.raises(concurrency.ConcurrencyLimited):
        concurrency.acquire(key, 4, lease_seconds=5, max_wait=0)
    settings.VENDOR_INLINE_WAIT_SECONDS = 60.0
    assert _list_calendars(graph) == [graph.calendar]
    assert concurrency.in_use(key) == 0
    assert control.mailbox(graph.account).refused == 0


def test_a_full_mailbox_hands_the_call_back_as_a_throttle(graph, settings):
    """With every slot taken and no time to wait, nothing reaches the emulator and the error
    is a throttle (``is_throttle``): the engine requeues the job without spending an attempt.
    Runs on either store (Redis, or the files of the embedded SQLite mode)."""
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    key = _slots_key(graph)
    held = [concurrency.acquire(key, 4, lease_seconds=60, max_wait=0)[0] for _ in range(4)]
    with pytest.raises(ConnectorError) as refused:
        build(graph.connection).list_calendars()
    assert refused.value.code == CONCURRENCY_LIMITED_LOCAL and is_throttle(refused.value)
    assert control.mailbox(graph.account).api_calls == 0
    assert not ApiCall.objects.filter(status=429).exists()
    concurrency.release(key, held[0])
    assert _list_calendars(graph) == [graph.calendar]
    assert concurrency.in_use(key) == 3


def test_an_operator_can_lower_the_cap(graph, settings):
    settings.VENDOR_QUOTAS = {"outlook": {"concurrency": {"account": 2}}}
    http = VendorHttp(graph.connection, spec=SPEC, base_url="http://x")
    assert [c.slots for c in http.concurrency_limits] == [2]
