"""A Fellegi-Sunter model of "same person": comparison levels, learned weights, probabilities.

Each pair of people is compared field by field; each comparison lands on one *level* (e-mail:
exact, plus-address, one-character typo, domain typo, same handle, different; or missing when
either side has no e-mail). For every level the model holds ``m`` = P(level | same person) and
``u`` = P(level | different people); the evidence of a level is log2(m/u) bits, the evidence of
a pair is the sum over its comparisons plus the prior log-odds, and its score is the match
probability 1 / (1 + 2^-bits). A missing value adds nothing: it is neither agreement nor
disagreement (Fellegi & Sunter 1969; the formulation Splink documents as "m and u
probabilities").

Estimation follows Splink's documented recipe (``linker.estimate_u_using_random_sampling`` then
``estimate_parameters_using_expectation_maximisation`` once per training blocking rule such
as ``block_on(["first_name", "surname"])``; github.com/moj-analytical-services/splink and its
demo notebooks, checked with the search tool 2026-12-04): u from random pairs, m by EM on
pairs selected by a rule, leaving out the comparisons the rule selects on.

The parameters are learned per client by expectation-maximisation over the candidate pairs its
own people produce (``estimate``); staff's review decisions enter that estimate as labelled
pairs. The starting values below (``PRIOR``) are only where EM starts and what it is shrunk to
when a client has few people (a Dirichlet prior worth ``PRIOR_PAIRS`` pairs).

Term frequencies: agreeing on a common value says less than agreeing on a rare one. Exact name
agreement is adjusted by the client's name frequencies (learned with the model); an exact e-mail
or phone shared by several people (a household landline, a front desk, an info@ box) is divided
by how many people hold it, counted in the index at check time.

Why our own code and not a library at lead time: Splink (5.0) estimates the same model but runs
its comparisons as SQL over DuckDB/Spark frames, which suits batch linkage, not one lead against
a bounded candidate set in a few milliseconds; recordlinkage (0.16) ships an ECM classifier on
pandas frames, the same EM, with its own comparison functions; dedupe (3.0) trains a logistic
classifier by active learning, which needs a person labelling pairs before the first score.
The model is a few dozen numbers, so it is applied here in plain Python on the candidates the
blocking keys return; estimation is the textbook EM, written out so that it runs on the
database's people without a data-frame stack in the web process.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from rapidfuzz.distance import OSA, JaroWinkler

from syncs.dedupe.nicknames import same_given_name
from syncs.dedupe.normalize import (
    Profile,
    bare_handle,
    email_alias_key,
    email_local,
    email_plus_key,
    given,
    is_name_handle,
    is_role_mailbox,
    phone_tail,
    phonetic,
    strip_digits,
)

# Levels per comparison, the strongest first; the last one is "different". A pair lands on the
# first level that holds.
LEVELS: dict[str, tuple[str, ...]] = {
    "email": ("exact", "role_exact", "plus", "typo", "domain_typo", "handle", "different"),
    "phone": ("exact", "one_digit", "subscriber", "different"),
    "first": ("exact", "nickname", "typo", "initial", "phonetic", "different"),
    "last": ("exact", "typo", "phonetic", "part", "different"),
    "generation": ("same", "different"),
    "company": ("exact", "similar", "different"),
}

# Starting values (m, u) per level: see the module docstring. u is among *candidate* pairs
# (people who share a blocking key), not among random pairs, since only candidates are scored.
PRIOR: dict[str, dict[str, tuple[float, float]]] = {
    "email": {
        "exact": (0.55, 0.001),
        "role_exact": (0.02, 0.05),
        "plus": (0.05, 0.002),
        "typo": (0.04, 0.003),
        "domain_typo": (0.03, 0.002),
        "handle": (0.03, 0.01),
        "different": (0.22, 0.932),
    },
    "phone": {
        "exact": (0.6, 0.02),
        "one_digit": (0.05, 0.01),
        "subscriber": (0.05, 0.01),
        "different": (0.22, 0.96),
    },
    "first": {
        "exact": (0.8, 0.08),
        "nickname": (0.07, 0.01),
        "typo": (0.06, 0.02),
        "initial": (0.03, 0.02),
        "phonetic": (0.01, 0.02),
        "different": (0.02, 0.85),
    },
    "last": {
        "exact": (0.86, 0.3),
        "typo": (0.07, 0.05),
        "phonetic": (0.02, 0.05),
        "part": (0.02, 0.02),
        "different": (0.03, 0.58),
    },
    "generation": {"same": (1 - 1e-12, 0.6), "different": (1e-12, 0.4)},
    "company": {"exact": (0.6, 0.3), "similar": (0.1, 0.05), "different": (0.3, 0.65)},
}
PRIOR_LAMBDA = 0.2  # share of candidate pairs that are one person, before estimation
PRIOR_PAIRS = 20.0  # the prior's weight, in pairs, per comparison
LABEL_WEIGHT = 5.0  # a staff decision counts as this many unlabelled pairs
TF_CLIP = 4.0  # bits a name's frequency may add or remove
FLOOR = 1e-12  # no level is impossible: keeps log2(m/u) finite

# Reason names shown to staff per (comparison, level); "" shows nothing.
REASONS: dict[tuple[str, str], str] = {
    ("email", "exact"): "email",
    ("email", "role_exact"): "role_mailbox",
    ("email", "plus"): "email_plus",
    ("email", "typo"): "email_typo",
    ("email", "domain_typo"): "email_domain_typo",
    ("email", "handle"): "email_local",
    ("email", "different"): "emails_differ",
    ("phone", "exact"): "phone",
    ("phone", "one_digit"): "phone_typo",
    ("phone", "subscriber"): "phone_tail",
    ("phone", "different"): "phones_differ",
    ("first", "exact"): "first_name",
    ("first", "nickname"): "nickname",
    ("first", "typo"): "first_typo",
    ("first", "initial"): "initial",
    ("first", "phonetic"): "first_sounds_alike",
    ("first", "different"): "first_name_differs",
    ("last", "exact"): "last_name",
    ("last", "typo"): "last_typo",
    ("last", "phonetic"): "last_sounds_alike",
    ("last", "part"): "last_name_part",
    ("last", "different"): "last_name_differs",
    ("generation", "different"): "generation_differs",
    ("company", "exact"): "company",
    ("company", "similar"): "company_similar",
    ("company", "different"): "company_differ",
}

Vector = tuple[str | None, ...]  # one level (or None: missing) per comparison, in LEVELS order
COMPARISONS = tuple(LEVELS)
_EMAIL, _PHONE, _FIRST, _LAST, _GENERATION, _COMPANY = range(len(COMPARISONS))  # in a Vector


# --- comparisons -------------------------------------------------------------------------------


def compare_email(
    new: tuple[str, ...], old: tuple[str, ...], people: tuple[Profile, ...]
) -> tuple[str | None, str]:
    """The best level over every pair of known addresses, and the shared address if exact."""
    if not new or not old:
        return None, ""
    best, shared = len(LEVELS["email"]) - 1, ""
    for a in new:
        for b in old:
            level = _email_level(a, b, people)
            rank = LEVELS["email"].index(level)
            if rank < best:
                exact = level in ("exact", "role_exact")
                best, shared = rank, email_alias_key(a) if exact else shared
    return LEVELS["email"][best], shared


def _email_level(a: str, b: str, people: tuple[Profile, ...]) -> str:
    role = is_role_mailbox(a) or is_role_mailbox(b)
    if email_alias_key(a) == email_alias_key(b):
        return "role_exact" if role else "exact"
    if role:
        return "different"
    if email_plus_key(a) == email_plus_key(b):
        return "plus"
    alias_a, alias_b = email_alias_key(a), email_alias_key(b)
    local_a, _, domain_a = alias_a.rpartition("@")
    local_b, _, domain_b = alias_b.rpartition("@")
    # The domains first: most candidates' differ, and then no edit distance is needed.
    if domain_a == domain_b and _is_typo(alias_a, alias_b):
        return "typo"
    if local_a == local_b and OSA.distance(domain_a, domain_b, score_cutoff=2) <= 2:
        return "domain_typo"  # exampel.com, gmial.com
    handle_a, handle_b = bare_handle(email_local(a)), bare_handle(email_local(b))
    # The same personal handle elsewhere; a handle that is just the name proves less, and the
    # name comparisons already count the name.
    if (
        handle_a == handle_b
        and len(handle_a) >= 4
        and not any(is_name_handle(handle_a, p) for p in people)
    ):
        return "handle"
    return "different"


def _is_typo(a: str, b: str) -> bool:
    """One slip of the finger; not a numbered sibling account (jane.doe vs jane.doe2), nor
    a sibling's initial (tbrooks vs bbrooks: people rarely mistype their first letter)."""
    if OSA.distance(a, b, score_cutoff=1) > 1 or a[:1] != b[:1]:
        return False
    return strip_digits(bare_handle(a)) != strip_digits(bare_handle(b))


