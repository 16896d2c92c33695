"""The Fellegi-Sunter model: comparison levels, learned weights, frequencies, thresholds."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from syncs.dedupe.fellegi_sunter import (
    COMPARISONS,
    LEVELS,
    Comparison,
    Model,
    compare,
    estimate,
    threshold_for,
)
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import build_profile


def levels(new: dict, old: dict, region: str = "US") -> dict[str, str | None]:
    found = compare(build_profile(new, region), build_profile(old, region))
    return dict(zip(COMPARISONS, found.vector, strict=True))


def test_it_compares_names_in_either_order():
    found = levels(
        {"name": "Pulford Victoria", "email": "vp@home.example"},
        {"name": "Victoria Pulford", "email": "vp@home.example"},
    )
    assert (found["first"], found["last"], found["email"]) == ("exact", "exact", "exact")


def test_it_reads_a_typo_in_the_email_domain_and_finds_it_through_blocking():
    old = {"name": "Ann Lee", "email": "ann.lee@example.com"}
    new = {"name": "Ann Lee", "email": "ann.lee@exampel.com"}
    assert levels(new, old)["email"] == "domain_typo"
    index: MemoryIndex[int] = MemoryIndex()
    index.add(1, build_profile(old))
    outcome = index.check(build_profile(new))
    found = [outcome.linked] if outcome.linked else outcome.candidates
    assert [s.person for s in found] == [1]
    assert "email_domain_typo" in found[0].reasons


def test_it_reads_a_non_us_phone_in_both_formats_one_digit_apart():
    found = levels(
        {"name": "Ann Lee", "phone": "020 7946 0958"},
        {"name": "Ann Lee", "phone": "+44 20 7946 0959"},
        region="GB",
    )
    assert found["phone"] == "one_digit"
    assert levels({"phone": "030 123456"}, {"phone": "+49 30 123456"}, "DE")["phone"] == "exact"


@pytest.mark.parametrize(
    "a, b, level",
    [
        ("Kathryn", "Kathy", "nickname"),
        ("Raymond", "Ray", "nickname"),
        ("Gabriele", "Gabi", "nickname"),
        ("Stefanie", "Steffi", "nickname"),
        ("William", "Bill", "nickname"),
        ("J.", "John", "initial"),
        ("Jonathon", "Jonathan", "typo"),
        ("Sean", "Stephanie", "different"),
    ],
)
def test_it_grades_given_names(a, b, level):
    assert levels({"first_name": a, "last_name": "Jones"}, {"first_name": b})["first"] == level


def test_a_missing_value_is_missing_not_a_disagreement():
    model = Model()
    with_phone = compare(
        build_profile({"name": "Ann Lee", "email": "a@x.example", "phone": "212 555 0100"}),
        build_profile({"name": "Ann Lee", "email": "a@x.example", "phone": "312 555 0199"}),
    )
    without = compare(
        build_profile({"name": "Ann Lee", "email": "a@x.example"}),
        build_profile({"name": "Ann Lee", "email": "a@x.example", "phone": "312 555 0199"}),
    )
    assert without.vector[COMPARISONS.index("phone")] is None
    _, parts = model.weight(without)
    assert "phone" not in parts
    assert model.probability(without) > model.probability(with_phone)


def test_a_junior_and_a_senior_with_one_landline_are_not_linked():
    model = Model()
    sr = build_profile({"name": "John Smith Sr.", "phone": "415 555 0100"})
    jr = build_profile({"name": "Mr John Smith Jr", "phone": "(415) 555-0100"})
    found = compare(jr, sr)
    assert found.vector[COMPARISONS.index("generation")] == "different"
    assert model.probability(found) < 0.5


def test_a_number_many_people_give_weighs_less():
    model = Model()
    found = compare(
        build_profile({"name": "Ann Lee", "phone": "415 555 0100"}),
        build_profile({"name": "Ann Lee", "phone": "415 555 0100"}),
    )
    alone = model.probability(found, {("phone", "+14155550100"): 1})
    shared = model.probability(found, {("phone", "+14155550100"): 6})
    assert shared < alone


def test_a_common_name_weighs_less_than_a_rare_one():
    model = Model(tf_last={"smith": 500, "pulford": 1}, people=10000)
    smith = compare(build_profile({"name": "Ann Smith"}), build_profile({"name": "Ann Smith"}))
    pulford = compare(
        build_profile({"name": "Ann Pulford"}), build_profile({"name": "Ann Pulford"})
    )
    assert model.probability(pulford) > model.probability(smith)


def test_a_name_table_replaced_after_scoring_is_read_anew():
    """The mean agreement of a name table is kept between pairs (summing thousands of names per
    pair was most of a check's scoring): a new estimate's table, or a new head count, must
    still move the weights, as they do on a model built with them."""
    smith = compare(build_profile({"name": "Ann Smith"}), build_profile({"name": "Ann Smith"}))
    model = Model(tf_last={"smith": 500, "pulford": 1}, people=10000)
    before = model.probability(smith)
    model.tf_last = {"smith": 5, "jones": 500}
    assert model.probability(smith) == Model(tf_last=dict(model.tf_last), people=10000).probability(
        smith
    )
    assert model.probability(smith) != before
    model.people = 1000
    fresh = Model(tf_last=dict(model.tf_last), people=1000)
    assert model.probability(smith) == fresh.probability(smith)


def test_it_learns_m_and_u_by_em_from_unlabelled_pairs():
    """Vectors drawn from a known model: EM, started from the priors, recovers its m and u."""
    rng = random.Random(3)
    truth_m = {"email": {"exact": 0.7, "different": 0.3}, "phone": {"exact": 0.8, "different": 0.2}}
    truth_u = {
        "email": {"exact": 0.02, "different": 0.98},
        "phone": {"exact": 0.1, "different": 0.9},
    }
    first_m = {"exact": 0.9, "typo": 0.05, "different": 0.05}
    first_u = {"exact": 0.1, "typo": 0.05, "different": 0.85}

    def draw(table: dict[str, float]) -> str:
        roll, total = rng.random(), 0.0
        for level, p in table.items():
            total += p
            if roll < total:
                return level
        return level

    vectors = []
    for _ in range(20000):
        same = rng.random() < 0.25
        m_or_u = (truth_m, first_m) if same else (truth_u, first_u)
        vectors.append(
            (
                draw(m_or_u[0]["email"]),
                draw(m_or_u[0]["phone"]),
                draw(m_or_u[1]),
                None,
                None,
                None,
            )
        )
    model = estimate(vectors)
    assert model.lam == pytest.approx(0.25, abs=0.02)
    assert model.m["email"]["exact"] == pytest.approx(0.7, abs=0.03)
    assert model.u["phone"]["exact"] == pytest.approx(0.1, abs=0.02)
    assert model.m["first"]["different"] == pytest.approx(0.05, abs=0.02)
    assert set(model.m) == set(LEVELS)


def test_labelled_pairs_move_the_estimate():
    shared_phone_new_name = (None, "exact", "different", "exact", None, None)
    unlabelled = [("exact", "exact", "exact", "exact", None, None)] * 200
    unlabelled += [("different", "different", "different", "different", None, None)] * 600
    unlabelled += [shared_phone_new_name] * 20
    before = estimate(unlabelled)
    after = estimate(unlabelled, [(shared_phone_new_name, False)] * 20)
    assert after.m["first"]["different"] < before.m["first"]["different"]
    assert after.labels == 20


def test_thresholds_follow_the_target_precision():
    probabilities = [0.999] * 90 + [0.95] * 10 + [0.6] * 10 + [0.1] * 50
    # A calibrated model expects mean(p) of the pairs above a threshold to be right.
    strict = threshold_for(probabilities, 0.99)
    assert strict.probability == 0.95 and strict.precision == pytest.approx(99.41 / 100)
    assert strict.recall == pytest.approx(99.41 / sum(probabilities))
    assert threshold_for(probabilities, 0.995).probability == 0.999
    loose = threshold_for(probabilities, 0.9)
    assert loose.probability == 0.6 and loose.recall > strict.recall
    assert threshold_for([0.2, 0.01], 0.99).probability == 0.99  # no duplicates yet


def test_a_household_landline_is_weaker_evidence_than_a_shared_mobile():
    model = Model(u_family={"phone": {"exact": 0.05, "one_digit": 0.01}})
    sister = compare(
        build_profile({"name": "Anna Clark", "phone": "020 7946 0958"}, "GB"),
        build_profile({"name": "Jessica Clark", "phone": "+44 20 7946 0958"}, "GB"),
    )
    mobile = compare(
        build_profile({"name": "Anna Clark", "phone": "07911 123456"}, "GB"),
        build_profile({"name": "Jessica Clark", "phone": "+44 7911 123456"}, "GB"),
    )
    same = compare(
        build_profile({"name": "Anna Clark", "phone": "020 7946 0958"}, "GB"),
        build_profile({"name": "Anna Clark", "phone": "+44 20 7946 0958"}, "GB"),
    )
    assert model.probability(sister) < model.probability(mobile)
    assert model.probability(same) == Model().probability(same)  # one person: no household


def test_it_links_few_of_the_people_who_share_a_household_line():
    from benchmarks.datasets.evaluate import evaluate
    from benchmarks.datasets.synthetic import generate

    report = evaluate(generate(2500, seed=4, households=0.1))
    assert report.sharing_pairs > 200  # the set really holds households and shared mailboxes
    assert report.sharing_linked / report.sharing_pairs < 0.02
    assert report.linked.precision >= 0.97


def test_an_office_line_shared_by_colleagues_is_weaker_evidence():
    model = Model(u_office={"phone": {"exact": 0.05, "one_digit": 0.01}})
    colleagues = compare(
        build_profile({"name": "Susan Collins", "phone": "310 867 8856", "company": "Sumville"}),
        build_profile({"name": "Susanne Jackson", "phone": "310-867-8856", "company": "Sumville"}),
    )
    strangers = compare(
        build_profile({"name": "Susan Collins", "phone": "310 867 8856"}),
        build_profile({"name": "Susanne Jackson", "phone": "310-867-8856"}),
    )
    _, with_office = model.weight(colleagues)
    _, without = model.weight(strangers)
    assert with_office["phone"] < without["phone"]


def test_an_office_line_is_weaker_evidence_between_relatives_in_a_family_firm_too():
    # Michael and Vincent Morales on the front desk's number of the family's law firm: the
    # line is the office's whatever the family names, so the office share holds for them.
    model = Model(u_office={"phone": {"exact": 0.05, "one_digit": 0.01}})
    relatives = compare(
        build_profile({"name": "Vincent Morales", "phone": "737 383 4952", "company": "Law"}),
        build_profile({"name": "Michael Morales", "phone": "+1 737 383 4952", "company": "Law"}),
    )
    elsewhere = compare(
        build_profile({"name": "Vincent Morales", "phone": "737 383 4952"}),
        build_profile({"name": "Michael Morales", "phone": "+1 737 383 4952"}),
    )
    _, at_the_firm = model.weight(relatives)
    _, at_home = model.weight(elsewhere)
    assert at_the_firm["phone"] == pytest.approx(math.log2(model.m["phone"]["exact"] / 0.05))
    assert at_the_firm["phone"] < at_home["phone"]


def test_estimation_learns_how_often_families_and_offices_share_a_number():
    from benchmarks.datasets.synthetic import generate
    from syncs.dedupe.estimation import family_u, office_u, random_vectors
    from syncs.dedupe.fellegi_sunter import estimate_u

    profiles = [build_profile(r.fields) for r in generate(1500, seed=8, households=0.2)]
    with_households = family_u(profiles, pairs=5000)["phone"]["exact"]
    anyone = estimate_u(random_vectors(profiles, pairs=20000))["phone"]["exact"]
    assert office_u(profiles, pairs=5000)["phone"]["exact"] > 2 * anyone  # the main line
    plain = [build_profile(r.fields) for r in generate(1500, seed=8)]
    assert family_u(plain, pairs=5000)["phone"]["exact"] < with_households / 4


def test_u_from_random_pairs_leaves_out_the_matches_among_them():
    """Random pairs of a client with many duplicates hold matches: one in a thousand here,
    nearly all of them sharing the mobile. What is left for strangers is far rarer."""
    from syncs.dedupe.estimation import without_matches

    model = Model()
    model.lam = 0.001
    model.m["phone"] = {"exact": 0.9, "one_digit": 0.05, "subscriber": 0.0, "different": 0.05}
    observed = {name: dict(levels) for name, levels in model.u.items()}
    observed["phone"] = {"exact": 0.00095, "one_digit": 0.0001, "subscriber": 0.0, "different": 0}
    observed["phone"]["different"] = 1 - sum(observed["phone"].values())
    u = without_matches(observed, model, sampled=50000)
    assert u["phone"]["exact"] == pytest.approx(0.00005 / 0.999, rel=0.01)
    assert u["phone"]["subscriber"] == pytest.approx(0.5 / 50000, rel=0.01)  # never zero
    assert sum(u["phone"].values()) == pytest.approx(1.0)
    # A level strangers share often is nearly untouched.
    assert u["email"]["different"] == pytest.approx(observed["email"]["different"], rel=0.01)


def test_u_of_an_equal_mailbox_or_number_is_counted_over_every_pair():
    """Sampled pairs would almost never hit the one shared number; counting holders does."""
    from syncs.dedupe.estimation import estimate_u, with_exact_shares

    people = [
        build_profile({"name": f"P{i} Q{i}", "phone": f"415 555 {1000 + i}"}) for i in range(99)
    ]
    people.append(build_profile({"name": "Ann Lee", "phone": "415 555 1000"}))  # shares P0's
    people += [
        build_profile({"name": f"R{i} S{i}", "email": "info@shop.example"}) for i in range(3)
    ]
    sampled = estimate_u([compare(people[1], people[2]).vector] * 50000)
    u = with_exact_shares(sampled, people)
    assert u["phone"]["exact"] == pytest.approx(1 / (100 * 99 / 2), rel=0.01)
    # All three share the front desk (the sample, with no e-mails, knew nothing of it).
    assert u["email"]["role_exact"] > 0.5 > sampled["email"]["role_exact"]
    assert sum(u["phone"].values()) == pytest.approx(1.0)


def test_a_pairs_weight_is_the_prior_plus_each_levels_bits_for_every_vector():
    """``weight`` writes out ``bits`` for speed (it runs once per scored pair): for every
    combination of levels, with no household, office or frequency tables, it is the prior plus
    each present level's bits in comparison order, to the last bit, and a level whose m or u
    is 0 is held at the floor as ``bits`` holds it."""
    rng = random.Random(7)
    model = Model(lam=0.013)
    for name, levels in LEVELS.items():
        for level in levels:
            model.m[name][level], model.u[name][level] = rng.random(), rng.random()
    model.m["email"]["handle"], model.u["phone"]["subscriber"] = 0.0, 0.0
    for vector in itertools.product(*[(None, *LEVELS[name]) for name in COMPARISONS]):
        total, parts = model.weight(Comparison(vector=vector))
        expected = {
            name: model.bits(name, level)
            for name, level in zip(COMPARISONS, vector, strict=True)
            if level is not None
        }
        assert parts == expected
        assert list(parts) == list(expected)
        assert total == math.log2(model.lam / (1 - model.lam)) + sum(expected.values())
    model.u["email"]["exact"] = 0.5  # a model changed after scoring is read anew
    _, parts = model.weight(Comparison(vector=("exact", None, None, None, None, None)))
    assert parts["email"] == model.bits("email", "exact")
