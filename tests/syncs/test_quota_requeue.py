"""A quota further away than a job may wait requeues the job for the time its token is
granted: not failed, and not counted as an attempt (issue 17: quotas queue work)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors import concurrency, ratelimit
from connectors.base import ConnectorError, RateLimit
from connectors.http import VendorHttp
from connectors.models import Connection
from connectors.registry import get_spec
from syncs.models import JobStatus

from .crm_double import MemoryCrm
from .helpers import lead_job

pytestmark = pytest.mark.django_db
MINUTE = RateLimit(1, 60, "app", "test: one call a minute")


def test_a_full_bucket_requeues_the_job_for_its_grant_without_an_attempt(
    run_job, world, crm_a, broker, settings
):
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    connection = Connection.objects.create(
        client=world.client_a, provider="google", kind="calendar"
    )
    http = VendorHttp(
        connection, spec=replace(get_spec("google"), rate_limits=(MINUTE,)), base_url="http://x"
    )
    ratelimit.acquire(http.bucket_key(MINUTE), MINUTE, max_wait=0)  # the minute's one token
    with pytest.raises(ConnectorError) as held:
        http.request("GET", "/calendar/v3/users/me/calendarList")
    crm = MemoryCrm()
    crm.failures.append(held.value)  # what the vendor call raised inside the job

    before = timezone.now()
    job = run_job(lead_job(world.client_a), crm)
    assert job.status == JobStatus.FAILED and job.attempts == 0
    assert before + timedelta(seconds=55) <= job.next_attempt_at <= before + timedelta(seconds=61)
    (message,) = broker.drain()
    assert message.job_id == job.pk


def test_a_full_concurrency_cap_requeues_the_job_without_an_attempt(
    run_job, world, crm_a, broker, settings
):
    """Every slot of the mailbox taken (Graph: 4 in flight) and no time to wait: the job
    goes back to the queue, not failed and not counted as an attempt."""
    settings.VENDOR_INLINE_WAIT_SECONDS = 0.0
    connection = Connection.objects.create(
        client=world.client_a, provider="outlook", kind="calendar", external_account_id="mb-1",
        access_token="at-1", token_expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    http = VendorHttp(connection, spec=get_spec("outlook"), base_url="http://x")
    [cap] = http.concurrency_limits
    for _ in range(cap.slots):
        concurrency.acquire(http.slots_key(cap), cap.slots, lease_seconds=60, max_wait=0)
    with pytest.raises(ConnectorError) as held:
        http.request("GET", "/v1.0/me/calendars")
    crm = MemoryCrm()
    crm.failures.append(held.value)

    job = run_job(lead_job(world.client_a), crm)
    assert job.status == JobStatus.FAILED and job.attempts == 0
    (message,) = broker.drain()
    assert message.job_id == job.pk
