"""The lead fast path: ``plainly_valid`` never accepts what the serializer refuses, and does
accept ordinary leads (so the fast path is really taken)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncs.intake.api import LEAD_EXAMPLE
from syncs.intake.serializers import LeadInputSerializer, plainly_valid

from .conftest import LEAD

FIELDS = list(LeadInputSerializer._declared_fields)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.sampled_from(["", " ", "a@b.example", "+1 415 555 0000", "https://x.example/t", "x" * 300]),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "Cs"]), max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    st.just({"k": "v" * 20_000}),
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from([*FIELDS, "unknown", "Email"]), values, max_size=6),
    st.fixed_dictionaries({"email": values}, optional={n: values for n in FIELDS if n != "email"}),
    st.lists(st.integers(), max_size=2),
    st.text(max_size=5),
)


@settings(max_examples=1500, deadline=None)
@given(bodies)
def test_it_never_accepts_what_the_serializer_refuses(body):
    if plainly_valid(LeadInputSerializer, body):
        assert LeadInputSerializer(data=body).is_valid(), body


@pytest.mark.parametrize(
    "body",
    [
        LEAD,
        LEAD_EXAMPLE,
        {"phone": "1"},
        {"email": "a@b.example", "lead_score": 0, "source_tag": "Spring_2026", "extra": {}},
        {"email": "", "phone": "2", "transcript_url": ""},
    ],
)
def test_it_accepts_ordinary_leads(body):
    assert plainly_valid(LeadInputSerializer, body)
    assert LeadInputSerializer(data=body).is_valid()


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a\x00b"},
        {"email": "a@b.example", "lead_score": True},
        {"email": "a@b.example", "lead_score": 101},
        {"email": "a@b.example", "lead_score": "5"},
        {"email": "a@b.example", "source_tag": ""},
        {"email": "a@b.example", "transcript_url": "ftp://x"},
        {"email": "a@b.example", "extra": {"k": "v" * 20_000}},
        {"email": "a@b.example", "nme": "typo"},
        {"email": " "},
        {"email": None},
        [],
    ],
)
def test_it_leaves_every_refusal_to_the_serializer(body):
    assert not plainly_valid(LeadInputSerializer, body)
    assert not LeadInputSerializer(data=body).is_valid()


def test_it_builds_no_serializer_fields(monkeypatch):
    """The point of the fast path: DRF's per-instance deep copy of the fields is skipped."""

    def refuse(self):
        raise AssertionError("fields were built")

    monkeypatch.setattr(LeadInputSerializer, "get_fields", refuse)
    assert plainly_valid(LeadInputSerializer, LEAD)
