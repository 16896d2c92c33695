"""Scoring one incoming person against the candidates its blocking keys find.

Scores are match probabilities from the client's Fellegi-Sunter model
(``syncs.dedupe.fellegi_sunter``): a candidate at or above the detector's ``auto_link``
threshold is linked, one at or above ``review`` goes to staff. Both thresholds come from a
target precision (``syncs.dedupe.estimation``); until a client has an estimate, the starting
model and the defaults below apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from syncs.dedupe.fellegi_sunter import Model, compare, reasons
from syncs.dedupe.normalize import Profile, blocking_keys

AUTO_LINK = 0.99  # probability, until a client's thresholds are estimated
REVIEW_THRESHOLD = 0.5
MAX_CANDIDATES = 5

K = TypeVar("K")


@dataclass(frozen=True)
class Scored(Generic[K]):
    """One existing person compared with the incoming one."""

    person: K
    score: float
    reasons: tuple[str, ...]
    exact: bool = False  # at or above the auto-link threshold


@dataclass
class Outcome(Generic[K]):
    """What a check found: a linked person (exact match) and/or review candidates."""

    linked: Scored[K] | None = None
    candidates: list[Scored[K]] = field(default_factory=list)
    examined: int = 0  # people scored: proves blocking kept the work small


class CandidateSource(Protocol[K]):
    """Where candidates come from: the in-memory index or the per-client database index."""

    def lookup(self, keys: set[tuple[str, str]]) -> Mapping[K, Profile]:
        """People sharing at least one blocking key, by id (bounded per key)."""
        ...


@dataclass(frozen=True)
class Detector:
    """A model and the two thresholds applied to its probabilities."""

    model: Model = field(default_factory=Model)
    auto_link: float = AUTO_LINK
    review: float = REVIEW_THRESHOLD


DEFAULT = Detector()


# A sync job checks its person twice (before the CRM calls, and again when it indexes the
# person: another job may have indexed someone in between), and the second lookup mostly finds
# the same people: their comparisons are kept rather than made again. ``compare`` is a pure
# function of two frozen profiles; a changed stored person is a different profile, so a miss.
_compare = lru_cache(maxsize=1024)(compare)


def score_pair(
    new: Profile,
    old: Profile,
    detector: Detector = DEFAULT,
    holders: Mapping[tuple[str, str], int] | None = None,
) -> tuple[float, tuple[str, ...], bool]:
    """(match probability, reasons, linked) for an incoming profile against an indexed one."""
    found = _compare(new, old)
    probability = detector.model.probability(found, holders)
    return round(probability, 6), reasons(found), probability >= detector.auto_link


def rank(
    new: Profile,
    people: Mapping[K, Profile],
    detector: Detector = DEFAULT,
    holders: Mapping[tuple[str, str], int] | None = None,
) -> Outcome[K]:
    """Score every candidate; the most probable one at or above ``auto_link`` is linked, the
    others at or above ``review`` are listed (at most ``MAX_CANDIDATES``)."""
    scored = [Scored(pid, *score_pair(new, old, detector, holders)) for pid, old in people.items()]
    scored.sort(key=lambda s: (s.exact, s.score), reverse=True)
    outcome: Outcome[K] = Outcome(examined=len(scored))
    if scored and scored[0].exact:
        outcome.linked = scored.pop(0)
    outcome.candidates = [s for s in scored if s.score >= detector.review][:MAX_CANDIDATES]
    return outcome


def match(new: Profile, source: CandidateSource[K], detector: Detector = DEFAULT) -> Outcome[K]:
    """Look candidates up by the incoming profile's blocking keys and rank them; how many
    people hold each shared e-mail or phone comes with the lookup (``source.holders``)."""
    people = source.lookup(blocking_keys(new))
    return rank(new, people, detector, getattr(source, "holders", None))
