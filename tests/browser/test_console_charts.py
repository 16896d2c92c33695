"""A metrics chart rendering data in a real browser, under the console's
Content-Security-Policy, with nothing loaded from another host."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import AiEvent, SyncJob

from .test_console import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_latency_chart_draws_the_buckets_data(page, live_server, world, owner):
    for hours, ms in ((1, 800), (1, 2600), (5, 300)):
        received = timezone.now() - timedelta(hours=hours)
        event = AiEvent.objects.create(client=world.client_a, kind="lead.captured", payload={})
        AiEvent.objects.filter(pk=event.pk).update(received_at=received)
        SyncJob.objects.create(
            client=world.client_a,
            event=event,
            provider="hubspot",
            status="synced",
            attempts=1,
            finished_at=received + timedelta(milliseconds=ms),
        )
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on(
        "request",
        lambda r: problems.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    sign_in(page, live_server.url, owner.email)

    page.goto(f"{live_server.url}/console/clients/{world.client_a.public_id}/metrics/")

    latency = page.locator("#timeseries-hubspot [data-chart=latency] svg")
    box = latency.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    p95 = latency.locator("g.line-p95 circle")
    assert p95.count() == 2  # two buckets with synced jobs
    titles = [p95.nth(i).locator("title").text_content() for i in range(2)]
    assert any("p95 2.6 s" in t for t in titles) and any("p95 300 ms" in t for t in titles)
    # The stylesheet applied (no inline style is allowed): the p95 line is drawn in colour.
    stroke = latency.locator("g.line-p95 polyline").first.evaluate(
        "el => getComputedStyle(el).stroke"
    )
    assert stroke not in ("", "none")
    assert not problems, problems