def compare_phone(new: tuple[str, ...], old: tuple[str, ...]) -> tuple[str | None, str]:
    if not new or not old:
        return None, ""
    best, shared = len(LEVELS["phone"]) - 1, ""
    for a in new:
        for b in old:
            if a == b:
                level = "exact"
            elif len(a) == len(b) and OSA.distance(a, b, score_cutoff=1) <= 1:
                level = "one_digit"
            elif phone_tail(a) and phone_tail(a) == phone_tail(b):
                level = "subscriber"  # wrong or missing area/country code
            else:
                level = "different"
            rank = LEVELS["phone"].index(level)
            if rank < best:
                best, shared = rank, a if level == "exact" else shared
    return LEVELS["phone"][best], shared


# The name comparisons are pure functions of two strings, and a check compares its lead's names
# with every candidate's, each pair up to three ways round (``compare_names``); names repeat
# (the common given and family names), so the levels are kept rather than worked out again
# (the tokenising, nickname table, edit distances and metaphone codes behind each level).
@lru_cache(maxsize=65536)
def compare_first(a: str, b: str) -> str | None:
    a, b = given(a), given(b)
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if same_given_name(a, b):
        return "nickname"
    if len(a) == 1 or len(b) == 1:
        return "initial" if a[0] == b[0] else "different"
    if _typo(a, b):
        return "typo"
    if phonetic(a) == phonetic(b):
        return "phonetic"
    return "different"


