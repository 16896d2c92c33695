"""Vendor-call log rows: at once outside a job, in one batch inside one, never lost on exit."""

from __future__ import annotations

import pytest

from connectors import call_log
from connectors.models import ApiCall

pytestmark = pytest.mark.django_db


def _call(world, path: str = "/x") -> ApiCall:
    return ApiCall(client=world.client_a, provider="hubspot", method="GET", path=path, status=200)


def test_outside_a_batch_each_call_is_written_at_once(world):
    call_log.add(_call(world))
    assert ApiCall.objects.count() == 1


def test_inside_a_batch_calls_wait_for_flush_and_keep_their_own_time(world):
    with call_log.batch():
        first = _call(world, "/a")
        call_log.add(first)
        assert ApiCall.objects.count() == 0
        call_log.flush()
        assert ApiCall.objects.count() == 1
        call_log.add(_call(world, "/b"))
    assert sorted(ApiCall.objects.values_list("path", flat=True)) == ["/a", "/b"]
    assert ApiCall.objects.get(path="/a").created_at == first.created_at


def test_a_batch_left_by_an_exception_still_writes_its_calls(world):
    with pytest.raises(RuntimeError), call_log.batch():
        call_log.add(_call(world))
        raise RuntimeError("the job crashed")
    assert ApiCall.objects.count() == 1


def test_a_nested_batch_leaves_the_rows_to_the_outer_one(world):
    with call_log.batch():
        with call_log.batch():
            call_log.add(_call(world))
        assert ApiCall.objects.count() == 0
    assert ApiCall.objects.count() == 1
