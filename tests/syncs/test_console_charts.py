"""The metrics page's charts: server-rendered SVG with the data in it, no script, no inline
style (the console's Content-Security-Policy allows neither), and the figures as a table."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.models import AiEvent, SyncJob
from syncs.ui.charts import bar_chart, line_chart, nice_ceiling

pytestmark = pytest.mark.django_db


def synced(client, provider, ago, ms, status="synced"):
    received = timezone.now() - ago
    event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
    AiEvent.objects.filter(pk=event.pk).update(received_at=received)
    return SyncJob.objects.create(
        client=client,
        event=event,
        provider=provider,
        status=status,
        attempts=1,
        finished_at=received + timedelta(milliseconds=ms) if status == "synced" else None,
    )


def section(body: str, provider: str) -> str:
    match = re.search(
        rf'<section class="card timeseries" id="timeseries-{provider}">.*?</section>', body, re.S
    )
    assert match, f"no chart section for {provider}"
    return match.group(0)


@pytest.mark.parametrize("window", ["24h", "7d", "30d"])
def test_it_draws_latency_volume_errors_and_waits_as_svg(client, world, owner, window):
    # Half an hour from any bucket edge (the 24 h window's hourly buckets end whole hours
    # before now), so the three jobs share one bucket however long the request takes.
    synced(world.client_a, "hubspot", timedelta(hours=2, minutes=30), 1200)
    synced(world.client_a, "hubspot", timedelta(hours=2, minutes=31), 7300)
    synced(world.client_a, "hubspot", timedelta(hours=2, minutes=32), 0, status="dead")
    synced(world.client_b, "salesforce", timedelta(hours=2, minutes=30), 50)  # another client's
    client.force_login(owner)

    response = client.get(f"/console/clients/{world.client_a.public_id}/metrics/?window={window}")

    body = response.content.decode()
    assert response.status_code == 200
    hub = section(body, "hubspot")
    assert hub.count("<svg") == 4 and "HubSpot" in hub
    assert "p95 7.3 s</title>" in hub and "p50 1.2 s</title>" in hub  # nearest rank of 2
    assert re.search(r'<rect class="col col-volume"[^>]*><title>[^<]*: 3 jobs</title>', hub)
    assert "errors 33.3%</title>" in hub  # 1 of 3 attempted
    assert 'class="target"' in hub  # the 5-second line
    assert "timeseries-salesforce" not in body
    assert "<script" not in body and " style=" not in body


def test_a_window_without_jobs_says_so(client, world, owner):
    client.force_login(owner)
    body = client.get(f"/console/clients/{world.client_a.public_id}/metrics/").content.decode()
    assert "(no data in this window)" in section(body, "all")


def test_a_gap_in_the_data_breaks_the_line():
    chart = line_chart("t", ["a", "b", "c", "d"], [("p50", "x", [1.0, None, 3.0, 4.0])], unit="ms")
    (line,) = chart.lines
    assert len(line.segments) == 2 and len(line.dots) == 3
    assert line.segments[1].count(",") == 2  # c and d


def test_the_value_axis_ends_at_a_round_number_above_the_data_and_the_target():
    assert [nice_ceiling(v) for v in (0, 7, 13, 2400, 5000, 5001)] == [1, 10, 20, 2500, 5000, 10000]
    chart = line_chart("t", ["a"], [("p95", "x", [800.0])], unit="ms", target=5000)
    assert chart.y_ticks[-1].label == "5 s" and chart.target.at == chart.y_ticks[-1].at
    bars = bar_chart("v", ["a", "b"], [0, 4], unit="jobs", css="col-volume")
    plot_height = bars.plot_bottom - bars.y_ticks[-1].at
    assert bars.y_ticks[-1].label == "4 jobs" and bars.bars[0].height == 0
    assert bars.bars[1].height == pytest.approx(plot_height)
    assert [t.label for t in bar_chart("v", ["a"], [5], unit="jobs", css="c").y_ticks] == [
        f"{n} jobs" for n in (0, 2, 4, 6, 8)
    ]
