"""FEBRL made CRM-shaped, and the detector scored on it: data this project did not make."""

from __future__ import annotations

from benchmarks.datasets.evaluate import evaluate
from benchmarks.datasets.public_sets import crm_shaped, entity_of, load_febrl


def test_it_shapes_a_febrl_row_as_a_crm_contact_from_its_own_fields():
    row = {
        "given_name": "lachlan",
        "surname": "berry",
        "state": "qld",
        "postcode": "4814",
        "date_of_birth": "19990219",
        "soc_sec_id": "7364009",
    }
    assert crm_shaped(row) == {
        "name": "lachlan berry",
        "email": "lachlan.berry99@optusnet.com.au",
        "phone": "0417 364 009",
        "company": "",
        "region": "AU",
    }
    missing = crm_shaped({**row, "given_name": float("nan"), "soc_sec_id": "73640"})
    assert missing["name"] == "berry" and missing["email"] == ""
    assert missing["phone"] == ""  # a damaged id is no number
    assert entity_of("rec-223-dup-0") == entity_of("rec-223-org") == "223"


def test_it_loads_febrl_1_with_its_labels():
    records = load_febrl(1)
    assert len(records) == 1000
    assert len({r.entity for r in records}) == 500


def test_it_beats_exact_matching_on_febrl_1():
    report = evaluate(load_febrl(1), region="AU")
    recall, _ = report.recall_at_precision(0.99)
    assert report.linked.precision >= 0.99
    assert recall >= report.baseline.recall + 0.02  # see benchmarks/RESULTS.md for all sets
