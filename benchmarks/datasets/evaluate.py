"""Precision and recall of the detector on a labelled set, beside the exact-match baseline.

The model is first estimated on the set itself without its labels, as it would be on a
client's people. Then records arrive one at a time, as leads do: each is checked against those
before it, then indexed. A predicted pair is right when both records carry the same ``entity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from syncs.dedupe.estimation import AUTO_LINK_PRECISION, REVIEW_PRECISION, Fit, fit
from syncs.dedupe.fellegi_sunter import compare
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import blocking_keys, build_profile, email_alias_key


class Labelled(Protocol):
    entity: int | str
    fields: dict[str, str]


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

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    flagged: Tally  # auto-linked or sent to review
    linked: Tally  # auto-linked only
    baseline: Tally  # exact e-mail, else exact phone (what a CRM "find contact" does)
    fitted: Fit | None = None
    # Every scored candidate pair: (probability, same entity); for sweeps over thresholds.
    scored: list[tuple[float, bool]] = field(default_factory=list)
    true_pairs: int = 0
    # Different people who share a mailbox or a phone, and how many of them were linked.
    sharing_pairs: int = 0
    sharing_linked: int = 0

    def recall_at_precision(self, target: float) -> tuple[float, float]:
        """(best recall of any threshold whose precision is >= target, that threshold)."""
        best, at = 0.0, 1.0
        hits = 0
        ordered = sorted(self.scored, reverse=True)
        for count, (p, same) in enumerate(ordered, start=1):
            hits += same
            boundary = count == len(ordered) or ordered[count][0] < p
            recall = hits / self.true_pairs if self.true_pairs else 0.0
            if boundary and hits / count >= target and recall > best:
                best, at = recall, p
        return best, at

    def best_f1(self) -> tuple[float, float, float]:
        """(F1, precision, recall) at the best threshold."""
        best = (0.0, 0.0, 0.0)
        hits = 0
        ordered = sorted(self.scored, reverse=True)
        for count, (_, same) in enumerate(ordered, start=1):
            hits += same
            p, r = hits / count, hits / max(self.true_pairs, 1)
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            best = max(best, (f1, p, r))
        return best


def evaluate(
    records: Sequence[Labelled],
    region: str = "US",
    auto_precision: float = AUTO_LINK_PRECISION,
    review_precision: float = REVIEW_PRECISION,
) -> Report:
    """Pair by pair, as ``find_duplicates`` prints them: every candidate pair the blocking keys
    bring together is scored; pairs at or above the auto-link threshold count as linked, at or
    above review as flagged. The baseline links a record to every earlier one with the same
    mailbox (case and Gmail aliases folded) or E.164 phone."""
    profiles = [
        build_profile(r.fields, (r.fields.get("region") or "").upper() or region) for r in records
    ]
    fitted = fit(profiles, (), auto_precision, review_precision)
    detector = fitted.detector
    index: MemoryIndex[int] = MemoryIndex()
    report = Report(Tally(), Tally(), Tally(), fitted)
    seen: dict[int | str, set[int]] = {}
    holders: dict[str, list[int]] = {}
    for position, (record, profile) in enumerate(zip(records, profiles, strict=True)):
        actual = set(seen.get(record.entity, ()))
        report.true_pairs += len(actual)
        scores = {
            pid: detector.model.probability(compare(profile, old), index.holders)
            for pid, old in index.lookup(blocking_keys(profile)).items()
        }
        report.scored += [(p, pid in actual) for pid, p in scores.items()]
        linked = {pid for pid, p in scores.items() if p >= detector.auto_link}
        report.linked.add(linked, actual)
        report.flagged.add({pid for pid, p in scores.items() if p >= detector.review}, actual)
        values = [f"e:{email_alias_key(e)}" for e in profile.emails]
        values += [f"p:{phone}" for phone in profile.phones]
        sharing = {pid for value in values for pid in holders.get(value, ())}
        report.baseline.add(sharing, actual)
        report.sharing_pairs += len(sharing - actual)
        report.sharing_linked += len((sharing - actual) & linked)
        index.add(position, profile)
        seen.setdefault(record.entity, set()).add(position)
        for value in values:
            holders.setdefault(value, []).append(position)
    return report
