"""Precision and recall on a small seeded synthetic set, against the exact-match baseline."""

from __future__ import annotations

from benchmarks.datasets.evaluate import evaluate
from benchmarks.datasets.synthetic import generate


def test_it_generates_the_same_labelled_set_for_a_seed():
    assert generate(200, seed=1) == generate(200, seed=1)
    assert generate(200, seed=1) != generate(200, seed=2)


def test_it_finds_more_duplicates_than_exact_matching_without_losing_precision():
    report = evaluate(generate(2000, seed=42))
    assert report.flagged.true_positive > 300  # the set really holds duplicates
    assert report.flagged.precision >= 0.97
    assert report.linked.precision >= 0.99
    assert report.flagged.recall > report.baseline.recall + 0.05
    assert report.baseline.recall < 0.95  # exact matching really misses some


def test_it_puts_the_traps_in_the_set():
    records = generate(2000, seed=42)
    mailboxes: dict[str, set[int]] = {}
    for record in records:
        if record.fields["email"].startswith("info@"):
            mailboxes.setdefault(record.fields["email"], set()).add(record.entity)
    assert any(len(entities) > 1 for entities in mailboxes.values())  # shared info@