@lru_cache(maxsize=65536)
def compare_last(a: str, b: str) -> str | None:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if _typo(a, b):
        return "typo"
    if phonetic(a) == phonetic(b):
        return "phonetic"
    if min(len(a), len(b)) >= 4 and (a in b or b in a):
        return "part"  # double-barrelled: Smith vs Smith-Jones
    return "different"


def _typo(a: str, b: str) -> bool:
    allowed = 1 if max(len(a), len(b)) < 8 else 2
    if min(len(a), len(b)) >= 3 and OSA.distance(a, b) <= allowed:
        return True
    return JaroWinkler.normalized_similarity(a, b) >= 0.94


def compare_company(a: str, b: str) -> str | None:
    if not a or not b:
        return None
    if a == b:
        return "exact"
    return "similar" if JaroWinkler.normalized_similarity(a, b) >= 0.9 else "different"


@lru_cache(maxsize=65536)
def may_be_landline(e164: str) -> bool:
    """A mobile number is one person's; a fixed line (or a number whose plan does not tell,
    as in the US) may be a household's."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return True
    return kind != phonenumbers.PhoneNumberType.MOBILE


_NAME_RANK = {c: {lv: i for i, lv in enumerate(LEVELS[c])} for c in ("first", "last")}


def compare_names(new: Profile, old: Profile) -> tuple[str | None, str | None]:
    """First and last name levels, order-insensitive: "Pulford Victoria" against "Victoria
    Pulford" is compared the way round that agrees best, and a lone word ("Kolodina", read
    as a given name) is compared with the other side's given and family name both."""
    readings = [(compare_first(new.first, old.first), compare_last(new.last, old.last))]
    if new.first and new.last and old.first and old.last:
        readings.append((compare_first(new.last, old.first), compare_last(new.first, old.last)))
    if bool(new.last) != bool(old.last):  # one side is a single word
        lone, full = (new, old) if not new.last else (old, new)
        readings.append((None, compare_last(lone.first, full.last)))
    return max(readings, key=_names_agreement)


