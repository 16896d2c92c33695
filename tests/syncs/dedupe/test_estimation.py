"""Per-client estimation: the stored model and thresholds are what checks apply, staff's review
decisions are labels for the next estimate, and another client's people never enter it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from benchmarks.datasets.synthetic import generate
from syncs import dedupe
from syncs.dedupe.estimation import detector_for, estimate_for_client, forget_cached
from syncs.dedupe.fellegi_sunter import compare
from syncs.dedupe.models import DuplicateCandidate, MatchModel
from syncs.dedupe.normalize import build_profile
from syncs.dedupe.store import bulk_index
from tenants.models import Client

pytestmark = pytest.mark.django_db

ANN = {"name": "Ann Lee", "email": "ann.lee@home.example", "phone": "415 555 0100"}


def test_it_estimates_a_clients_model_from_its_own_people(world):
    bulk_index(world.client_a, [r.fields for r in generate(600, seed=5)])
    model = estimate_for_client(world.client_a)
    assert model.people > 600 and model.pairs > 100
    assert model.params["m"]["email"]["exact"] > model.params["u"]["email"]["exact"]
    assert 0.5 <= model.review <= model.auto_link < 1.0
    assert model.auto_link_expected_precision >= 0.99
    assert 0 < model.auto_link_expected_recall <= 1
    assert not MatchModel.objects.filter(client=world.client_b).exists()


def test_checks_apply_the_clients_own_threshold(world):
    robert = dedupe.index(world.client_a, ANN)
    lead = {**ANN, "phone": ""}
    assert dedupe.check(world.client_a, lead).linked == robert
    MatchModel.objects.create(client=world.client_a, params={}, auto_link=0.999999, review=0.5)
    forget_cached(world.client_a)
    result = dedupe.check(world.client_a, lead)
    assert result.linked is None and [c.person for c in result.candidates] == [robert]
    forget_cached(world.client_a)


def test_review_decisions_are_labels_for_the_next_estimate(world, operator):
    bulk_index(world.client_a, [r.fields for r in generate(300, seed=9)])
    # Colleagues who share the office line and a family name: staff say "not the same".
    for i in range(12):
        first = dedupe.index(
            world.client_a, {"name": f"Ann{i} Zed{i}", "phone": f"415 600 {1000 + i}"}
        )
        second = dedupe.index(
            world.client_a, {"name": f"Bea{i} Zed{i}", "phone": f"415 600 {1000 + i}"}
        )
        pair, _ = DuplicateCandidate.objects.get_or_create(
            client=world.client_a, person=second, existing=first, defaults={"score": 0.6}
        )
        dedupe.dismiss(pair, operator)
    colleagues = compare(
        build_profile({"name": "Cy Zed", "phone": "415 600 2000"}),
        build_profile({"name": "Di Zed", "phone": "415 600 2000"}),
    )
    assert estimate_for_client(world.client_a).labels == 12
    with_labels = detector_for(world.client_a).model.probability(colleagues)
    DuplicateCandidate.objects.update(status=DuplicateCandidate.Status.OPEN)  # undecided
    assert estimate_for_client(world.client_a).labels == 0
    without_labels = detector_for(world.client_a).model.probability(colleagues)
    assert with_labels < without_labels  # the dismissals lowered what such pairs score


def test_the_command_estimates_every_client_and_reports_the_thresholds(world):
    bulk_index(world.client_a, [r.fields for r in generate(200, seed=2)])
    out = io.StringIO()
    call_command("estimate_duplicate_model", "--precision", "0.995", stdout=out)
    assert MatchModel.objects.count() == Client.objects.count()
    model = MatchModel.objects.get(client=world.client_a)
    assert model.auto_link_precision == 0.995
    assert f"{world.client_a.slug}:" in out.getvalue() and "auto-link at p >=" in out.getvalue()


def test_a_check_reads_the_stored_model_only_after_a_new_estimate(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bulk_index(world.client_a, [r.fields for r in generate(400, seed=6)])
    estimate_for_client(world.client_a)
    lead = {**ANN, "email": "someone.else@home.example"}
    dedupe.index(world.client_a, ANN)

    def model_reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert dedupe.check(world.client_a, lead).candidates or True
        return sum(q["sql"].startswith('SELECT "syncs_matchmodel"') for q in queries)

    assert model_reads() == 1  # this process has not seen the estimate yet
    assert model_reads() == 0  # its time came with the candidates: nothing more to read
    MatchModel.objects.filter(client=world.client_a).update(estimated_at="2030-01-01T00:00Z")
    assert model_reads() == 1


def test_staff_decisions_raise_an_auto_link_threshold_they_find_too_loose():
    from syncs.dedupe.estimation import MIN_CHECKED, checked_by_staff
    from syncs.dedupe.fellegi_sunter import Threshold

    model_says = Threshold(0.9, 0.99, 0.95, 0.99)
    # Pairs the model puts at 0.92-0.95 were mostly dismissed; those at 0.99 all merged.
    decided = [(0.99, True)] * 100 + [(0.95, False)] * 3 + [(0.92, False)] * 20
    raised = checked_by_staff(model_says, decided)
    assert raised.probability == 0.99 and raised.target == 0.99
    assert checked_by_staff(model_says, [(0.99, True)] * 100) == model_says  # staff agree
    too_few = [(0.95, False)] * (MIN_CHECKED - 1)
    assert checked_by_staff(model_says, too_few) == model_says
    only_dismissed = [(0.95, False)] * MIN_CHECKED
    assert checked_by_staff(model_says, only_dismissed).probability > 0.95
    assert checked_by_staff(model_says, [(0.5, False)] * 50) == model_says  # below: review band


def test_beat_reestimates_stale_and_grown_clients(world, settings):
    from datetime import timedelta

    from agency.celery import app
    from syncs.dedupe.estimation import MIN_PEOPLE
    from syncs.dedupe.tasks import reestimate_models

    app.loader.import_default_modules()
    assert "syncs.dedupe.reestimate_models" in app.tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "syncs.dedupe.reestimate_models" in scheduled
    bulk_index(world.client_a, [r.fields for r in generate(MIN_PEOPLE, seed=3)])
    bulk_index(world.client_b, [r.fields for r in generate(20, seed=4)])  # too few to learn
    assert reestimate_models() == 1  # client A, never estimated, has grown enough
    learned = MatchModel.objects.get(client=world.client_a)
    assert not MatchModel.objects.filter(client=world.client_b).exists()
    assert reestimate_models() == 0  # fresh: nothing due
    a_day_ago = learned.estimated_at - timedelta(hours=25)
    MatchModel.objects.filter(pk=learned.pk).update(estimated_at=a_day_ago)
    assert reestimate_models() == 1
    assert MatchModel.objects.get(pk=learned.pk).estimated_at > a_day_ago
