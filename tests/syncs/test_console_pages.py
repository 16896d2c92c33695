"""Read-only sync console pages: what they show, filters, scoping, and no secret rendered."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from syncs.models import AiEvent, AuditEntry

from .console_helpers import page, scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(world):
    return scene(world)


def base(world, client=None) -> str:
    return f"/console/clients/{(client or world.client_a).public_id}"


def test_it_links_every_sync_page_from_the_client_page(client, world, viewer):
    client.force_login(viewer)
    body = page(client, base(world) + "/")
    for part in ("events", "review", "mappings", "shadow", "audit", "rollback", "metrics"):
        assert f'{base(world)}/{part}/"' in body


def test_it_lists_events_with_each_targets_status_and_filters_them(client, world, viewer, seen):
    client.force_login(viewer)
    body = page(client, base(world) + "/events/")
    assert "Synced" in body and "Needs review" in body and seen.synced.external_id in body
    held_only = page(client, base(world) + "/events/?status=needs_review")
    assert "not-an-email" in held_only and "mary.obrien@example.com" not in held_only.lower()
    assert "No events." in page(client, base(world) + "/events/?kind=opt_out")


def test_it_paginates_the_event_stream(client, world, viewer, seen):
    for _ in range(30):
        AiEvent.objects.create(client=world.client_a, kind="intent.changed", payload={})
    client.force_login(viewer)
    assert "Page 1 of 2 (32)" in page(client, base(world) + "/events/")
    assert "Page 2 of 2" in page(client, base(world) + "/events/?page=2")


def test_it_shows_an_event_with_payload_jobs_crm_ids_and_audit_trail(client, world, viewer, seen):
    client.force_login(viewer)
    event = seen.synced.event
    body = page(client, f"{base(world)}/events/{event.public_id}/")
    assert "Wants a cleaning next week." in body  # payload
    assert "+14155552671" in body  # normalised
    assert (
        seen.synced.external_id in body
        and "crm.contact.created" in body
        and "crm.note.created" in body
    )
    held = page(client, f"{base(world)}/events/{seen.held.event.public_id}/")
    assert "sync.needs_review" in held


def test_it_does_not_show_another_clients_event(client, world, owner, seen):
    client.force_login(owner)
    event = seen.synced.event
    page(client, f"{base(world, world.client_b)}/events/{event.public_id}/", status=404)


def test_it_filters_the_audit_log(client, world, viewer, seen):
    client.force_login(viewer)
    assert AuditEntry.objects.filter(client=world.client_a).count() == 5
    notes = page(client, base(world) + "/audit/?action=crm.note")
    assert "crm.note.created" in notes and "crm.contact.created" not in notes
    by_target = page(client, base(world) + f"/audit/?target=job:{seen.held.pk}")
    assert "sync.needs_review" in by_target and "crm.deal.created" not in by_target
    assert "No entries." in page(client, base(world) + "/audit/?actor=staff:")
    assert "No entries." in page(client, base(world) + "/audit/?since=2999-01-01T00:00")
    assert "crm.deal.created" in page(client, base(world) + "/audit/?until=2999-01-01T00:00")


def test_the_audit_log_is_read_only(client, world, owner, seen):
    client.force_login(owner)
    assert client.post(base(world) + "/audit/").status_code in (403, 405)
    body = page(client, base(world) + "/audit/").split("<main>")[1]
    assert 'method="post"' not in body


def test_it_shows_what_shadow_mode_would_have_written(client, world, viewer, seen):
    client.force_login(viewer)
    body = page(client, base(world) + "/shadow/")
    assert "shadow@example.com" in body and "create" in body
    # Real writes are not shadow records (as a cell: a bare "100" may be inside a random UUID).
    assert f"<td>{seen.synced.external_id}</td>" not in body
    assert "Nothing recorded" in page(client, base(world) + "/shadow/?provider=salesforce")


def test_events_and_the_review_queue_name_the_provider_as_everywhere(client, world, viewer, seen):
    client.force_login(viewer)
    assert "crm · HubSpot: Synced" in page(client, base(world) + "/events/")
    assert f"Job {seen.held.pk} · HubSpot · " in page(client, base(world) + "/review/")


def test_it_shows_metrics_per_provider(client, world, viewer, seen):
    client.force_login(viewer)
    body = page(client, base(world) + "/metrics/?window=7d")
    assert 'id="metrics-hubspot"' in body and 'id="metrics-all"' in body
    assert "<h2>HubSpot</h2>" in body  # the provider's display name, as on every page
    assert "≤ 50 ms" in body and "&gt; 10000 ms" in body
    assert "50% (1 of 2)" in body  # one of two jobs held for review
    assert page(client, base(world) + "/metrics/?window=bogus").count("metrics-hubspot") == 1


def test_no_page_renders_a_token_to_any_role(client, world, owner, seen):
    client.force_login(owner)
    urls = ["/", "/events/", "/review/", "/mappings/", "/audit/", "/shadow/", "/metrics/"]
    urls += [f"/mappings/{seen.connection.pk}/", f"/events/{seen.synced.event.public_id}/"]
    urls += ["/rollback/?tag=AI_Chatbot"]
    for url in urls:
        page(client, base(world) + url)


def test_a_rolled_back_event_says_so_with_when_and_which_rollback(client, world, viewer, seen):
    from syncs.rollback.services import start_rollback

    from .rollback_helpers import run_rollback

    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by="staff:x@example.com")
    run_rollback(rollback, seen.crm)
    client.force_login(viewer)
    rolled = page(client, base(world) + "/events/?status=rolled_back")
    assert "Rolled back" in rolled and "mary.obrien@example.com" in rolled.lower()
    assert "not-an-email" not in rolled  # the held lead wrote nothing: it stays held
    report = f"{base(world)}/rollback/{rollback.pk}/"
    assert f'by <a href="{report}">rollback #{rollback.pk}</a>' in rolled
    body = page(client, f"{base(world)}/events/{seen.synced.event.public_id}/")
    assert f'href="{report}">rollback #{rollback.pk}</a> of tag AI_Chatbot' in body
    assert 'id="event-status">Rolled back<' in body


# A date and time with no zone after it ("2026-12-04 10:00" not followed by "UTC" or the like).
BARE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?!:\d)(?! ?(?:[A-Z]{3,5}\b|[+-]\d{2}))"
)
ANY_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def test_every_time_in_the_console_says_its_time_zone(client, world, owner, seen):
    from agency.models import WorkerHeartbeat
    from syncs.dedupe.models import MatchModel
    from syncs.rollback.services import start_rollback
    from syncs.webhooks import services as webhooks

    from .rollback_helpers import run_rollback

    webhooks.endpoint_create(client=world.client_a, url="http://127.0.0.1:1/h", event_types=["*"])
    message = webhooks.emit(world.client_a, "lead.synced", {"event_id": "e1"})
    message.deliveries.update(last_attempt_at=timezone.now(), status="failed")  # a row with times
    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by="staff:x@example.com")
    run_rollback(rollback, seen.crm)
    WorkerHeartbeat.objects.create(nonce="n1")
    MatchModel.objects.create(client=world.client_a, auto_link=0.99, review=0.5)
    seen.connection.token_expires_at = seen.connection.last_refreshed_at = timezone.now()
    seen.connection.save()
    client.force_login(owner)
    pages = [
        "/console/",
        f"{base(world)}/",
        f"{base(world)}/connections/",
        f"{base(world)}/webhooks/",
        f"{base(world)}/events/",
        f"{base(world)}/events/{seen.synced.event.public_id}/",
        f"{base(world)}/audit/",
        f"{base(world)}/shadow/",
        f"{base(world)}/rollback/",
        f"{base(world)}/rollback/{rollback.pk}/",
        f"{base(world)}/duplicates/",
        f"{base(world)}/metrics/",
        f"{base(world)}/monthly-audit/",
        f"{base(world)}/connections/{seen.connection.pk}/calls/",
    ]
    for path in pages:
        body = page(client, path)
        assert ANY_TIME.search(body) or "UTC" in body, path
        assert not BARE_TIME.findall(body), (path, BARE_TIME.findall(body)[:3])
    assert "From (UTC)" in page(client, f"{base(world)}/audit/")


def test_the_tab_of_the_page_shown_is_highlighted(client, world, viewer, seen):
    from syncs.rollback.services import start_rollback

    rollback = start_rollback(world.client_a, "AI_Chatbot", requested_by="staff:x@example.com")
    client.force_login(viewer)
    shown_under = {
        "/": "Client",
        "/connections/": "Connections",
        "/events/": "Events",
        f"/events/{seen.synced.event.public_id}/": "Events",
        "/review/": "Review queue",
        "/mappings/": "Field mapping",
        f"/mappings/{seen.connection.pk}/": "Field mapping",
        "/shadow/": "Shadow mode",
        "/duplicates/": "Duplicates",
        "/audit/": "Audit log",
        "/rollback/": "Rollback",
        f"/rollback/{rollback.pk}/": "Rollback",
        "/metrics/": "Metrics",
        "/monthly-audit/": "Monthly audit",
        f"/connections/{seen.connection.pk}/calls/": "Connections",
        "/webhooks/": "Webhooks",
        "/calendar/calendars/": "Scheduling",
        "/calendar/services/": "Scheduling",
        "/calendar/hours/": "Scheduling",
        "/calendar/preview/": "Scheduling",
        "/calendar/bookings/": "Scheduling",
    }
    for path, tab in shown_under.items():
        body = page(client, base(world) + path)
        nav = re.search(r'<nav class="sections".*?</nav>', body, re.S)[0]
        current = re.findall(
            r'<a href="([^"]+)" class="current" aria-current="page">([^<]+)</a>', nav
        )
        assert [label for _, label in current] == [tab], path
        assert current[0][0].startswith(base(world) + "/"), path
        assert nav.count("<a ") == len(set(shown_under.values())), path  # every tab, everywhere