def _names_agreement(levels: tuple[str | None, str | None]) -> int:
    """How much a reading agrees: each agreeing level by its strength, "different" -2."""
    total = 0
    for name, level in zip(("first", "last"), levels, strict=True):
        if level is not None:
            rank = _NAME_RANK[name][level]
            total += -2 if level == "different" else len(LEVELS[name]) - rank
    return total


@dataclass(frozen=True)
class Comparison:
    """A pair's levels, and the shared values the frequency adjustments look at."""

    vector: Vector
    email: str = ""  # the shared mailbox, when e-mail is exact
    phone: str = ""  # the shared number, when phone is exact
    near_phone: str = ""  # the incoming number, when phone is exact or one digit apart
    first: str = ""  # the shared given name, when first is exact
    last: str = ""  # the shared family name, when last is exact


def compare(new: Profile, old: Profile) -> Comparison:
    email, shared_email = compare_email(new.emails, old.emails, (new, old))
    phone, shared_phone = compare_phone(new.phones, old.phones)
    near_phone = shared_phone or (new.phones[0] if phone == "one_digit" else "")
    first, last = compare_names(new, old)
    generation = None
    if new.generation and old.generation:
        generation = "same" if new.generation == old.generation else "different"
    company = compare_company(new.company, old.company)
    return Comparison(
        vector=(email, phone, first, last, generation, company),
        email=shared_email,
        phone=shared_phone,
        near_phone=near_phone,
        first=given(new.first) if first == "exact" else "",
        last=new.last if last == "exact" else "",
    )


# --- the model ---------------------------------------------------------------------------------


