"""Estimating a client's duplicate model from its own people, and the thresholds it implies.

``fit`` works on plain profiles (``find_duplicates``, the benchmark); ``estimate_for_client``
reads the client's people and its staff's review decisions from the database and stores the
result (``MatchModel``), which ``detector_for`` hands to every check.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from syncs.dedupe.fellegi_sunter import (
    COMPARISONS,
    Comparison,
    Model,
    Threshold,
    Vector,
    compare,
    estimate_by_rules,
    estimate_u,
    name_frequencies,
    threshold_for,
)
from syncs.dedupe.match import AUTO_LINK, REVIEW_THRESHOLD, Detector
from syncs.dedupe.memory import MemoryIndex
from syncs.dedupe.normalize import (
    Profile,
    blocking_keys,
    email_alias_key,
    is_role_mailbox,
    stored_profile,
)

if TYPE_CHECKING:  # models import this module: imported where used, at run time
    from syncs.dedupe.models import DuplicateCandidate, MatchModel
    from tenants.models import Client

AUTO_LINK_PRECISION = 0.99  # default target precision of automatic links
REVIEW_PRECISION = 0.9  # default target precision of everything flagged (links + review)
SAMPLE_PEOPLE = 20000  # people an estimate reads at most (the most recent)
RANDOM_PAIRS = 50000  # random pairs u is estimated on
# Fewer people than this teach EM little; the starting model and default thresholds apply.
MIN_PEOPLE = 300
U_ROUNDS = 2  # rounds of taking the matches out of the random pairs' u (they converge fast)


@dataclass(frozen=True)
class Fit:
    model: Model
    auto_link: Threshold
    review: Threshold

    @property
    def detector(self) -> Detector:
        review = min(self.review.probability, self.auto_link.probability)
        return Detector(self.model, self.auto_link.probability, review)


def candidate_pairs(profiles: Sequence[Profile]) -> list[tuple[int, int, Vector]]:
    """Every pair the blocking keys bring together, each person against those before it (as
    leads arrive), with its comparison vector."""
    index: MemoryIndex[int] = MemoryIndex()
    pairs: list[tuple[int, int, Vector]] = []
    for position, profile in enumerate(profiles):
        for other, old in index.lookup(blocking_keys(profile)).items():
            pairs.append((other, position, compare(profile, old).vector))
        index.add(position, profile)
    return pairs


def random_vectors(
    profiles: Sequence[Profile], pairs: int = RANDOM_PAIRS, seed: int = 0
) -> list[Vector]:
    """Comparison vectors of random pairs of distinct people (for u)."""
    rng = random.Random(seed)
    if len(profiles) < 2:
        return []
    vectors: list[Vector] = []
    for _ in range(pairs):
        a, b = rng.sample(range(len(profiles)), 2)
        vectors.append(compare(profiles[a], profiles[b]).vector)
    return vectors


def with_exact_shares(
    observed: dict[str, dict[str, float]], profiles: Sequence[Profile]
) -> dict[str, dict[str, float]]:
    """u's equal-mailbox and equal-number levels counted over every pair instead of sampled.

    Among 50,000 random pairs only a handful share an address, so the sampled share of those
    levels (the one the matches are then taken out of) swings by a third between samples;
    counting how many people hold each value gives it exactly, for the cost of one pass. The
    share is among pairs where both have the field, as ``estimate_u`` counts; "different"
    takes up the change."""
    u = {name: dict(levels) for name, levels in observed.items()}
    holders: dict[str, Counter[str]] = {"email": Counter(), "phone": Counter()}
    having: Counter[str] = Counter()
    for profile in profiles:
        values = {
            "email": {email_alias_key(e) for e in profile.emails},
            "phone": set(profile.phones),
        }
        for name, found in values.items():
            having[name] += bool(found)
            holders[name].update(found)
    for name, counts in holders.items():
        pairs = having[name] * (having[name] - 1) / 2
        if pairs < 1:
            continue
        shares: dict[str, float] = {"exact": 0.0, "role_exact": 0.0}
        for value, n in counts.items():
            level = "role_exact" if name == "email" and is_role_mailbox(value) else "exact"
            shares[level] += n * (n - 1) / 2 / pairs
        floor = min(u[name].values())
        for level in ("exact", "role_exact") if name == "email" else ("exact",):
            shift = max(shares[level], floor) - u[name][level]
            u[name][level] += shift
            u[name]["different"] = max(u[name]["different"] - shift, floor)
        total = sum(u[name].values())
        u[name] = {level: p / total for level, p in u[name].items()}
    return u


def without_matches(
    observed: dict[str, dict[str, float]], model: Model, sampled: int
) -> dict[str, dict[str, float]]:
    """u with the matches among the random pairs taken out.

    A random pair is a match with probability ``model.lam``, so what random pairs show is the
    mixture ``lam * m + (1 - lam) * u``, not u. On a client with many duplicates (or a small
    one) the matches are most of the random pairs that share a mobile number or a mailbox, and
    taking that share for u makes an equal mobile look as common among strangers as it is
    among all pairs: the observed share of each level, less ``lam * m``, over ``1 - lam``,
    never below the half pair ``estimate_u`` gives a level never seen."""
    floor = 0.5 / max(sampled, 1)
    lam = model.lam
    u: dict[str, dict[str, float]] = {}
    for name, levels in observed.items():
        cleaned = {
            level: max(floor, (p - lam * model.m[name][level]) / (1 - lam))
            for level, p in levels.items()
        }
        total = sum(cleaned.values())
        u[name] = {level: p / total for level, p in cleaned.items()}
    return u


def family_u(
    profiles: Sequence[Profile], pairs: int = RANDOM_PAIRS, seed: int = 0
) -> dict[str, dict[str, float]]:
    """How often two different people with one family name share a mailbox or a phone: pairs
    drawn within each family name (weighted by how many pairs the name makes), those with
    unrelated given names (different people, not a nickname or typo) counted."""
    return _shared_within(profiles, lambda p: p.last, "first", pairs, seed)


def office_u(
    profiles: Sequence[Profile], pairs: int = RANDOM_PAIRS, seed: int = 0
) -> dict[str, dict[str, float]]:
    """The same within each company, counting colleagues with another family name."""
    return _shared_within(profiles, lambda p: p.company, "last", pairs, seed)


def _shared_within(
    profiles: Sequence[Profile],
    group_of: Callable[[Profile], str],
    differing: str,
    pairs: int,
    seed: int,
) -> dict[str, dict[str, float]]:
    """u per level of e-mail and phone among pairs that share a group and differ on
    ``differing`` (so are, nearly always, two people)."""
    rng = random.Random(seed)
    families: dict[str, list[int]] = {}
    for position, profile in enumerate(profiles):
        if group_of(profile):
            families.setdefault(group_of(profile), []).append(position)
    groups = [ids for ids in families.values() if len(ids) > 1]
    if not groups:
        return {}
    weights = [len(ids) * (len(ids) - 1) for ids in groups]
    shared = {"email": ("exact", "plus", "typo"), "phone": ("exact", "one_digit")}
    counts = {name: dict.fromkeys(levels, 0.5) for name, levels in shared.items()}
    compared = dict.fromkeys(shared, 1.0)  # with half a pair per level: never zero
    for ids in rng.choices(groups, weights=weights, k=pairs):
        a, b = rng.sample(ids, 2)
        found = compare(profiles[a], profiles[b])
        if found.vector[COMPARISONS.index(differing)] != "different":
            continue
        for name in shared:
            level = found.vector[COMPARISONS.index(name)]
            if level is not None:
                compared[name] += 1
                if level in counts[name]:
                    counts[name][level] += 1
    return {
        name: {level: n / compared[name] for level, n in levels.items()}
        for name, levels in counts.items()
    }


def fit(
    profiles: Sequence[Profile],
    labelled: Iterable[tuple[Vector, bool]] = (),
    auto_precision: float = AUTO_LINK_PRECISION,
    review_precision: float = REVIEW_PRECISION,
) -> Fit:
    """Learn the model on ``profiles`` (EM, no labels needed) plus staff decisions, then set
    both thresholds from the candidate pairs' probabilities under it. Below ``MIN_PEOPLE`` the
    starting model is kept with the default thresholds."""
    labelled = list(labelled)
    if len(profiles) < MIN_PEOPLE:
        model = Model()
        model.labels = len(labelled)
        return Fit(
            model,
            Threshold(AUTO_LINK, 0.0, 0.0, auto_precision),
            Threshold(REVIEW_THRESHOLD, 0.0, 0.0, review_precision),
        )
    vectors = [v for _, _, v in candidate_pairs(profiles)]
    sampled = random_vectors(profiles)
    observed = with_exact_shares(estimate_u(sampled), profiles)
    count = len(profiles)
    all_pairs = count * (count - 1) // 2
    model = estimate_by_rules(vectors, labelled, observed, all_pairs)
    for _ in range(U_ROUNDS):  # u without the matches the random pairs held, then m again
        u = without_matches(observed, model, len(sampled))
        model = estimate_by_rules(vectors, labelled, u, all_pairs)
    model.tf_first, model.tf_last, model.people = name_frequencies(profiles)
    model.u_family = family_u(profiles)
    model.u_office = office_u(profiles)
    index: MemoryIndex[int] = MemoryIndex()
    probabilities: list[float] = []
    for position, profile in enumerate(profiles):  # with frequencies, as checks will score
        people = index.lookup(blocking_keys(profile))
        for old in people.values():
            probabilities.append(model.probability(compare(profile, old), index.holders))
        index.add(position, profile)
    return Fit(
        model,
        threshold_for(probabilities, auto_precision),
        threshold_for(probabilities, review_precision),
    )


# --- per client, in the database ---------------------------------------------------------------


def estimate_for_client(
    client: Client,
    sample: int = SAMPLE_PEOPLE,
    seed: int = 0,
    auto_precision: float | None = None,
) -> MatchModel:
    """Estimate and store the client's model from its (unmerged) people and every decided
    review pair (merged: one person; dismissed: two). Returns the stored ``MatchModel``."""
    from syncs.dedupe.models import DuplicateCandidate, MatchModel, Person
    from tenants.scoping import for_client

    stored = MatchModel.objects.filter(client=client).first()
    auto_target = auto_precision or (stored.auto_link_precision if stored else AUTO_LINK_PRECISION)
    review_target = stored.review_precision if stored else REVIEW_PRECISION
    people = for_client(Person, client).filter(merged_into=None).order_by("-id")[:sample]
    profiles = [stored_profile(p) for p in people]
    random.Random(seed).shuffle(profiles)  # arrival order matters only for holder counts
    decided = for_client(DuplicateCandidate, client).exclude(status=DuplicateCandidate.Status.OPEN)
    pairs = [
        (pair, pair.status == DuplicateCandidate.Status.MERGED)
        for pair in decided.select_related("person", "existing")
    ]
    labelled = [(_comparison(pair).vector, same) for pair, same in pairs]
    result = fit(profiles, labelled, auto_target, review_target)
    scored = [(result.model.probability(_comparison(pair)), same) for pair, same in pairs]
    result = Fit(result.model, checked_by_staff(result.auto_link, scored), result.review)
    review = min(result.review, result.auto_link, key=lambda t: t.probability)
    values = {
        "params": result.model.as_json(),
        "auto_link": result.auto_link.probability,
        "auto_link_precision": auto_target,
        "auto_link_expected_precision": result.auto_link.precision,
        "auto_link_expected_recall": result.auto_link.recall,
        "review": review.probability,
        "review_precision": review_target,
        "review_expected_precision": review.precision,
        "review_expected_recall": review.recall,
        "people": len(profiles),
        "pairs": result.model.pairs,
        "labels": len(labelled),
    }
    model, _ = MatchModel.objects.update_or_create(client=client, defaults=values)
    _cache.pop(client.pk, None)
    return model


def _comparison(pair: DuplicateCandidate) -> Comparison:
    return compare(stored_profile(pair.person), stored_profile(pair.existing))


MIN_CHECKED = 20  # staff decisions at or above a threshold before they may move it


def checked_by_staff(threshold: Threshold, decided: Sequence[tuple[float, bool]]) -> Threshold:
    """The auto-link threshold held against staff's decisions, which the model may still get
    wrong after learning from them: when at least ``MIN_CHECKED`` decided pairs score at or
    above it and fewer than the target share of them were one person, it is raised to the
    lowest probability above which the decided pairs reach the target (or above the highest
    pair staff dismissed). Only raised: staff decide pairs in the review band, so their
    decisions say little about pairs linked without review."""
    ordered = sorted(decided, reverse=True)
    above = [same for p, same in ordered if p >= threshold.probability]
    if len(above) < MIN_CHECKED or sum(above) / len(above) >= threshold.target:
        return threshold
    raised, hits = None, 0
    for count, (p, same) in enumerate(ordered, start=1):
        hits += same
        boundary = count == len(ordered) or ordered[count][0] < p
        if boundary and hits / count >= threshold.target and p > threshold.probability:
            raised = p
    if raised is None:
        dismissed = [p for p, same in ordered if not same]
        raised = min(1.0, math.nextafter(max(dismissed), 2.0))
    return Threshold(raised, threshold.precision, threshold.recall, threshold.target)


_cache: dict[int, tuple[object, Detector]] = {}
UNKNOWN = object()  # the caller does not know which estimate is current


def detector_for(client: Client, version: object = UNKNOWN) -> Detector:
    """The client's estimated detector, or the default one before the first estimate.

    ``version`` is the estimate's ``estimated_at`` as the caller read it (None: no estimate),
    which a check reads in the same statement as its candidates: the stored model (its name
    tables make it the size of a small document) is then loaded once per estimate and process,
    and a check costs no statement of its own. Without a version, the row is read."""
    from syncs.dedupe.models import MatchModel

    cached = _cache.get(client.pk)
    if version is not UNKNOWN:
        version = version_key(version)
        if cached and cached[0] == version:
            return cached[1]
    stored = None if version is None else MatchModel.objects.filter(client=client).first()
    if stored is None:
        detector = Detector(Model(), AUTO_LINK, REVIEW_THRESHOLD)
    else:
        detector = Detector(Model.from_json(stored.params), stored.auto_link, stored.review)
    _cache[client.pk] = (version_key(stored.estimated_at) if stored else None, detector)
    return detector


def version_key(value: object) -> str | None:
    """An estimate's time as one comparable string, whether the ORM or a raw statement (a
    string on SQLite, naive or aware) read it."""
    if value is None:
        return None
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return str(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment.astimezone(UTC).isoformat()


def forget_cached(client: Client) -> None:
    _cache.pop(client.pk, None)
