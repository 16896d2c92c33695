"""The monthly audit: the source article's checklist and metrics for one client and one month
(in the client's time zone), as a page and a CSV download."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connectors.models import ApiCall, Connection
from syncs.audit.monthly import monthly_audit
from syncs.dedupe.models import DuplicateCandidate, Person
from syncs.models import AiEvent, AuditEntry, SyncJob
from syncs.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db
NOV = datetime(2026, 11, 10, 15, tzinfo=UTC)


def job(client, connection, received, status="synced", ms=None, **fields):
    event = AiEvent.objects.create(client=client, kind="lead.captured", payload={})
    AiEvent.objects.filter(pk=event.pk).update(received_at=received)
    fields.setdefault("attempts", 0 if status == "pending" else 1)
    return SyncJob.objects.create(
        client=client,
        event=event,
        connection=connection,
        provider=connection.provider,
        status=status,
        finished_at=received + timedelta(milliseconds=ms) if ms is not None else None,
        **fields,
    )


def call(client, connection, when, status=200, error=""):
    return ApiCall.objects.create(
        client=client,
        connection=connection,
        provider=connection.provider,
        method="POST",
        path="/crm/v3/objects/contacts",
        status=status,
        error=error,
        created_at=when,
    )


@pytest.fixture
def november(world):
    """Client A in New York with a month of HubSpot work and webhooks, and some noise."""
    a = world.client_a
    a.time_zone = "America/New_York"
    a.save()
    hubspot = Connection.objects.create(client=a, provider="hubspot", kind="crm")
    for i in range(18):
        job(a, hubspot, NOV + timedelta(minutes=i), ms=1000)
    job(a, hubspot, NOV, ms=8000)
    # 03:00 UTC on 1 December is still 30 November in New York.
    job(a, hubspot, datetime(2026, 12, 1, 3, tzinfo=UTC), ms=9000)
    job(a, hubspot, NOV, "dead", attempts=8)
    job(a, hubspot, NOV, "failed", attempts=2)
    job(a, hubspot, NOV, "needs_review")
    job(a, hubspot, datetime(2026, 10, 20, tzinfo=UTC), "dead")  # October
    job(a, hubspot, datetime(2026, 12, 1, 6, tzinfo=UTC), "dead")  # December in New York
    call(a, hubspot, NOV)
    call(a, hubspot, NOV, status=429, error="rate_limited")
    call(a, hubspot, datetime(2026, 12, 2, tzinfo=UTC))
    endpoint = WebhookEndpoint.objects.create(
        client=a, url="https://bot.example.net/hooks", secret="s", event_types=["*"]
    )
    for status in ("succeeded", "succeeded", "dead"):
        message = WebhookMessage.objects.create(client=a, event_type="lead.synced")
        WebhookDelivery.objects.create(
            client=a, endpoint=endpoint, message=message, status=status, created_at=NOV
        )
    AuditEntry.objects.create(  # a staff retry, made now: December, not November
        client=a,
        actor="staff:x",
        action="webhook.retried",
        target="webhook-delivery:1",
        details={"endpoint": str(endpoint.public_id)},
    )
    jo, joe, ann, anne = (
        Person.objects.create(client=a, first_name=n) for n in ("Jo", "Joe", "Ann", "Anne")
    )
    found = DuplicateCandidate.objects.create(client=a, person=jo, existing=joe, score=0.9)
    DuplicateCandidate.objects.filter(pk=found.pk).update(created_at=NOV)
    open_one = DuplicateCandidate.objects.create(client=a, person=ann, existing=anne, score=0.8)
    DuplicateCandidate.objects.filter(pk=open_one.pk).update(created_at=NOV)
    DuplicateCandidate.objects.filter(pk=found.pk).update(status="merged", decided_at=NOV)
    other = Connection.objects.create(client=world.client_b, provider="salesforce", kind="crm")
    job(world.client_b, other, NOV, "dead")  # another client's
    return a


def checks(report):
    return {c.title.split(" (")[0]: c for c in report.checks}


def test_it_reports_the_month_in_the_clients_time_zone(november):
    report = monthly_audit(november, date(2026, 11, 1))

    (hubspot,) = report.systems
    assert (hubspot.jobs, hubspot.synced, hubspot.errors, hubspot.dead) == (23, 20, 2, 1)
    assert (hubspot.calls, hubspot.call_failures, hubspot.throttled) == (2, 1, 1)
    assert report.start == datetime(2026, 11, 1, 4, tzinfo=UTC)  # EDT ends 1 November
    assert report.end == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_it_measures_error_rate_manual_rate_and_latency_against_the_targets(november):
    found = checks(monthly_audit(november, date(2026, 11, 1)))

    assert found["Error rate"].finding == "8.7% (2 of 23)"
    assert found["Error rate"].verdict == "attention"
    assert found["Manual intervention rate"].finding == "4.3% (1 of 23)"
    latency = found["Sync latency against the 5-second target"]
    # 18 of 1 s, then 8 s and 9 s: p50 is the 10th (1 s), p95 the 19th (8 s).
    assert latency.finding.startswith("p50 1000 ms, p95 8000 ms; 90.0% (18 of 20) within 5 s")
    assert latency.verdict == "attention"


def test_it_summarises_deliveries_duplicates_and_says_what_is_not_connected(november):
    found = checks(monthly_audit(november, date(2026, 11, 1)))

    hooks = found["Verify webhook delivery logs for all three platforms"]
    assert "CRM HubSpot (Active): 20 of 23 jobs synced, 2 failed or dead" in hooks.finding
    assert (
        "Calendar: not yet connected" in hooks.finding and "POS: not yet connected" in hooks.finding
    )
    assert "2 of 3 delivered, 0 retrying, 1 dead, 0 resent by staff" in hooks.finding
    assert hooks.verdict == "attention"
    (december_endpoint,) = monthly_audit(november, date(2026, 12, 1)).endpoints
    assert december_endpoint.resent_by_staff == 1
    dupes = found["Check CRM for duplicate records that indicate sync conflicts"]
    assert dupes.finding.startswith("2 likely duplicates found this month; 1 merged")
    assert dupes.verdict == "attention"  # one still open
    calendar = found["Review calendar for double-bookings from sync errors"]
    pos = found["Test POS data freshness against actual inventory counts"]
    assert calendar.finding == pos.finding == "Not yet connected."


def test_a_quiet_month_passes_what_it_can_and_claims_nothing_else(world):
    Connection.objects.create(client=world.client_a, provider="hubspot", kind="crm")
    Connection.objects.create(client=world.client_a, provider="google", kind="calendar")

    found = checks(monthly_audit(world.client_a, date(2026, 11, 1)))

    assert found["Error rate"].finding == "no jobs" and found["Error rate"].verdict == "info"
    latency = found["Sync latency against the 5-second target"]
    assert latency.finding == "No synced jobs this month."
    calendar = found["Review calendar for double-bookings from sync errors"]
    assert calendar.finding.startswith("Connected; Switchboard books nothing")


def test_the_page_shows_the_checklist_and_offers_the_csv(client, world, viewer, november):
    client.force_login(viewer)
    url = f"/console/clients/{november.public_id}/monthly-audit/"

    body = client.get(url + "?month=2026-11").content.decode()

    assert "Monthly audit · November 2026" in body
    assert "Verify webhook delivery logs for all three platforms" in body
    assert "2026-11-01 00:00 EDT" in body
    assert 'href="?month=2026-11&amp;format=csv"' in body
    current = client.get(url).content.decode()  # no month given: this month, in the picker
    this_month = timezone.localtime(timezone=ZoneInfo("America/New_York")).strftime("%Y-%m")
    assert f'type="month" name="month" value="{this_month}"' in current


def test_the_csv_holds_the_same_report(client, world, viewer, november):
    november.name = "=HYPERLINK(evil)"
    november.save()
    client.force_login(viewer)

    response = client.get(
        f"/console/clients/{november.public_id}/monthly-audit/?month=2026-11&format=csv"
    )

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="switchboard-audit-alpha-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][0] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    by_check = {r[0]: r for r in rows if len(r) == 4}
    assert by_check["Error rate (failed or dead jobs over jobs attempted)"][1:] == [
        "8.7% (2 of 23)",
        "under 1%",
        "attention",
    ]
    assert ["CRM", "HubSpot", "Active", "23", "20", "2", "1", "2", "1", "1"] in rows
    assert ["Calendar", "", "not yet connected"] in rows
    assert ["https://bot.example.net/hooks", "Enabled", "3", "2", "0", "1", "0"] in rows


def test_a_malformed_month_is_a_400_that_says_why(client, world, viewer):
    client.force_login(viewer)

    response = client.get(
        f"/console/clients/{world.client_a.public_id}/monthly-audit/?month=11-2026"
    )

    assert response.status_code == 400
    assert "Give the month as YYYY-MM" in response.content.decode()


def test_it_reads_in_a_fixed_number_of_queries(world, november):
    with CaptureQueriesContext(db_connection) as few:
        monthly_audit(november, date(2026, 11, 1))
    for provider, kind in (("google", "calendar"), ("square", "pos")):
        conn = Connection.objects.create(client=november, provider=provider, kind=kind)
        call(november, conn, NOV)
    WebhookEndpoint.objects.create(client=november, url="https://b.example.net/x", secret="s")

    with CaptureQueriesContext(db_connection) as many:
        monthly_audit(november, date(2026, 11, 1))

    assert len(many) == len(few)
