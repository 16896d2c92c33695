"""Precision and recall of the detector on a labelled set, beside the exact-match baseline.

Records arrive one at a time, as leads do: each is checked against those before it, then
indexed. A predicted pair is right when both records carry the same ``entity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from syncs.dedupe.match import REVIEW_THRESHOLD
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import build_profile, normalise_email, normalise_phone
from syncs.dedupe.synthetic import SyntheticRecord


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def add(self, predicted: set[int], actual: set[int]) -> None:
        self.true_positive += len(predicted & actual)
        self.false_positive += len(predicted - actual)
        self.false_negative += len(actual - predicted)

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        real = self.true_positive + self.false_negative
        return self.true_positive / real if real else 1.0


@dataclass
class Report:
    flagged: Tally  # auto-linked or sent to review
    linked: Tally  # auto-linked only
    baseline: Tally  # exact e-mail, else exact phone (what a CRM "find contact" does)


def evaluate(
    records: Sequence[SyntheticRecord], region: str = "US", review: float = REVIEW_THRESHOLD
) -> Report:
    index: MemoryIndex[int] = MemoryIndex()
    report = Report(Tally(), Tally(), Tally())
    seen: dict[int, set[int]] = {}
    by_email: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    for position, record in enumerate(records):
        actual = set(seen.get(record.entity, ()))
        profile = build_profile(record.fields, region)
        outcome = index.check(profile, review)
        linked = {outcome.linked.person} if outcome.linked else set()
        report.linked.add(linked, actual)
        report.flagged.add(linked | {c.person for c in outcome.candidates}, actual)
        report.baseline.add(_baseline(record.fields, region, by_email, by_phone), actual)
        index.add(position, profile)
        seen.setdefault(record.entity, set()).add(position)
        _remember(record.fields, region, position, by_email, by_phone)
    return report


def _baseline(fields: dict[str, str], region: str, by_email: dict, by_phone: dict) -> set[int]:
    email = normalise_email(fields.get("email", ""))
    phone = normalise_phone(fields.get("phone", ""), region)
    hit = by_email.get(email) if email else None
    if hit is None and phone:
        hit = by_phone.get(phone)
    return {hit} if hit is not None else set()


def _remember(fields: dict, region: str, position: int, by_email: dict, by_phone: dict) -> None:
    email = normalise_email(fields.get("email", ""))
    phone = normalise_phone(fields.get("phone", ""), region)
    if email:
        by_email.setdefault(email, position)
    if phone:
        by_phone.setdefault(phone, position)
