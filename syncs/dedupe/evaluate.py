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
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import build_profile, email_alias_key


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
    profiles = [
        build_profile(r.fields, (r.fields.get("region") or "").upper() or region) for r in records
    ]
    fitted = fit(profiles, (), auto_precision, review_precision)
    detector = fitted.detector
    index: MemoryIndex[int] = MemoryIndex()
    report = Report(Tally(), Tally(), Tally(), fitted)
    seen: dict[int | str, set[int]] = {}
    by_email: dict[str, int] = {}
    by_phone: dict[str, int] = {}
    holders_email: dict[str, list[int]] = {}
    holders_phone: dict[str, list[int]] = {}
    for position, (record, profile) in enumerate(zip(records, profiles, strict=True)):
        actual = set(seen.get(record.entity, ()))
        report.true_pairs += len(actual)
        outcome = index.check(profile, detector)
        linked = {outcome.linked.person} if outcome.linked else set()
        report.linked.add(linked, actual)
        report.flagged.add(linked | {c.person for c in outcome.candidates}, actual)
        report.baseline.add(_baseline(profile, by_email, by_phone), actual)
        for pid, old in index.lookup(_all_keys(profile)).items():
            p = detector.model.probability(_compare(profile, old), index.holders)
            report.scored.append((p, pid in actual))
        sharing = set()
        for email in profile.emails:
            sharing |= set(holders_email.get(email_alias_key(email), ()))
        for phone in profile.phones:
            sharing |= set(holders_phone.get(phone, ()))
        sharing -= actual
        report.sharing_pairs += len(sharing)
        report.sharing_linked += len(sharing & linked)
        index.add(position, profile)
        seen.setdefault(record.entity, set()).add(position)
        for email in profile.emails:
            by_email.setdefault(email_alias_key(email), position)
            holders_email.setdefault(email_alias_key(email), []).append(position)
        for phone in profile.phones:
            by_phone.setdefault(phone, position)
            holders_phone.setdefault(phone, []).append(position)
    return report


def _all_keys(profile):
    from syncs.dedupe.normalize import blocking_keys

    return blocking_keys(profile)


def _compare(new, old):
    from syncs.dedupe.fellegi_sunter import compare

    return compare(new, old)


def _baseline(profile, by_email: dict, by_phone: dict) -> set[int]:
    """Exact e-mail (case and Gmail aliases folded), else exact E.164 phone."""
    hit = next((by_email[e] for e in map(email_alias_key, profile.emails) if e in by_email), None)
    if hit is None:
        hit = next((by_phone[p] for p in profile.phones if p in by_phone), None)
    return {hit} if hit is not None else set()