@dataclass
class Model:
    """Learned parameters. ``tf_first``/``tf_last`` count the client's names (the most common
    few thousand) out of ``people``."""

    lam: float = PRIOR_LAMBDA
    m: dict[str, dict[str, float]] = field(
        default_factory=lambda: {c: {lv: mu[0] for lv, mu in PRIOR[c].items()} for c in PRIOR}
    )
    u: dict[str, dict[str, float]] = field(
        default_factory=lambda: {c: {lv: mu[1] for lv, mu in PRIOR[c].items()} for c in PRIOR}
    )
    tf_first: dict[str, int] = field(default_factory=dict)
    tf_last: dict[str, int] = field(default_factory=dict)
    # u of an equal e-mail or phone among people with one family name and unrelated given
    # names (a household, a family business): there the identifiers and the names are not
    # independent evidence, so this u replaces the one from random pairs.
    u_family: dict[str, dict[str, float]] = field(default_factory=dict)
    # The same among colleagues (one company, another family name): an office's main line.
    u_office: dict[str, dict[str, float]] = field(default_factory=dict)
    people: int = 0
    pairs: int = 0  # candidate pairs the estimate saw
    labels: int = 0  # staff decisions it used
    iterations: int = 0
    # comparison -> (the name table, (its size, people), its mean agreement): see ``_tf_mean``.
    _tf_means: dict[str, tuple[Mapping[str, int], tuple[int, int], float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def bits(self, comparison: str, level: str) -> float:
        m = max(self.m[comparison][level], FLOOR)
        u = max(self.u[comparison][level], FLOOR)
        return math.log2(m / u)

    def weight(
        self, found: Comparison, holders: Mapping[tuple[str, str], int] | None = None
    ) -> tuple[float, dict[str, float]]:
        """(total bits, bits per comparison); ``holders`` counts people per shared e-mail or
        phone (blocking key → people holding it)."""
        # Run once per scored pair: the table look-ups below are the same arithmetic as
        # ``bits`` (max(m, FLOOR) / max(u, FLOOR)), written out without the calls.
        m_table, u_table = self.m, self.u
        vector = found.vector
        parts: dict[str, float] = {}
        for name, level in zip(COMPARISONS, vector, strict=True):
            if level is not None:
                m, u = m_table[name][level], u_table[name][level]
                parts[name] = math.log2((FLOOR if FLOOR > m else m) / (FLOOR if FLOOR > u else u))
        # One family name and unrelated (or unknown) given names: a household, whose shared
        # landline or mailbox is the family's, not one person's.
        # There the family name's rarity says nothing either: relatives share rare names too.
        family = vector[_LAST] in ("exact", "typo") and vector[_FIRST] in (None, "different")
        # Colleagues (one company): an office's main line is shared whatever the family names,
        # so its u (estimated on colleagues with other family names, who are surely two people)
        # holds for relatives in a family firm too.
        colleagues = vector[_COMPANY] in ("exact", "similar")
        # a sibling's jsmith@ is one letter from tsmith@: a typo level counts too
        shared_email = vector[_EMAIL] in ("exact", "plus", "typo")
        # Only a household or colleagues look at whether the number may be a landline (a
        # phone-number parse when not cached).
        shared_phone = (
            (family or colleagues) and bool(found.near_phone) and may_be_landline(found.near_phone)
        )
        if family or colleagues:
            for name, level, shared in (
                ("email", vector[_EMAIL], shared_email),
                ("phone", vector[_PHONE], shared_phone),
            ):
                if not (level and shared):  # (a missing level is no key of these tables)
                    continue
                u = estimated = u_table[name][level]
                if family:
                    u = max(u, self.u_family.get(name, {}).get(level, 0.0))
                if colleagues:
                    u = max(u, self.u_office.get(name, {}).get(level, 0.0))
                if u > estimated:
                    parts[name] = math.log2(max(m_table[name][level], FLOOR) / max(u, FLOOR))
        household = family and (shared_email or shared_phone)
        holders = holders or {}
        if found.email:
            parts["email"] -= math.log2(max(1, holders.get(("email", found.email), 1)))
        if found.phone:
            parts["phone"] -= math.log2(max(1, holders.get(("phone", found.phone), 1)))
        if found.first:
            parts["first"] += self._tf("first", self.tf_first, found.first)
        if found.last:
            adjust = self._tf("last", self.tf_last, found.last)
            parts["last"] += min(adjust, 0.0) if household else adjust
        prior = math.log2(self.lam / (1 - self.lam))
        return prior + sum(parts.values()), parts

    def _tf(self, comparison: str, table: Mapping[str, int], value: str) -> float:
        """log2(average chance two people agree / chance of agreeing on this value)."""
        if not table or not self.people:
            return 0.0
        total = self.people
        mean = self._tf_mean(comparison, table, total)
        share = max(table.get(value, 1), 1) / total
        return max(-TF_CLIP, min(TF_CLIP, math.log2(mean / share)))

    def _tf_mean(self, comparison: str, table: Mapping[str, int], total: int) -> float:
        """The average chance two people agree on a name, over the whole table: the same for
        every pair, so computed once per table rather than per scored pair (a table holds up
        to 5,000 names, and a check scores a few dozen pairs, each agreeing on two names).
        Kept with the table it was computed from, so a table replaced (an estimate, a load)
        is summed again."""
        cached = self._tf_means.get(comparison)
        if cached is not None and cached[0] is table and cached[1] == (len(table), total):
            return cached[2]
        mean = sum((n / total) ** 2 for n in table.values()) / max(
            sum(n / total for n in table.values()), 1e-12
        )
        self._tf_means[comparison] = (table, (len(table), total), mean)
        return mean

    def probability(
        self, found: Comparison, holders: Mapping[tuple[str, str], int] | None = None
    ) -> float:
        bits, _ = self.weight(found, holders)
        return 1.0 / (1.0 + 2.0 ** (-max(-60.0, min(60.0, bits))))

    def as_json(self) -> dict:
        return {
            "lam": self.lam,
            "m": self.m,
            "u": self.u,
            "tf_first": self.tf_first,
            "tf_last": self.tf_last,
            "u_family": self.u_family,
            "u_office": self.u_office,
            "people": self.people,
            "pairs": self.pairs,
            "labels": self.labels,
            "iterations": self.iterations,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Model:
        model = cls()
        for name in ("lam", "people", "pairs", "labels", "iterations"):
            if name in data:
                setattr(model, name, data[name])
        for name in ("m", "u"):  # levels added later keep their prior
            for comparison, levels in (data.get(name) or {}).items():
                if comparison in LEVELS:
                    getattr(model, name)[comparison].update(
                        {lv: float(p) for lv, p in levels.items() if lv in LEVELS[comparison]}
                    )
        model.tf_first = dict(data.get("tf_first") or {})
        model.tf_last = dict(data.get("tf_last") or {})
        for kind in ("u_family", "u_office"):
            setattr(
                model,
                kind,
                {
                    name: {level: float(p) for level, p in levels.items()}
                    for name, levels in (data.get(kind) or {}).items()
                    if isinstance(levels, Mapping)
                },
            )
        return model


def reasons(found: Comparison) -> tuple[str, ...]:
    return _reasons(found.vector)


@lru_cache(maxsize=4096)  # one entry per combination of levels: a few hundred occur
def _reasons(vector: Vector) -> tuple[str, ...]:
    """The reasons of a vector of levels: the same for every pair that lands on it."""
    return tuple(
        REASONS[(name, level)]
        for name, level in zip(COMPARISONS, vector, strict=True)
        if level is not None and REASONS.get((name, level))
    )


# --- estimation --------------------------------------------------------------------------------


def name_frequencies(
    profiles: Iterable[Profile], keep: int = 5000
) -> tuple[dict[str, int], dict[str, int], int]:
    """(given-name counts, family-name counts, people): the client's most common names."""
    firsts: Counter[str] = Counter()
    lasts: Counter[str] = Counter()
    people = 0
    for profile in profiles:
        people += 1
        if profile.first:
            firsts[given(profile.first)] += 1
        if profile.last:
            lasts[profile.last] += 1
    return dict(firsts.most_common(keep)), dict(lasts.most_common(keep)), people


def estimate_u(vectors: Iterable[Vector]) -> dict[str, dict[str, float]]:
    """u from random pairs of people, nearly all of them two different people: the share of
    each level among the pairs where the comparison is not missing (plus half a pair per level,
    so a level never seen is rare, not impossible)."""
    counts = {c: dict.fromkeys(LEVELS[c], 0.5) for c in LEVELS}
    for vector in vectors:
        for name, level in zip(COMPARISONS, vector, strict=True):
            if level is not None:
                counts[name][level] += 1
    return {
        name: {level: n / sum(levels.values()) for level, n in levels.items()}
        for name, levels in counts.items()
    }


def estimate(
    vectors: Iterable[Vector],
    labelled: Iterable[tuple[Vector, bool]] = (),
    *,
    u: Mapping[str, Mapping[str, float]] | None = None,
    all_pairs: int = 0,
    start: Model | None = None,
    ignore: Collection[str] = (),
    learn_m: bool = True,
    iterations: int = 60,
    tolerance: float = 1e-5,
) -> Model:
    """EM over unlabelled candidate pairs plus labelled ones (staff decisions, fixed as match
    or non-match). Identical vectors are counted once with their multiplicity, which keeps an
    estimate over a hundred thousand pairs to a few hundred distinct patterns.

    With ``u`` (from random pairs, ``estimate_u``) only m and the share of matches are
    estimated, as Splink does: among candidate pairs the blocking fields agree for matches and
    non-matches alike, and EM left free to move u there may split the pairs on something other
    than identity. The prior odds are then those of any two people (``all_pairs``: how many
    pairs the people make), since u describes any two people, not just candidates.

    ``ignore`` leaves comparisons out (those a training rule selected the pairs on);
    ``learn_m=False`` estimates only the share of matches."""
    patterns = Counter(vectors)
    labels = Counter(labelled)
    model = start or Model()
    model.pairs, model.labels = sum(patterns.values()), sum(labels.values())
    if u is not None:
        for name in LEVELS:
            model.u[name].update(u[name])
    if not patterns and not labels:
        return model
    for step in range(1, iterations + 1):
        m_counts = {c: dict.fromkeys(LEVELS[c], 0.0) for c in LEVELS}
        u_counts = {c: dict.fromkeys(LEVELS[c], 0.0) for c in LEVELS}
        matched = total = 0.0
        rows: list[tuple[Vector, float, bool | None]] = [(v, n, None) for v, n in patterns.items()]
        rows += [(v, n * LABEL_WEIGHT, same) for (v, same), n in labels.items()]
        for vector, count, same in rows:
            p = _posterior(model, vector, ignore) if same is None else float(same)
            matched += p * count
            total += count
            for name, level in zip(COMPARISONS, vector, strict=True):
                if level is not None and name not in ignore:
                    m_counts[name][level] += p * count
                    u_counts[name][level] += (1 - p) * count
        change = 0.0
        targets = [(model.m, m_counts, 0)] if learn_m else []
        targets += [(model.u, u_counts, 1)] if u is None else []
        for name in (c for c in LEVELS if c not in ignore):
            for target, counts, index in targets:
                seen = sum(counts[name].values())
                for level in LEVELS[name]:
                    prior = PRIOR[name][level][index]
                    value = (counts[name][level] + PRIOR_PAIRS * prior) / (seen + PRIOR_PAIRS)
                    change = max(change, abs(value - target[name][level]))
                    target[name][level] = value
        lam = min(max(matched / total, 1e-6), 1 - 1e-6)
        change, model.lam, model.iterations = max(change, abs(lam - model.lam)), lam, step
        if change < tolerance:
            break
    if u is not None and all_pairs > model.pairs:
        # Matches found among the candidates, spread over every pair the people make.
        model.lam = min(max(model.lam * model.pairs / all_pairs, 1e-12), 0.5)
    return model


def estimate_by_rules(
    vectors: Sequence[Vector],
    labelled: Sequence[tuple[Vector, bool]],
    u: Mapping[str, Mapping[str, float]],
    all_pairs: int,
) -> Model:
    """m estimated the way Splink recommends, once per training rule, each leaving out the
    comparisons it selects pairs on: among pairs with an equal e-mail or phone the name and
    company comparisons are learned, among pairs with an equal full name the e-mail, phone and
    company ones; a comparison learned twice takes the mean. Left to all candidate pairs at
    once, EM may take "works at the same company" for "is the same person". Then the share of
    matches among all candidates is estimated with m and u fixed."""
    learned: dict[str, list[dict[str, float]]] = {c: [] for c in LEVELS}
    for selects, on in TRAINING_RULES:
        chosen = [v for v in vectors if selects(v)]
        if not chosen:
            continue
        model = estimate(chosen, [lv for lv in labelled if selects(lv[0])], u=u, ignore=on)
        for name in LEVELS:
            if name not in on:
                learned[name].append(model.m[name])
    final = Model()
    final.u = {name: dict(levels) for name, levels in u.items()}
    for name, estimates in learned.items():
        if estimates and name not in FIXED_M:
            final.m[name] = {
                level: sum(e[level] for e in estimates) / len(estimates) for level in LEVELS[name]
            }
    for (name, level), cap in M_CAPS.items():
        _cap_level(final.m[name], level, cap)
    for name, level in NOT_EVIDENCE:
        final.u[name][level] = max(final.u[name][level], final.m[name][level])
    return estimate(vectors, labelled, u=final.u, all_pairs=all_pairs, start=final, learn_m=False)


def _cap_level(levels: dict[str, float], level: str, cap: float) -> None:
    """Lower one level's probability to ``cap``, the others taking the rest in proportion."""
    if levels[level] <= cap:
        return
    rest = sum(p for lv, p in levels.items() if lv != level)
    scale = (1 - cap) / rest if rest else 0.0
    for lv in levels:
        levels[lv] = cap if lv == level else levels[lv] * scale


def _email_or_phone_equal(vector: Vector) -> bool:
    return vector[0] == "exact" or vector[1] == "exact"


def _full_name_equal(vector: Vector) -> bool:
    return vector[2] == "exact" and vector[3] == "exact"


# Company is left out with the identifiers: colleagues share an office line and an employer,
# so among pairs selected on a phone, "same company" would be taken for "same person".
TRAINING_RULES: tuple[tuple[Callable[[Vector], bool], frozenset[str]], ...] = (
    (_email_or_phone_equal, frozenset({"email", "phone", "company"})),
    (_full_name_equal, frozenset({"first", "last"})),
)
# Levels that are never evidence for a match, whatever their frequencies: a shared role mailbox
# (info@, bookings@) says nothing about who wrote from it.
NOT_EVIDENCE = (("email", "role_exact"),)
# What EM cannot learn from unlabelled pairs, because the people it must tell apart agree on
# everything else: a Jr. and a Sr. on one landline look like one person entered twice, so the
# generation comparison keeps its prior m (different generations: different people). And a
# household on one landline shares the family name, so among pairs with an equal phone EM may
# take "another given name" for a typo; the share of one person's records with an unrelated
# given name (not a nickname, initial or typo) is capped.
FIXED_M = frozenset({"generation"})
M_CAPS = {("first", "different"): 0.2}


def _posterior(model: Model, vector: Vector, ignore: Collection[str] = ()) -> float:
    bits = math.log2(model.lam / (1 - model.lam))
    for name, level in zip(COMPARISONS, vector, strict=True):
        if level is not None and name not in ignore:
            bits += model.bits(name, level)
    return 1.0 / (1.0 + 2.0 ** (-max(-60.0, min(60.0, bits))))


# --- thresholds from a target precision --------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """The lowest probability at which the pairs above it reach ``target`` precision, with the
    precision and recall the model expects there (recall among all pairs it believes are one
    person)."""

    probability: float
    precision: float
    recall: float
    target: float


def threshold_for(probabilities: Iterable[float], target: float) -> Threshold:
    """From the candidate pairs' match probabilities: a calibrated model expects pair i to be a
    match with probability p_i, so the pairs above t have expected precision mean(p_i) and the
    expected recall is their share of sum(p_i). The lowest t whose expected precision is still
    at least ``target`` is chosen (never below 0.5: a pair must be likelier one person than two)."""
    ordered = sorted(probabilities, reverse=True)
    expected = sum(ordered)
    if not ordered or expected <= 0:
        return Threshold(max(target, 0.5), 1.0, 0.0, target)
    # With no pair reaching the target (a client without duplicates yet), the target itself:
    # each pair at or above it is, by the model, at least that likely one person.
    best = Threshold(max(target, 0.5), 1.0, 0.0, target)
    running = 0.0
    for count, p in enumerate(ordered, start=1):
        if p < 0.5:
            break
        running += p
        precision = running / count
        if precision >= target and (count == len(ordered) or ordered[count] < p):
            best = Threshold(p, precision, running / expected, target)
    return best
