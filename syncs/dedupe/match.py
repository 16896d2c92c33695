"""Scoring two people and matching one against candidates found through blocking keys.

The rules, in order:

1. Equal mailbox (Gmail dots and +tags folded) or equal E.164 phone links automatically (score
   1.0), unless the address is a shared role mailbox (info@, sales@, ...), which never links on
   its own, or the names contradict each other (a family phone, colleagues on an office line).
2. An equal personal mailbox with the same given name and a new family name (a marriage?) goes to
   review at 0.8. Otherwise the names must agree (nicknames, initials and typos allowed) and the
   score adds the supporting evidence: a plus-tag variant of the address, the same personal
   handle at another domain, a one-character email or phone typo, the same last seven phone
   digits, the same company. Known identifiers that differ count against.
3. ``score >= review`` makes a candidate for staff review; nothing but rule 1 links.

Only rapidfuzz computes distances; the rules here decide what the distances mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from rapidfuzz.distance import OSA, JaroWinkler

from syncs.dedupe.nicknames import same_given_name
from syncs.dedupe.normalize import (
    Profile,
    bare_handle,
    blocking_keys,
    email_alias_key,
    email_local,
    email_plus_key,
    given,
    is_name_handle,
    is_role_mailbox,
    phone_tail,
    strip_digits,
)

AUTO_LINK = 1.0
REVIEW_THRESHOLD = 0.75
MAX_CANDIDATES = 5
NAME_CHANGE_SCORE = 0.8
# Weights of supporting evidence on top of 0.6 x name agreement (see module docstring).
EVIDENCE = {
    "email_plus": 0.3,
    "email_local": 0.2,
    "email_typo": 0.2,
    "phone_tail": 0.2,
    "phone_typo": 0.2,
    "company": 0.2,
    "shared_identifier": 0.15,
    "role_mailbox": 0.05,
}
PENALTY = {"phones_differ": 0.05, "emails_differ": 0.05, "company_differ": 0.05}

K = TypeVar("K")


@dataclass(frozen=True)
class Scored(Generic[K]):
    """One existing person compared with the incoming one."""

    person: K
    score: float
    reasons: tuple[str, ...]
    exact: bool = False


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


def first_similarity(a: str, b: str) -> tuple[float, str] | None:
    """How well two given names agree, with the reason; None when either is unknown."""
    a, b = given(a), given(b)
    if not a or not b:
        return None
    if a == b:
        return 1.0, "first_name"
    if same_given_name(a, b):
        return 0.95, "nickname"
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return 0.85, "initial"
    return _typo_or_distance(a, b, "first_typo")


def last_similarity(a: str, b: str) -> tuple[float, str] | None:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if not a or not b:
        return None
    if a == b:
        return 1.0, "last_name"
    if min(len(a), len(b)) >= 4 and (a in b or b in a):
        return 0.85, "last_name_part"  # double-barrelled: Smith vs Smith-Jones
    return _typo_or_distance(a, b, "last_typo")


def _typo_or_distance(a: str, b: str, reason: str) -> tuple[float, str]:
    similarity = JaroWinkler.normalized_similarity(a, b)
    allowed = 1 if max(len(a), len(b)) < 8 else 2
    if OSA.distance(a, b) <= allowed and min(len(a), len(b)) >= 3:
        return max(similarity, 0.85), reason
    return similarity, ""


def name_agreement(new: Profile, old: Profile) -> tuple[float, list[str], str]:
    """(score 0..1, reasons, which names contradict: "" | "given" | "family")."""
    first = first_similarity(new.first, old.first)
    last = last_similarity(new.last, old.last)
    reasons = [r for r in (first and first[1], last and last[1]) if r]
    # Names contradict unless equal, nicknames, an initial or a typo of each other (Jaro-Winkler
    # alone rates Sean/Stephanie 0.83). Two colleagues on one office line often share a first
    # name, so differing family names contradict too.
    conflict = ""
    if new.generation and old.generation and new.generation != old.generation:
        conflict = "generation"  # a Jr. and a Sr. on one landline are two people
    elif first is not None and not first[1]:
        conflict = "given"
    elif last is not None and not last[1]:
        conflict = "family"
    if first is None and last is None:
        return 0.0, reasons, conflict
    if first is None:
        return 0.9 * last[0], reasons, conflict
    if last is None:
        return 0.7 * first[0], reasons, conflict
    return 0.45 * first[0] + 0.55 * last[0], reasons, conflict


def identifier_evidence(new: Profile, old: Profile) -> list[str]:
    """Which identifier comparisons hold, as reason names (see EVIDENCE and PENALTY)."""
    found = _email_evidence(new, old) + _phone_evidence(new.phones, old.phones)
    if new.company and old.company:
        same = JaroWinkler.normalized_similarity(new.company, old.company) >= 0.93
        found.append("company" if same else "company_differ")
    return found


def _email_evidence(new_person: Profile, old_person: Profile) -> list[str]:
    found: set[str] = set()
    new, old = new_person.emails, old_person.emails
    for a in new:
        for b in old:
            role = is_role_mailbox(a) or is_role_mailbox(b)
            if email_alias_key(a) == email_alias_key(b):
                found.add("role_mailbox" if role else "email")
            elif role:
                continue
            elif email_plus_key(a) == email_plus_key(b):
                found.add("email_plus")
            elif _is_typo(email_alias_key(a), email_alias_key(b)):
                found.add("email_typo")
            elif _same_handle(email_local(a), email_local(b), new_person, old_person):
                found.add("email_local")
    personal = (
        [e for e in new if not is_role_mailbox(e)],
        [e for e in old if not is_role_mailbox(e)],
    )
    if not found and all(personal):
        found.add("emails_differ")
    return sorted(found)


def _is_typo(a: str, b: str) -> bool:
    """One slip of the finger; not a numbered sibling account (jane.doe vs jane.doe2)."""
    if OSA.distance(a, b, score_cutoff=1) > 1:
        return False
    return strip_digits(bare_handle(a)) != strip_digits(bare_handle(b))


def _same_handle(a: str, b: str, *people: Profile) -> bool:
    """The same local part at another domain says something only when it is a personal handle,
    not just the person's name (john.smith@ exists at every provider)."""
    a, b = bare_handle(a), bare_handle(b)
    if a != b or len(a) < 4:
        return False
    return not any(is_name_handle(a, p) for p in people)


