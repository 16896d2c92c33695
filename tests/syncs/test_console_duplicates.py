"""The duplicates review page: staff with "operate" merge or dismiss scored pairs; viewers
only look; another client's pair is a 404; every decision is audited once.
"""

from __future__ import annotations

import pytest

import syncs.dedupe.models as dedupe_models
from syncs.models import AuditEntry

Person, DuplicateCandidate = dedupe_models.Person, dedupe_models.DuplicateCandidate

pytestmark = pytest.mark.django_db


def person(client, first, last, email, **extra):
    return Person.objects.create(
        client=client, first_name=first, last_name=last, email=email, emails=[email], **extra
    )


def pair(client, score=0.91):
    existing = person(
        client, "Robert", "Smith", "robert@acme.example", external_ids={"hubspot": "7"}
    )
    newer = person(client, "Bob", "Smith", "bob@home.example")
    return DuplicateCandidate.objects.create(
        client=client, person=newer, existing=existing, score=score, reasons=["nickname"]
    )


def url(client, rest=""):
    return f"/console/clients/{client.public_id}/duplicates/{rest}"


def test_it_lists_open_pairs_with_scores_and_reasons(client, world, viewer):
    candidate = pair(world.client_a)
    pair(world.client_b)
    client.force_login(viewer)
    body = client.get(url(world.client_a)).content.decode()
    assert f'id="candidate-{candidate.pk}"' in body and "0.91" in body and "nickname" in body
    assert "robert@acme.example" in body and "CRM: HubSpot 7" in body
    assert body.count('id="candidate-') == 1  # client B's pair is not here
    assert "Merge" not in body  # a viewer only looks


def test_an_operator_merges_a_pair(client, world, operator):
    candidate = pair(world.client_a)
    client.force_login(operator)
    merge = url(world.client_a, f"{candidate.pk}/merge")
    assert client.post(merge).status_code == 302  # without the confirmation: nothing yet
    candidate.refresh_from_db()
    assert candidate.status == "open"
    assert client.post(merge, {"confirm": "yes"}).status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == "merged"
    assert Person.objects.get(pk=candidate.person_id).merged_into_id == candidate.existing_id
    entry = AuditEntry.objects.get(action="duplicate.merged")
    assert entry.actor == "staff:operator@northwind.example" and entry.client == world.client_a
    assert "No open pairs." in client.get(url(world.client_a)).content.decode()


def test_an_operator_dismisses_a_pair_once(client, world, operator):
    candidate = pair(world.client_a)
    client.force_login(operator)
    client.post(url(world.client_a, f"{candidate.pk}/dismiss"))
    again = client.post(url(world.client_a, f"{candidate.pk}/merge"), follow=True)
    assert "already dismissed" in again.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == "dismissed"
    assert AuditEntry.objects.filter(action__startswith="duplicate.").count() == 1


def test_a_viewer_cannot_decide(client, world, viewer):
    candidate = pair(world.client_a)
    client.force_login(viewer)
    assert client.post(url(world.client_a, f"{candidate.pk}/merge")).status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == "open"


def test_it_cannot_decide_another_clients_pair(client, world, owner):
    other = pair(world.client_b)
    client.force_login(owner)
    assert client.post(url(world.client_a, f"{other.pk}/merge")).status_code == 404
    assert client.post(url(world.client_a, f"{pair(world.client_a).pk}/explode")).status_code == 404
    other.refresh_from_db()
    assert other.status == "open"


def test_it_shows_the_thresholds_with_expected_precision_and_recall(client, world, viewer):
    client.force_login(viewer)
    body = client.get(url(world.client_a)).content.decode()
    assert "No model estimated for this client yet" in body
    dedupe_models.MatchModel.objects.create(
        client=world.client_a,
        params={},
        auto_link=0.9731,
        auto_link_expected_precision=0.9912,
        auto_link_expected_recall=0.874,
        review=0.61,
        review_expected_precision=0.95,
        review_expected_recall=0.93,
        people=1200,
    )
    body = client.get(url(world.client_a)).content.decode()
    assert 'id="threshold-auto-link"' in body and "0.9731" in body and "0.991" in body
    assert "0.874" in body and 'id="threshold-review"' in body and "0.6100" in body
    assert "1200 people" in body
    other = client.get(url(world.client_b))
    assert other.status_code in (200, 404) and "0.9731" not in other.content.decode()
