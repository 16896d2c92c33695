"""``manage.py find_duplicates``: pairs from a tiny labelled file, no database."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

LABELLED = """id,name,email,phone,company,truth
a1,Robert Smith,rsmith@acme.example,+1 (415) 555-0100,Acme Inc,p1
a2,Bob Smith,,4155550100,Acme,p1
a3,John Doe,John.Doe+x@GMail.com,,,p2
a4,John Doe,johndoe@gmail.com,,,p2
a5,Mary Jones,info@acme.example,,Acme,p3
a6,Peter Parker,INFO@acme.example,,Acme,p4
a7,Katherine Lee,kate.lee+news@home.example,,Lee Dental,p5
a8,Kate Leee,kate.lee@home.example,020 7946 0958,,p5
a9,John Smith,jsmith@other.example,312 555 0199,,p6
"""


def run(tmp_path, text: str, *args: str) -> list[dict[str, str]]:
    path = tmp_path / "people.csv"
    path.write_text(text)
    out = io.StringIO()
    call_command("find_duplicates", str(path), *args, stdout=out, stderr=io.StringIO())
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_it_prints_exactly_the_labelled_pairs(tmp_path):
    rows = run(tmp_path, LABELLED)
    truth = {r["id"]: r["truth"] for r in csv.DictReader(io.StringIO(LABELLED))}
    found = {(r["row_a"], r["row_b"]) for r in rows}
    expected = {(a, b) for a in truth for b in truth if a < b and truth[a] == truth[b]}
    assert found == expected
    by_pair = {(r["row_a"], r["row_b"]): r for r in rows}
    assert float(by_pair[("a1", "a2")]["score"]) >= 0.99
    assert "nickname" in by_pair[("a1", "a2")]["reasons"].split(";")
    assert float(by_pair[("a7", "a8")]["score"]) < 1.0


def test_it_numbers_rows_without_an_id_column_and_reads_a_region_column(tmp_path):
    text = (
        "name,email,phone,company,region\nAnn Lee,,020 7946 0958,,GB\nAnn Lee,,+44 20 7946 0958,,\n"
    )
    assert [(r["row_a"], r["row_b"]) for r in run(tmp_path, text)] == [("1", "2")]
    assert run(tmp_path, text.replace(",GB\n", ",\n"), "--region", "US") == []


def test_it_refuses_a_file_without_the_columns(tmp_path):
    with pytest.raises(CommandError, match="missing column"):
        run(tmp_path, "name,email\nAnn,a@b.example\n")
    with pytest.raises(CommandError, match="region"):
        run(tmp_path, LABELLED, "--region", "XX")