def _phone_evidence(new: tuple[str, ...], old: tuple[str, ...]) -> list[str]:
    found: set[str] = set()
    for a in new:
        for b in old:
            if a == b:
                found.add("phone")
            elif phone_tail(a) and phone_tail(a) == phone_tail(b):
                found.add("phone_tail")
            elif len(a) == len(b) and OSA.distance(a, b) <= 1:
                found.add("phone_typo")
    if not found and new and old:
        found.add("phones_differ")
    return sorted(found)


def score_pair(new: Profile, old: Profile) -> tuple[float, tuple[str, ...], bool]:
    """(score, reasons, exact) for an incoming profile against an indexed one."""
    name, name_reasons, conflict = name_agreement(new, old)
    evidence = identifier_evidence(new, old)
    exact_ids = {"email", "phone"} & set(evidence)
    reasons = tuple(evidence + name_reasons)
    if exact_ids and not conflict:
        return AUTO_LINK, reasons, True
    if "email" in exact_ids and conflict == "family" and name_reasons:
        # One personal mailbox, same given name, new family name: often a marriage. Staff decide.
        return NAME_CHANGE_SCORE, (*reasons, "family_name_changed"), False
    if exact_ids:
        evidence.append("shared_identifier")
    if conflict:
        reasons = (*reasons, "name_conflict")
    bonus = sorted((EVIDENCE.get(e, 0.0) for e in evidence), reverse=True)[:2]
    score = 0.6 * name + sum(bonus) - sum(PENALTY.get(e, 0.0) for e in evidence)
    if name < 0.8 or conflict:
        score = min(score, 0.5)
    return round(max(0.0, min(score, 0.99)), 4), reasons, False


def rank(new: Profile, people: Mapping[K, Profile], review: float = REVIEW_THRESHOLD) -> Outcome[K]:
    """Score every candidate; the best exact match is linked, others above ``review`` listed."""
    scored = [Scored(pid, *score_pair(new, old)) for pid, old in people.items()]
    scored.sort(key=lambda s: (s.exact, s.score, _name_weight(s.reasons)), reverse=True)
    outcome: Outcome[K] = Outcome(examined=len(scored))
    if scored and scored[0].exact:
        outcome.linked = scored.pop(0)
    outcome.candidates = [s for s in scored if s.score >= review][:MAX_CANDIDATES]
    return outcome


def _name_weight(reasons: Iterable[str]) -> int:
    return sum(r in {"first_name", "last_name"} for r in reasons)


def match(new: Profile, source: CandidateSource[K], review: float = REVIEW_THRESHOLD) -> Outcome[K]:
    """Look candidates up by the incoming profile's blocking keys and rank them."""
    return rank(new, source.lookup(blocking_keys(new)), review)
